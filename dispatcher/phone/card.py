"""The caller's card: who is calling, their patients and calls, as pushed to the agent's desk."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel
from sqlalchemy.orm import Session

from dispatcher.desk.patient_search import search_patients
from dispatcher.storage.phone_calls import AgentUser


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


def new_call_url(linkedid: str, patient_id: int | None = None) -> str:
    url = f"/desk/phone/{quote(linkedid, safe='')}/new-call"
    return f"{url}?patient={patient_id}" if patient_id is not None else url


def build_card(
    session: Session,
    agent: AgentUser,
    interface: str,
    linkedid: str,
    phone: str | None,
    caller_raw: str | None,
    answered_at: datetime,
) -> CallerCard:
    """Look up the caller's number in the agent's MO: patients, open calls first, then recent."""
    patients: list[CardPatient] = []
    calls: list[CardCall] = []
    if phone is not None:
        found = search_patients(session, agent.mo_id, phone)
        patients = [
            CardPatient(
                id=p.id,
                name=" ".join(part for part in (p.last_name, p.first_name, p.middle_name) if part),
                birth_date=f"{p.birth_date:%d.%m.%Y}" if p.birth_date else None,
                address=p.address,
                new_call_url=new_call_url(linkedid, p.id),
            )
            for p in found.patients
        ]
        calls = [
            CardCall(
                id=c.id,
                number=c.number,
                patient=c.patient,
                address=c.address,
                created=c.created,
                status=c.status,
                is_open=c.is_open,
                url=f"/desk/calls/{c.id}",
            )
            for c in found.calls
        ]
    return CallerCard(
        linkedid=linkedid,
        interface=interface,
        mo_code=agent.mo_code,
        phone=phone,
        caller_raw=caller_raw,
        answered_at=answered_at,
        patients=patients,
        calls=calls,
        new_call_url=new_call_url(linkedid),
    )
