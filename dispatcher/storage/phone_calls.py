"""Phone calls and the call-back list in the database; rows stay here, plain objects go out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from dispatcher.storage.calls import add_channel
from dispatcher.storage.telephony_tables import CallbackRow, PhoneCallRow
from intake_core.errors import Conflict, NotFound

TELEPHONY_CHANNEL = "telephony"  # call_channels.kind of a call created from a phone call


class Outcome(StrEnum):
    """How a tracked phone call went, as the API reports it."""

    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    ABANDONED = "abandoned"


class CallbackState(StrEnum):
    """A call-back entry: open until the patient is reached or the attempts run out."""

    OPEN = "open"
    REACHED = "reached"
    GIVEN_UP = "given_up"


@dataclass(frozen=True, slots=True)
class PhoneCall:
    """One tracked phone call."""

    linkedid: str
    direction: str
    caller: str | None
    caller_raw: str | None
    outcome: Outcome
    agent_interface: str | None
    agent_name: str | None
    agent_channel: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    hold_seconds: int | None
    transferred_to: str | None
    intake_call_id: int | None
    mo_id: int | None


@dataclass(frozen=True, slots=True)
class Callback:
    """An entry of the call-back list."""

    id: int
    linkedid: str
    phone: str
    called_at: datetime
    wait_seconds: int
    attempts: int
    state: CallbackState
    last_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class AgentUser:
    """The desk user signed up at an agent interface (`users.interface`)."""

    id: int
    login: str
    mo_id: int
    mo_code: str


@dataclass(frozen=True, slots=True)
class PhoneCallFilter:
    outcome: Outcome | None = None
    caller: str | None = None
    agent_interface: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    mo_ids: frozenset[int] | None = None  # None: every MO
    limit: int = 100
    offset: int = 0


def _phone_call(row: PhoneCallRow) -> PhoneCall:
    return PhoneCall(
        linkedid=row.linkedid,
        direction=row.direction,
        caller=row.caller,
        caller_raw=row.caller_raw,
        outcome=Outcome(row.outcome),
        agent_interface=row.agent_interface,
        agent_name=row.agent_name,
        agent_channel=row.agent_channel,
        started_at=row.started_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        hold_seconds=row.hold_seconds,
        transferred_to=row.transferred_to,
        intake_call_id=row.intake_call_id,
        mo_id=row.mo_id,
    )


def _callback(row: CallbackRow) -> Callback:
    return Callback(
        id=row.id,
        linkedid=row.linkedid,
        phone=row.phone,
        called_at=row.called_at,
        wait_seconds=row.wait_seconds,
        attempts=row.attempts,
        state=CallbackState(row.state),
        last_attempt_at=row.last_attempt_at,
    )


def agent_user(session: Session, interface: str) -> AgentUser | None:
    """The active user whose profile names this agent interface (e.g. `PJSIP/102`)."""
    found = session.execute(
        select(tables.User, tables.MedicalOrganization.code)
        .join(tables.MedicalOrganization, tables.MedicalOrganization.id == tables.User.mo_id)
        .where(tables.User.interface == interface, tables.User.active.is_(True))
        .order_by(tables.User.id)
        .limit(1)
    ).first()
    if found is None:
        return None
    user, mo_code = found
    return AgentUser(user.id, user.login, user.mo_id, mo_code)


def mo_id_of(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    return session.scalar(
        select(tables.MedicalOrganization.id).where(tables.MedicalOrganization.code == code)
    )


def _row(session: Session, linkedid: str) -> PhoneCallRow | None:
    return session.scalar(select(PhoneCallRow).where(PhoneCallRow.linkedid == linkedid))


def _ensure(
    session: Session,
    linkedid: str,
    direction: str,
    caller: str | None,
    caller_raw: str | None,
    at: datetime,
    mo_id: int | None,
) -> PhoneCallRow:
    row = _row(session, linkedid)
    if row is None:
        row = PhoneCallRow(
            linkedid=linkedid,
            direction=direction,
            caller=caller,
            caller_raw=caller_raw,
            outcome=Outcome.IN_PROGRESS.value,
            started_at=at,
            mo_id=mo_id,
        )
        session.add(row)
    else:
        row.caller = row.caller or caller
        row.caller_raw = row.caller_raw or caller_raw
        row.mo_id = row.mo_id or mo_id
    return row


def record_started(
    session: Session,
    linkedid: str,
    direction: str,
    caller: str | None,
    caller_raw: str | None,
    at: datetime,
    mo_id: int | None,
    agent_interface: str | None = None,
) -> None:
    row = _ensure(session, linkedid, direction, caller, caller_raw, at, mo_id)
    row.agent_interface = row.agent_interface or agent_interface


def record_answered(
    session: Session,
    linkedid: str,
    direction: str,
    caller: str | None,
    caller_raw: str | None,
    at: datetime,
    mo_id: int | None,
    agent_interface: str,
    agent_name: str | None,
    agent_channel: str,
    hold_seconds: int | None,
) -> None:
    row = _ensure(session, linkedid, direction, caller, caller_raw, at, mo_id)
    row.outcome = Outcome.ANSWERED.value
    row.answered_at = row.answered_at or at
    row.agent_interface = agent_interface
    row.agent_name = agent_name
    row.agent_channel = agent_channel
    row.hold_seconds = hold_seconds if hold_seconds is not None else row.hold_seconds
    if mo_id is not None:
        row.mo_id = mo_id


def record_abandoned(
    session: Session,
    linkedid: str,
    caller: str | None,
    caller_raw: str | None,
    at: datetime,
    hold_seconds: int,
    mo_id: int | None,
) -> None:
    """The caller gave up waiting: the call is abandoned and, with a number, to be called back."""
    row = _ensure(session, linkedid, "inbound", caller, caller_raw, at, mo_id)
    row.outcome = Outcome.ABANDONED.value
    row.hold_seconds = hold_seconds
    _open_callback(session, row, hold_seconds)


def record_ended(
    session: Session,
    linkedid: str,
    reason: str,
    at: datetime,
    talk_seconds: int | None,
    unanswered: bool,
) -> PhoneCall | None:
    """Close the call; unanswered it is abandoned, and an inbound one joins the call-back list."""
    row = _row(session, linkedid)
    if row is None:
        return None
    row.ended_at = row.ended_at or at
    row.end_reason = reason
    row.talk_seconds = talk_seconds if talk_seconds is not None else row.talk_seconds
    if unanswered and row.outcome == Outcome.IN_PROGRESS.value:
        row.outcome = Outcome.ABANDONED.value  # outbound: the patient did not pick up
        if row.direction == "inbound":
            wait = int((at - row.started_at).total_seconds())
            row.hold_seconds = row.hold_seconds if row.hold_seconds is not None else wait
            _open_callback(session, row, row.hold_seconds)
    session.flush()
    return _phone_call(row)


def record_transferred(session: Session, linkedid: str, exten: str, at: datetime) -> None:
    row = _row(session, linkedid)
    if row is not None:
        row.transferred_to = exten
        row.transferred_at = at


def _open_callback(session: Session, row: PhoneCallRow, wait_seconds: int) -> None:
    if row.caller is None:  # withheld number: nobody to call back
        return
    exists = session.scalar(select(CallbackRow.id).where(CallbackRow.linkedid == row.linkedid))
    if exists is None:
        session.add(
            CallbackRow(
                linkedid=row.linkedid,
                phone=row.caller,
                called_at=row.started_at,
                wait_seconds=wait_seconds,
                attempts=0,
                state=CallbackState.OPEN.value,
                mo_id=row.mo_id,
            )
        )


def find_phone_call(session: Session, linkedid: str) -> PhoneCall | None:
    row = _row(session, linkedid)
    return _phone_call(row) if row is not None else None


def list_phone_calls(session: Session, where: PhoneCallFilter) -> list[PhoneCall]:
    """Newest first, filtered."""
    query = select(PhoneCallRow)
    if where.outcome is not None:
        query = query.where(PhoneCallRow.outcome == where.outcome.value)
    if where.caller is not None:
        query = query.where(PhoneCallRow.caller == where.caller)
    if where.agent_interface is not None:
        query = query.where(PhoneCallRow.agent_interface == where.agent_interface)
    if where.since is not None:
        query = query.where(PhoneCallRow.started_at >= where.since)
    if where.until is not None:
        query = query.where(PhoneCallRow.started_at < where.until)
    if where.mo_ids is not None:
        query = query.where(PhoneCallRow.mo_id.in_(where.mo_ids))
    query = query.order_by(PhoneCallRow.started_at.desc(), PhoneCallRow.id.desc())
    rows = session.scalars(query.limit(where.limit).offset(where.offset))
    return [_phone_call(row) for row in rows]


def link_intake_call(session: Session, linkedid: str, call_id: int, at: datetime) -> None:
    """A call created from the caller's card keeps the Linkedid (channel «telephony»)."""
    add_channel(session, call_id, TELEPHONY_CHANNEL, linkedid, at)
    row = _row(session, linkedid)
    if row is not None and row.intake_call_id is None:
        row.intake_call_id = call_id


def open_callbacks(session: Session, mo_id: int) -> list[Callback]:
    """The call-back list of an MO (and of the PBX's unassigned calls), oldest first."""
    rows = session.scalars(
        select(CallbackRow)
        .where(
            CallbackRow.state == CallbackState.OPEN.value,
            or_(CallbackRow.mo_id == mo_id, CallbackRow.mo_id.is_(None)),
        )
        .order_by(CallbackRow.called_at)
    )
    return [_callback(row) for row in rows]


def start_attempt(
    session: Session, callback_id: int, mo_id: int, agent_interface: str, at: datetime
) -> Callback:
    """Count one «Перезвонить»; only an open entry of the user's MO (or no MO) can be rung."""
    row = session.get(CallbackRow, callback_id)
    if row is None or (row.mo_id is not None and row.mo_id != mo_id):
        raise NotFound("Запись списка перезвона не найдена")
    if row.state != CallbackState.OPEN.value:
        raise Conflict("Пациенту уже перезвонили или попытки исчерпаны")
    row.attempts += 1
    row.last_attempt_at = at
    row.last_agent_interface = agent_interface
    session.flush()
    return _callback(row)


def finish_attempt(
    session: Session, callback_id: int, reached: bool, max_attempts: int, at: datetime
) -> Callback | None:
    """The attempt's outcome: reached closes the entry, a miss closes it after `max_attempts`."""
    row = session.get(CallbackRow, callback_id)
    if row is None or row.state != CallbackState.OPEN.value:
        return None
    if reached:
        row.state = CallbackState.REACHED.value
        row.closed_at = at
    elif row.attempts >= max_attempts:
        row.state = CallbackState.GIVEN_UP.value
        row.closed_at = at
    session.flush()
    return _callback(row)
