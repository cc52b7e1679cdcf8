"""The caller's card: who is calling, their patients and calls, as pushed to the agent's desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from dispatcher.storage.phone_calls import AgentUser
from intake_core.call import VisitAddress
from intake_core.status import CallStatus

MAX_PATIENTS = 10
MAX_CALLS = 10  # open ones first, then the most recent
LOOKUP_LIMIT = 50  # across MOs, before the agent's MO is known


class CardPatient(BaseModel):
    id: int
    name: str
    birth_date: str | None
    address: str | None
    new_call_url: str


class CardCall(BaseModel):
    id: int
    number: int
    patient: str
    address: str
    created: str
    status: str
    is_open: bool
    url: str


class CallerCard(BaseModel):
    """The WebSocket payload for one agent: only that agent's socket ever receives it."""

    type: Literal["caller_card"] = "caller_card"
    linkedid: str
    interface: str
    mo_code: str
    phone: str | None  # E.164; None when the number is withheld
    caller_raw: str | None
    answered_at: datetime
    patients: list[CardPatient]
    calls: list[CardCall]
    new_call_url: str
    callbacks_url: str = "/desk/callbacks"


def _card_call(row: tables.CallRow) -> CardCall:
    status = CallStatus(row.status)
    return CardCall(
        id=row.id,
        number=row.number,
        patient=" ".join(p for p in (row.last_name, row.first_name, row.middle_name) if p),
        address=VisitAddress(**row.address).one_line,
        created=f"{row.created_at:%d.%m.%Y}",
        status=status.label,
        is_open=status.is_open,
        url=f"/desk/calls/{row.id}",
    )


def new_call_url(linkedid: str, patient_id: int | None = None) -> str:
    url = f"/desk/phone/{quote(linkedid, safe='')}/new-call"
    return f"{url}?patient={patient_id}" if patient_id is not None else url


@dataclass(frozen=True, slots=True)
class CallerLookup:
    """What the number is known for, in every MO: prepared while the call still rings."""

    phone: str | None
    patients: tuple[tuple[int, CardPatient], ...] = ()  # (mo_id, patient)
    calls: tuple[tuple[int, CardCall], ...] = ()  # (mo_id, call), open first, then recent


def lookup_caller(session: Session, linkedid: str, phone: str | None) -> CallerLookup:
    """Patients with this number and their calls; a withheld number finds nobody."""
    if phone is None:
        return CallerLookup(None)
    patient_rows = session.scalars(
        select(tables.PatientRecord)
        .where(tables.PatientRecord.phone == phone)
        .order_by(tables.PatientRecord.last_name)
        .limit(LOOKUP_LIMIT)
    )
    patients = tuple(
        (
            p.mo_id,
            CardPatient(
                id=p.id,
                name=" ".join(part for part in (p.last_name, p.first_name, p.middle_name) if part),
                birth_date=f"{p.birth_date:%d.%m.%Y}" if p.birth_date else None,
                address=p.address,
                new_call_url=new_call_url(linkedid, p.id),
            ),
        )
        for p in patient_rows
    )
    call_rows = session.scalars(
        select(tables.CallRow)
        .where(or_(tables.CallRow.phone == phone, tables.CallRow.caller_phone == phone))
        .order_by(tables.CallRow.created_at.desc())
        .limit(LOOKUP_LIMIT)
    )
    calls = sorted(
        ((row.mo_id, _card_call(row)) for row in call_rows), key=lambda c: not c[1].is_open
    )
    return CallerLookup(phone, patients, tuple(calls))


def build_card(
    lookup: CallerLookup,
    agent: AgentUser,
    interface: str,
    linkedid: str,
    caller_raw: str | None,
    answered_at: datetime,
) -> CallerCard:
    """The card for the agent who answered: only what is known in the agent's own MO."""
    return CallerCard(
        linkedid=linkedid,
        interface=interface,
        mo_code=agent.mo_code,
        phone=lookup.phone,
        caller_raw=caller_raw,
        answered_at=answered_at,
        patients=[p for mo_id, p in lookup.patients if mo_id == agent.mo_id][:MAX_PATIENTS],
        calls=[c for mo_id, c in lookup.calls if mo_id == agent.mo_id][:MAX_CALLS],
        new_call_url=new_call_url(linkedid),
    )
