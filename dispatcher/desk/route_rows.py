"""The route sheet's content: a doctor's calls of one date in the seed's 14 columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from intake_core.call import CallKind, VisitAddress
from intake_core.duplicates import household_label, together
from intake_core.errors import NotFound
from intake_core.patient import AgeCategory, age_category, describe_age
from intake_core.phones import format_phone
from intake_core.schedule import ScheduleError, parse_schedule
from intake_core.status import CallStatus

ROUTE_STATUSES = (CallStatus.ACTIVE.value, CallStatus.SERVED.value)
NO_AGE_GROUP = "Без возрастной группы"


@dataclass(frozen=True, slots=True)
class RouteRow:
    """One visit, column by column (№ … Время посещения)."""

    index: int
    call_id: int
    created: str
    patient: str
    birth: str
    card_number: int
    policy: str
    address: str
    intercom: str
    phone: str
    reason: str
    note: str
    kind: str
    status: str
    visit_time: str
    household: str = ""  # «Одна семья/один адрес: № 57001» — the rows stand together


@dataclass(frozen=True, slots=True)
class RouteSheet:
    mo_name: str
    doctor_id: int
    doctor_name: str
    doctor_code: str
    day: date
    generated_at: datetime
    rows: list[RouteRow]


def _birth(birth_date: date | None, day: date) -> str:
    if birth_date is None:
        return NO_AGE_GROUP
    category = age_category(birth_date, day) or AgeCategory.ADULT
    return f"{birth_date:%d.%m.%Y} {describe_age(birth_date, day)} {category.value}"


def _address(address: VisitAddress) -> str:
    line = address.one_line
    extra = [
        f"{label} {value}"
        for label, value in (("П-д.", address.entrance), ("Этаж", address.floor))
        if value
    ]
    return f"{line} {', '.join(extra)}".strip()


def _household(homes: dict[tuple[str, str], list[int]], call: tables.CallRow) -> str:
    others = [
        n for n in homes.get((call.phone or "", call.address_key or ""), []) if n != call.number
    ]
    return household_label(others) if others else ""


def build_route_sheet(
    session: Session, mo_id: int, doctor_id: int, day: date, zone: ZoneInfo, now: datetime
) -> RouteSheet:
    """The doctor's active and served calls planned for `day`, in the order they came in; the
    calls of one household (same phone and address) stand together, each saying so."""
    doctor = session.get(tables.Doctor, doctor_id)
    mo = session.get(tables.MedicalOrganization, mo_id)
    if doctor is None or mo is None or doctor.mo_id != mo_id:
        raise NotFound("Врач не найден")
    try:
        window = parse_schedule(doctor.schedule).window(day)
    except ScheduleError:
        window = None
    rows: list[RouteRow] = []
    calls = session.scalars(
        select(tables.CallRow)
        .where(
            tables.CallRow.mo_id == mo_id,
            tables.CallRow.doctor_id == doctor_id,
            tables.CallRow.planned_date == day,
            tables.CallRow.status.in_(ROUTE_STATUSES),
        )
        .order_by(tables.CallRow.created_at, tables.CallRow.id)
    ).all()
    homes: dict[tuple[str, str], list[int]] = {}
    for call in calls:
        if call.phone and call.address_key:
            homes.setdefault((call.phone, call.address_key), []).append(call.number)
    ordered = together(
        calls,
        lambda c: (
            (c.phone, c.address_key)
            if c.phone and c.address_key and len(homes[(c.phone, c.address_key)]) > 1
            else None
        ),
    )
    for index, call in enumerate(ordered, start=1):
        address = VisitAddress(**call.address)
        if call.served_at is not None:
            visit = f"{call.served_at.astimezone(zone):%d.%m.%Y %H:%M}"
        else:
            visit = f"{day:%d.%m.%Y}" + (f" {window.start:%H:%M}" if window else "")
        rows.append(
            RouteRow(
                index=index,
                call_id=call.id,
                created=f"{call.created_at.astimezone(zone):%d.%m.%Y %H:%M}",
                patient=" ".join(
                    p for p in (call.last_name, call.first_name, call.middle_name) if p
                ),
                birth=_birth(call.birth_date, day),
                card_number=call.number,
                policy=" ".join(p for p in (call.policy_series, call.policy_number) if p),
                address=_address(address),
                intercom=address.intercom or "",
                phone=format_phone(call.phone),
                reason=str(call.complaints.get("raw", "")),
                note=call.notes or "",
                kind=CallKind(call.kind).label,
                status=CallStatus(call.status).label,
                visit_time=visit,
                household=_household(homes, call),
            )
        )
    return RouteSheet(
        mo_name=mo.short_name or mo.name,
        doctor_id=doctor.id,
        doctor_name=" ".join(
            p for p in (doctor.last_name, doctor.first_name, doctor.middle_name) if p
        ),
        doctor_code=doctor.code,
        day=day,
        generated_at=now.astimezone(zone),
        rows=rows,
    )
