"""Storage of call service cards and doctors' live states; rows become domain objects here."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from dispatcher.storage.calls import doctor_name
from dispatcher.storage.dispatch_tables import CallServiceCard
from dispatcher.storage.dispatch_tables import DoctorState as DoctorStateRow
from intake_core.call import ServiceResult
from intake_core.doctor_state import DoctorState
from intake_core.errors import NotFound
from intake_core.questionnaire import Questionnaire, Urgency, Walk
from intake_core.service_card import ServiceCard, ServiceRecord


@dataclass(frozen=True, slots=True)
class LiveState:
    """A doctor's state now and the call it is about, with that call's urgency if coded."""

    state: DoctorState
    since: datetime
    call_id: int | None
    call_urgency: Urgency | None


def _login(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.scalar(select(tables.User.login).where(tables.User.id == user_id))


def _to_card(session: Session, row: CallServiceCard) -> ServiceCard:
    doctor = session.get(tables.Doctor, row.sent_doctor_id) if row.sent_doctor_id else None
    return ServiceCard(
        call_id=row.call_id,
        questionnaire_id=row.questionnaire_id,
        questionnaire_version=row.questionnaire_version,
        branch=row.branch,
        answers=tuple((a["question"], a["answer"]) for a in row.answers),
        reason_code=row.reason_code,
        reason_text=row.reason_text,
        urgency=Urgency(row.urgency),
        coded_by=_login(session, row.coded_by_user_id),
        coded_at=row.coded_at,
        sent_letter=row.sent_letter,
        sent_doctor_id=row.sent_doctor_id,
        sent_doctor=doctor_name(doctor) if doctor else None,
        sent_by=_login(session, row.sent_by_user_id),
        override_reason=row.override_reason,
        sent_at=row.sent_at,
        postfactum_letter=row.postfactum_letter,
        departed_at=row.departed_at,
        arrived_at=row.arrived_at,
        finished_at=row.finished_at,
        result=ServiceResult(row.result_code) if row.result_code else None,
        result_reason=row.result_reason,
        remarks=row.remarks,
        recorded_at=row.recorded_at,
    )


def load_card(session: Session, call_id: int) -> ServiceCard | None:
    row = session.get(CallServiceCard, call_id)
    return _to_card(session, row) if row else None


def save_reason(
    session: Session,
    call_id: int,
    questionnaire: Questionnaire,
    walk: Walk,
    user_id: int | None,
    now: datetime,
) -> ServiceCard:
    """Write the reason code a finished questionnaire gave, with the operator and the time;
    the call's complaints carry the code too (the API and the bot show it)."""
    outcome = walk.outcome
    assert outcome is not None, "only an outcome gives a reason code"
    call = session.get(tables.CallRow, call_id)
    if call is None:
        raise NotFound("Вызов не найден")
    row = session.get(CallServiceCard, call_id)
    if row is None:
        row = CallServiceCard(call_id=call_id)
        session.add(row)
    row.questionnaire_id = questionnaire.id
    row.questionnaire_version = questionnaire.version
    row.branch = outcome.id
    row.answers = walk.transcript()
    row.reason_code = outcome.code
    row.reason_letter = outcome.letter
    row.reason_text = outcome.text
    row.urgency = outcome.urgency.value
    row.coded_by_user_id = user_id
    row.coded_at = now
    call.complaints = {**call.complaints, "reason_code": outcome.code}
    session.flush()
    return _to_card(session, row)


def save_sent(
    session: Session,
    call_id: int,
    doctor_id: int,
    letter: str | None,
    user_id: int | None,
    override_reason: str | None,
    now: datetime,
) -> None:
    """The doctor sent, and why when not the table's suggestion; an uncoded call has no card."""
    row = session.get(CallServiceCard, call_id)
    if row is None:
        return
    row.sent_letter = letter
    row.sent_doctor_id = doctor_id
    row.sent_by_user_id = user_id
    row.override_reason = override_reason
    row.sent_at = now


def mark_trip(
    session: Session, call_id: int, departed_at: datetime | None, arrived_at: datetime | None
) -> None:
    """The doctor left for the call, or arrived: the card's time points."""
    row = session.get(CallServiceCard, call_id)
    if row is None:
        return
    if departed_at and row.departed_at is None:
        row.departed_at = departed_at
    if arrived_at and row.arrived_at is None:
        row.arrived_at = arrived_at


def save_service(session: Session, call_id: int, record: ServiceRecord, now: datetime) -> bool:
    """What the doctor recorded at completion; False when the call has no card (never coded)."""
    row = session.get(CallServiceCard, call_id)
    if row is None:
        return False
    row.postfactum_letter = record.postfactum_letter
    row.departed_at = record.departed_at
    row.arrived_at = record.arrived_at
    row.finished_at = record.finished_at
    row.result_code = record.result.value
    row.result_reason = record.result_reason
    row.remarks = record.remarks
    row.recorded_at = now
    return True


def set_state(
    session: Session, doctor_id: int, state: DoctorState, call_id: int | None, now: datetime
) -> None:
    row = session.get(DoctorStateRow, doctor_id)
    if row is None:
        row = DoctorStateRow(doctor_id=doctor_id)
        session.add(row)
    row.state = state.value
    row.since = now
    row.call_id = call_id if state.needs_call else None
    session.flush()


def live_states(session: Session, doctor_ids: Collection[int]) -> dict[int, LiveState]:
    """The live state of each doctor that has one (no row: free)."""
    if not doctor_ids:
        return {}
    rows = session.execute(
        select(DoctorStateRow, CallServiceCard.urgency)
        .outerjoin(CallServiceCard, CallServiceCard.call_id == DoctorStateRow.call_id)
        .where(DoctorStateRow.doctor_id.in_(list(doctor_ids)))
    ).all()
    return {
        row.doctor_id: LiveState(
            DoctorState(row.state), row.since, row.call_id, Urgency(urgency) if urgency else None
        )
        for row, urgency in rows
    }
