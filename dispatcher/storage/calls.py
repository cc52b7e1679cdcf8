"""Calls in the database: numbering, duplicates, history, and rows turned into domain calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from intake_core.call import (
    Assignment,
    Call,
    Caller,
    CallerType,
    CallKind,
    ChannelRef,
    Complaints,
    RedFlag,
    Service,
    ServiceResult,
    Source,
    StatusChange,
    VisitAddress,
)
from intake_core.patient import AgeCategory, Patient, Sex
from intake_core.status import OPEN_STATUSES, CallStatus

NUMBER_COUNTER = "call_number"
FIRST_NUMBER = 57_000


def next_call_number(session: Session) -> int:
    """A human call number («Карта вызова № 57319»), unique and gap-tolerant across processes."""
    value = session.execute(
        update(tables.Counter)
        .where(tables.Counter.name == NUMBER_COUNTER)
        .values(value=tables.Counter.value + 1)
        .returning(tables.Counter.value)
    ).scalar()
    if value is None:
        session.add(tables.Counter(name=NUMBER_COUNTER, value=FIRST_NUMBER))
        session.flush()
        return FIRST_NUMBER
    return int(value)


def address_key(address: VisitAddress) -> str | None:
    """A comparable form of street + house + flat for «same phone and address» duplicates."""
    if not address.street or not address.house:
        return None
    parts = (address.city, address.street, address.house, address.korpus, address.flat)
    return "|".join((p or "").casefold().replace("ё", "е").strip() for p in parts)


def lock_patient(session: Session, key: str) -> None:
    """Serialize concurrent intakes for one patient (PostgreSQL; SQLite writers are serial)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def _same_patient(
    policy_number: str | None, last_name: str, first_name: str, birth_date: object
) -> list[object]:
    """SQL conditions that identify one patient: the policy, or the name with the birth date."""
    same: list[object] = []
    if policy_number:
        same.append(tables.CallRow.policy_number == policy_number)
    if birth_date is not None:
        same.append(
            and_(
                tables.CallRow.last_name == last_name,
                tables.CallRow.first_name == first_name,
                tables.CallRow.birth_date == birth_date,
            )
        )
    return same


def find_open_duplicate(
    session: Session,
    mo_id: int,
    policy_number: str | None,
    last_name: str,
    first_name: str,
    birth_date: object,
    phone: str | None,
    addr_key: str | None,
) -> tables.CallRow | None:
    """The same patient (policy, or name + birth date) or same phone and address, still open."""
    same = _same_patient(policy_number, last_name, first_name, birth_date)
    if phone and addr_key:
        same.append(and_(tables.CallRow.phone == phone, tables.CallRow.address_key == addr_key))
    if not same:
        return None
    return session.scalar(
        select(tables.CallRow)
        .where(
            tables.CallRow.mo_id == mo_id,
            tables.CallRow.status.in_([s.value for s in OPEN_STATUSES]),
            or_(*same),  # type: ignore[arg-type]
        )
        .order_by(tables.CallRow.id)
        .limit(1)
    )


def served_recently(
    session: Session,
    mo_id: int,
    policy_number: str | None,
    last_name: str,
    first_name: str,
    birth_date: object,
    since: datetime,
) -> bool:
    same = _same_patient(policy_number, last_name, first_name, birth_date)
    if not same:
        return False
    found = session.scalar(
        select(tables.CallRow.id)
        .where(
            tables.CallRow.mo_id == mo_id,
            tables.CallRow.status == CallStatus.SERVED.value,
            tables.CallRow.served_at >= since,
            or_(*same),  # type: ignore[arg-type]
        )
        .limit(1)
    )
    return found is not None


def add_channel(session: Session, call_id: int, kind: str, value: str, at: datetime) -> None:
    exists = session.scalar(
        select(tables.CallChannel.id).where(
            tables.CallChannel.call_id == call_id,
            tables.CallChannel.kind == kind,
            tables.CallChannel.value == value,
        )
    )
    if exists is None:
        session.add(tables.CallChannel(call_id=call_id, kind=kind, value=value, at=at))


def add_history(
    session: Session,
    call_id: int,
    at: datetime,
    actor: str,
    action: str,
    from_status: CallStatus | None,
    to_status: CallStatus,
    reason: str | None,
) -> None:
    session.add(
        tables.CallHistory(
            call_id=call_id,
            at=at,
            actor=actor,
            action=action,
            from_status=from_status.value if from_status else None,
            to_status=to_status.value,
            reason=reason,
        )
    )


def to_domain(session: Session, row: tables.CallRow) -> Call:
    """Build the domain call (with history and channels) from its rows."""
    return to_domain_many(session, [row])[0]


def to_domain_many(session: Session, rows: Sequence[tables.CallRow]) -> list[Call]:
    """Domain calls for many rows in a fixed number of queries, whatever the number of rows."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    mo_ids = {row.mo_id for row in rows} | {
        row.transferred_to_mo_id for row in rows if row.transferred_to_mo_id
    }
    mo_codes = _codes(session, tables.MedicalOrganization, mo_ids)
    department_codes = _codes(
        session, tables.Department, {row.department_id for row in rows if row.department_id}
    )
    district_codes = _codes(
        session, tables.District, {row.district_id for row in rows if row.district_id}
    )
    doctor_ids = {row.doctor_id for row in rows if row.doctor_id is not None}
    doctors = (
        {
            d.id: d
            for d in session.scalars(select(tables.Doctor).where(tables.Doctor.id.in_(doctor_ids)))
        }
        if doctor_ids
        else {}
    )
    history: dict[int, list[tables.CallHistory]] = {call_id: [] for call_id in ids}
    for h in session.scalars(
        select(tables.CallHistory)
        .where(tables.CallHistory.call_id.in_(ids))
        .order_by(tables.CallHistory.id)
    ):
        history[h.call_id].append(h)
    channels: dict[int, list[tables.CallChannel]] = {call_id: [] for call_id in ids}
    for c in session.scalars(
        select(tables.CallChannel)
        .where(tables.CallChannel.call_id.in_(ids))
        .order_by(tables.CallChannel.id)
    ):
        channels[c.call_id].append(c)
    return [
        _call_of(
            row,
            mo_code=mo_codes.get(row.mo_id, ""),
            department_code=department_codes.get(row.department_id or 0),
            district_code=district_codes.get(row.district_id or 0),
            transferred_to=mo_codes.get(row.transferred_to_mo_id or 0),
            doctor=doctors.get(row.doctor_id or 0),
            history_rows=history[row.id],
            channel_rows=channels[row.id],
        )
        for row in rows
    ]


def _codes(
    session: Session,
    table: type[tables.MedicalOrganization] | type[tables.Department] | type[tables.District],
    ids: set[int],
) -> dict[int, str]:
    if not ids:
        return {}
    return {
        row_id: code
        for row_id, code in session.execute(select(table.id, table.code).where(table.id.in_(ids)))
    }


def _call_of(
    row: tables.CallRow,
    *,
    mo_code: str,
    department_code: str | None,
    district_code: str | None,
    transferred_to: str | None,
    doctor: tables.Doctor | None,
    history_rows: Sequence[tables.CallHistory],
    channel_rows: Sequence[tables.CallChannel],
) -> Call:
    assignment = (
        Assignment(doctor.id, doctor_name(doctor), row.planned_date) if doctor is not None else None
    )
    service = (
        Service(ServiceResult(row.result), tuple(row.diagnoses or ()), row.service_note)
        if row.result
        else None
    )
    address = dict(row.address)
    complaints = dict(row.complaints)
    return Call(
        id=row.id,
        number=row.number,
        mo_code=mo_code,
        department_code=department_code,
        source=Source(row.source),
        kind=CallKind(row.kind),
        status=CallStatus(row.status),
        patient=Patient(
            last_name=row.last_name,
            first_name=row.first_name,
            middle_name=row.middle_name,
            birth_date=row.birth_date,
            sex=Sex(row.sex) if row.sex else None,
            policy_series=row.policy_series,
            policy_number=row.policy_number,
        ),
        age_category=AgeCategory(row.age_category) if row.age_category else None,
        phone=row.phone,
        address=VisitAddress(**address),
        district_code=district_code,
        complaints=Complaints(
            raw=complaints.get("raw", ""),
            symptoms=tuple(complaints.get("symptoms", ())),
            temperature=complaints.get("temperature"),
            reason_code=complaints.get("reason_code"),
            red_flags=tuple(
                RedFlag(f["code"], f["reason"]) for f in complaints.get("red_flags", ())
            ),
            emergency=bool(complaints.get("emergency")),
        ),
        caller=Caller(
            type=CallerType(row.caller_type) if row.caller_type else None,
            name=row.caller_name,
            phone=row.caller_phone,
        ),
        planned_date=row.planned_date,
        created_at=row.created_at,
        received_at=row.received_at,
        notes=row.notes,
        assignment=assignment,
        service=service,
        assigned_at=row.assigned_at,
        served_at=row.served_at,
        transferred_to=transferred_to,
        pending_reasons=tuple(row.pending_reasons or ()),
        channels=[ChannelRef(c.kind, c.value, c.at) for c in channel_rows],
        history=[
            StatusChange(
                at=h.at,
                actor=h.actor,
                from_status=CallStatus(h.from_status) if h.from_status else None,
                to_status=CallStatus(h.to_status),
                reason=h.reason,
            )
            for h in history_rows
        ],
    )


def doctor_name(doctor: tables.Doctor) -> str:
    initials = "".join(f" {p[0]}." for p in (doctor.first_name, doctor.middle_name) if p)
    return f"{doctor.last_name}{initials}"


def overdue_filter(now: datetime, assign: timedelta, serve: timedelta) -> object:
    """SQL condition for «Просроченный» with one MO's deadlines."""
    return or_(
        and_(
            tables.CallRow.status.in_([CallStatus.PENDING.value, CallStatus.NEW.value]),
            tables.CallRow.created_at < now - assign,
        ),
        and_(
            tables.CallRow.status == CallStatus.ACTIVE.value,
            tables.CallRow.assigned_at < now - serve,
        ),
    )
