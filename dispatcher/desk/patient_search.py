"""Patient search for the new call form: by policy, phone or name, with their calls."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from dispatcher.storage.calls import doctor_name
from intake_core.call import VisitAddress
from intake_core.phones import InvalidPhone, normalize_phone
from intake_core.status import CallStatus

MAX_PATIENTS = 10
MAX_CALLS = 20


@dataclass(frozen=True, slots=True)
class FoundPatient:
    id: int
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date | None
    sex: str | None
    policy_series: str | None
    policy_number: str | None
    phone: str | None
    address: str | None


@dataclass(frozen=True, slots=True)
class FoundCall:
    id: int
    number: int
    patient: str
    doctor: str | None
    address: str
    created: str
    status: str
    is_open: bool


@dataclass(frozen=True, slots=True)
class SearchResult:
    by: str  # "policy", "phone" or "name": what the query was read as
    patients: list[FoundPatient]
    calls: list[FoundCall]


def _kind_of(query: str) -> tuple[str, str]:
    digits = re.sub(r"\D", "", query)
    if digits and len(digits) == len(re.sub(r"[\s()+\-]", "", query)):
        if len(digits) == 16 or (len(digits) >= 6 and not digits.startswith(("7", "8", "9"))):
            return "policy", digits
        try:
            phone = normalize_phone(query)
        except InvalidPhone:
            phone = None
        return ("phone", phone) if phone else ("policy", digits)
    return "name", " ".join(query.split())


def search_patients(session: Session, mo_id: int, query: str) -> SearchResult:
    """Up to 10 patients and 20 calls of our MO matching the query, open calls first."""
    by, value = _kind_of(query)
    patient_q = select(tables.PatientRecord).where(tables.PatientRecord.mo_id == mo_id)
    call_q = select(tables.CallRow).where(tables.CallRow.mo_id == mo_id)
    if by == "policy":
        patient_q = patient_q.where(tables.PatientRecord.policy_number.startswith(value))
        call_q = call_q.where(tables.CallRow.policy_number.startswith(value))
    elif by == "phone":
        patient_q = patient_q.where(tables.PatientRecord.phone == value)
        call_q = call_q.where(
            or_(tables.CallRow.phone == value, tables.CallRow.caller_phone == value)
        )
    else:
        words = value.split()
        if not words or len(words[0]) < 2:
            return SearchResult(by, [], [])
        for column_p, column_c, word in zip(
            (
                tables.PatientRecord.last_name,
                tables.PatientRecord.first_name,
                tables.PatientRecord.middle_name,
            ),
            (tables.CallRow.last_name, tables.CallRow.first_name, tables.CallRow.middle_name),
            words,
            strict=False,
        ):
            # SQLite folds only ASCII case, so try the spellings people type and store
            spellings = {word.capitalize(), word.casefold(), word.upper()}
            patient_q = patient_q.where(or_(*(column_p.startswith(w) for w in spellings)))
            call_q = call_q.where(or_(*(column_c.startswith(w) for w in spellings)))
    patients = [
        FoundPatient(
            p.id,
            p.last_name,
            p.first_name,
            p.middle_name,
            p.birth_date,
            p.sex,
            p.policy_series,
            p.policy_number,
            p.phone,
            p.address,
        )
        for p in session.scalars(
            patient_q.order_by(tables.PatientRecord.last_name).limit(MAX_PATIENTS)
        )
    ]
    rows = session.scalars(call_q.order_by(tables.CallRow.created_at.desc()).limit(MAX_CALLS))
    doctors = {d.id: doctor_name(d) for d in session.scalars(select(tables.Doctor))}
    calls = [
        FoundCall(
            id=row.id,
            number=row.number,
            patient=" ".join(p for p in (row.last_name, row.first_name, row.middle_name) if p),
            doctor=doctors.get(row.doctor_id) if row.doctor_id else None,
            address=_address_line(row.address),
            created=f"{row.created_at:%d.%m.%Y}",
            status=CallStatus(row.status).label,
            is_open=CallStatus(row.status).is_open,
        )
        for row in rows
    ]
    calls.sort(key=lambda c: not c.is_open)
    return SearchResult(by, patients, calls)


def _address_line(address: dict[str, Any]) -> str:
    return VisitAddress(**address).one_line
