"""Writes a generated month into the database in bulk: its operators, doctors, calls and cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from dispatcher.demo.month import (
    DistrictLayout,
    Month,
    MonthCall,
    generate_month,
)
from dispatcher.storage import tables
from dispatcher.storage.calls import reserve_call_numbers
from dispatcher.storage.dispatch_tables import CallServiceCard
from intake_core.errors import Conflict, FieldError, NotFound, ValidationFailed
from intake_core.patient import AgeCategory
from intake_core.questionnaire import load_questionnaire
from intake_core.status import CallStatus

ACTOR = "demo-month"
UNUSABLE_PASSWORD = "!"  # not an argon2 hash: no password matches it
STREETS = (
    ("Молодежная", "улица", "ул."),
    ("Юннатов", "улица", "ул."),
    ("Мельникова", "проспект", "пр-кт"),
)
GIVEN = ("Иван", "Пётр", "Семён", "Олег", "Марк", "Лев", "Глеб", "Ян")
FAMILY = ("Примеров", "Тестов", "Образцов", "Демонстров", "Условный", "Шаблонов", "Пробный")


@dataclass(frozen=True, slots=True)
class StoredMonth:
    """Database ids of what was written, by the generator's own keys."""

    mo_id: int
    operator_ids: dict[str, int]
    doctor_ids: dict[str, int]
    call_ids: dict[int, int]  # generated call index → calls.id


def mo_layout(session: Session, mo_code: str) -> tuple[int, list[DistrictLayout]]:
    """The MO's id and its districts, as the generator needs them."""
    mo = session.scalar(
        select(tables.MedicalOrganization).where(tables.MedicalOrganization.code == mo_code)
    )
    if mo is None:
        raise NotFound(f"Медицинская организация {mo_code} не найдена")
    rows = session.execute(
        select(tables.District.code, tables.Department.code, tables.District.category)
        .join(tables.Department, tables.Department.id == tables.District.department_id)
        .where(tables.District.mo_id == mo.id)
        .order_by(tables.District.code)
    ).all()
    districts = [
        DistrictLayout(
            code,
            department,
            AgeCategory.CHILD if category.strip().casefold() == "дети" else AgeCategory.ADULT,
        )
        for code, department, category in rows
    ]
    return mo.id, districts


def _operators(session: Session, mo_id: int, month: Month) -> dict[str, int]:
    """Synthetic operators get no usable password and cannot sign in."""
    ids = {}
    for operator in month.operators:
        user = session.scalar(select(tables.User).where(tables.User.login == operator.login))
        if user is None:
            user = tables.User(
                login=operator.login,
                password_hash=UNUSABLE_PASSWORD,
                role=operator.role,
                mo_id=mo_id,
                full_name=operator.full_name,
                active=False,
            )
            session.add(user)
            session.flush()
        ids[operator.login] = user.id
    return ids


def _doctors(session: Session, mo_id: int, month: Month) -> dict[str, int]:
    districts = dict(
        session.execute(
            select(tables.District.code, tables.District.id).where(tables.District.mo_id == mo_id)
        ).all()
    )
    ids = {}
    for doctor in month.doctors:
        row = session.scalar(
            select(tables.Doctor).where(
                tables.Doctor.mo_id == mo_id, tables.Doctor.code == doctor.code
            )
        )
        if row is None:
            row = tables.Doctor(mo_id=mo_id, code=doctor.code)
            session.add(row)
        row.last_name, row.first_name = doctor.last_name, doctor.first_name
        row.middle_name, row.profile = doctor.middle_name, doctor.profile
        row.profile_letter = doctor.letter
        row.district_id = districts.get(doctor.district_code or "")
        row.schedule = "пн-пт 08:00-20:00"
        session.flush()
        ids[doctor.code] = row.id
    return ids


def _call_row(
    call: MonthCall, number: int, mo_id: int, ids: dict[str, dict[str, int]]
) -> dict[str, Any]:
    street, street_type, short = STREETS[call.index % len(STREETS)]
    house, flat = 1 + call.index % 60, 1 + call.index % 140
    child = call.category is AgeCategory.CHILD
    birth = date(2012 if child else 1950, 1, 1) + timedelta(days=call.index % 3650)
    updated = call.served_at or call.assigned_at or call.created_at
    return {
        "number": number,
        "mo_id": mo_id,
        "department_id": ids["departments"][call.department_code],
        "district_id": ids["districts"][call.district_code],
        "source": call.channel.value,
        "kind": "primary",
        "status": call.status.value,
        "last_name": FAMILY[call.index % len(FAMILY)],
        "first_name": GIVEN[call.index // len(FAMILY) % len(GIVEN)],
        "middle_name": None,
        "birth_date": birth,
        "age_category": call.category.value,
        "phone": f"+7900{call.index:07d}",
        "address": {
            "raw": f"Химки, {short} {street}, д. {house}, кв. {flat}",
            "city": "Химки",
            "street": street,
            "street_type": street_type,
            "house": str(house),
            "flat": str(flat),
        },
        "complaints": {"raw": call.real_branch.text, "reason_code": _reason(call)},
        "emergency": False,
        "planned_date": (call.assigned_at or call.created_at).astimezone(UTC).date(),
        "pending_reasons": [],
        "doctor_id": ids["doctors"][call.doctor_code] if call.doctor_code else None,
        "assigned_at": call.assigned_at,
        "served_at": call.served_at,
        "result": call.result,
        "diagnoses": list(call.diagnoses),
        "created_at": call.created_at,
        "received_at": call.created_at,
        "updated_at": updated,
    }


def _reason(call: MonthCall) -> str | None:
    return call.card.branch.reason_code if call.card else None


def _card_row(
    month: Month, call: MonthCall, call_id: int, ids: dict[str, dict[str, int]]
) -> dict[str, Any]:
    card = call.card
    assert card is not None
    operator = ids["operators"].get(card.operator_login or "")
    substituted = card.sent_letter is not None and card.sent_letter != card.branch.letter
    served = call.served_at
    return {
        "call_id": call_id,
        "questionnaire_id": month.questionnaire_id,
        "questionnaire_version": month.questionnaire_version,
        "branch": card.branch.id,
        "answers": [{"question": q, "answer": a} for q, a in card.branch.answers],
        "reason_code": card.branch.reason_code,
        "reason_letter": card.branch.letter,
        "reason_text": card.branch.text,
        "urgency": card.branch.urgency,
        "coded_by_user_id": operator,
        "coded_at": card.coded_at,
        "sent_letter": card.sent_letter,
        "sent_doctor_id": ids["doctors"][card.sent_doctor_code] if card.sent_doctor_code else None,
        "sent_by_user_id": operator if card.sent_letter else None,
        "override_reason": (
            f"Нет свободного врача с профилем «{card.branch.letter}»" if substituted else None
        ),
        "sent_at": call.assigned_at if card.sent_letter else None,
        "postfactum_letter": card.postfactum_letter,
        "departed_at": call.departed_at,
        "arrived_at": call.arrived_at,
        "finished_at": served,
        "result_code": call.result,
        "result_reason": call.result_reason,
        "remarks": None,
        "recorded_at": served + timedelta(hours=1) if served else None,
    }


def _history_rows(call: MonthCall, call_id: int) -> list[dict[str, Any]]:
    rows: list[tuple[datetime, str, CallStatus | None, CallStatus]] = [
        (call.created_at, "create", None, CallStatus.NEW)
    ]
    if call.first_assigned_at is not None:
        rows.append((call.first_assigned_at, "assign", CallStatus.NEW, CallStatus.ACTIVE))
    if call.assigned_at is not None and call.assigned_at != call.first_assigned_at:
        rows.append((call.assigned_at, "assign", CallStatus.ACTIVE, CallStatus.ACTIVE))
    if call.served_at is not None:
        rows.append((call.served_at, "serve", CallStatus.ACTIVE, CallStatus.SERVED))
    if call.status in (CallStatus.CANCELLED, CallStatus.TRANSFERRED):
        at = (call.assigned_at or call.created_at) + timedelta(minutes=5)
        previous = CallStatus.ACTIVE if call.assigned_at else CallStatus.NEW
        action = "cancel" if call.status is CallStatus.CANCELLED else "transfer"
        rows.append((at, action, previous, call.status))
    return [
        {
            "call_id": call_id,
            "at": at,
            "actor": ACTOR,
            "action": action,
            "from_status": before.value if before else None,
            "to_status": after.value,
            "reason": None,
        }
        for at, action, before, after in rows
    ]


def store_month(session: Session, mo_code: str, month: Month) -> StoredMonth:
    """Insert the month for the MO; refuses when the MO already has calls in those days."""
    mo_id, _ = mo_layout(session, mo_code)
    first, last = month.calls[0].created_at, month.calls[-1].created_at
    existing = session.scalar(
        select(func.count(tables.CallRow.id)).where(
            tables.CallRow.mo_id == mo_id,
            tables.CallRow.created_at >= first,
            tables.CallRow.created_at <= last,
        )
    )
    if existing:
        raise Conflict(f"В МО {mo_code} уже есть вызовы за эти дни ({existing}); месяц не загружен")
    ids = {
        "departments": dict(
            session.execute(
                select(tables.Department.code, tables.Department.id).where(
                    tables.Department.mo_id == mo_id
                )
            ).all()
        ),
        "districts": dict(
            session.execute(
                select(tables.District.code, tables.District.id).where(
                    tables.District.mo_id == mo_id
                )
            ).all()
        ),
        "operators": _operators(session, mo_id, month),
        "doctors": _doctors(session, mo_id, month),
    }
    numbers = reserve_call_numbers(session, len(month.calls))
    call_ids = list(
        session.scalars(
            insert(tables.CallRow).returning(tables.CallRow.id, sort_by_parameter_order=True),
            [
                _call_row(c, number, mo_id, ids)
                for c, number in zip(month.calls, numbers, strict=True)
            ],
        )
    )
    by_index = {call.index: call_id for call, call_id in zip(month.calls, call_ids, strict=True)}
    cards = [_card_row(month, c, by_index[c.index], ids) for c in month.calls if c.card is not None]
    if cards:
        session.execute(insert(CallServiceCard), cards)
    history = [row for c in month.calls for row in _history_rows(c, by_index[c.index])]
    session.execute(insert(tables.CallHistory), history)
    return StoredMonth(mo_id, ids["operators"], ids["doctors"], by_index)


def _month_start(value: str | None, today: date) -> date:
    if value is None:
        previous = today.replace(day=1) - timedelta(days=1)
        return previous.replace(day=1)
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValidationFailed([FieldError("month", "Укажите месяц как ГГГГ-ММ")]) from None


def demo_month(
    session: Session,
    mo_code: str,
    month: str | None = None,
    calls_per_day: int = 200,
    seed: int = 2026,
    today: date | None = None,
    questionnaire_path: Path | None = None,
) -> str:
    """`python -m dispatcher demo-month`: generate and store a month; a Russian summary."""
    mo_id, districts = mo_layout(session, mo_code)
    zone = ZoneInfo(
        session.scalar(
            select(tables.MedicalOrganization.timezone).where(
                tables.MedicalOrganization.id == mo_id
            )
        )
        or "Europe/Moscow"
    )
    first = _month_start(month, today or datetime.now(zone).date())
    generated = generate_month(
        first,
        districts,
        seed=seed,
        calls_per_day=calls_per_day,
        zone=zone,
        questionnaire=load_questionnaire(questionnaire_path),
    )
    if generated.now > datetime.now(zone):
        raise ValidationFailed([FieldError("month", "Месяц ещё не закончился")])
    store_month(session, mo_code, generated)
    cards = sum(c.card is not None for c in generated.calls)
    return (
        f"Демонстрационный месяц {first:%m.%Y} загружен в МО {mo_code}: "
        f"{len(generated.calls)} вызовов, {cards} карт обслуживания.\n"
        f"Аналитика: /desk/analytics?first={generated.first}&last={generated.last} "
        "(для ролей «Руководитель» и «Администратор МО»)"
    )
