"""A patient takes back one request: the call is cancelled only when nobody else asked for it.

A call may carry several requests (channels) of the same patient — the portal's, the bot's, a
phone call. Cancelling through one channel withdraws that channel's request; while another
request remains the call stays open, and the history and an event say so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dispatcher.services.events import emit
from dispatcher.services.lifecycle import Actor, CallLifecycle, load_for_update, status_event
from dispatcher.storage import tables
from dispatcher.storage.calls import add_history, channels_of, remove_channel
from intake_core.errors import Conflict
from intake_core.status import Action, CallStatus, next_status

WITHDRAW_ACTION = "withdraw"


def withdrawn_message(number: int, status: CallStatus) -> str:
    """What the channel's patient reads after taking their request back."""
    if not status.is_open:
        return f"Ваше обращение отозвано. Карта вызова № {number}: {status.label}"
    return (
        f"Ваше обращение отозвано, но вызов № {number} не отменён: о нём просили и по другому "
        "обращению. Чтобы отменить вызов полностью, позвоните в регистратуру поликлиники."
    )


@dataclass(frozen=True, slots=True)
class Withdrawal:
    row: tables.CallRow
    cancelled: bool  # False: the call stays open for the other requests


def withdraw(
    session: Session,
    actor: Actor,
    call_id: int,
    channel: tuple[str, str],
    reason: str,
    now: datetime | None = None,
) -> Withdrawal:
    """Cancel the call for the patient of `channel`, or only detach that request when the call
    carries others; Conflict when this channel's request is not (or no longer) on the call.
    Every patient-facing cancel (the portal's, the bot's) goes through here; an operator's
    cancel (`CallLifecycle.cancel`) closes the whole call, a person having decided."""
    now = now or datetime.now(UTC)
    row = load_for_update(session, call_id, actor)
    current = CallStatus(row.status)
    next_status(current, Action.CANCEL)  # a closed call: IllegalTransition, as a cancel would
    attached = channels_of(session, call_id)
    if channel not in attached:
        # already taken back, or the call was asked for through another channel only: that
        # request is not this channel's to cancel
        raise Conflict(
            "Ваше обращение уже отозвано или вызов оформлен по другому обращению: "
            "отменить его можно в регистратуре поликлиники"
        )
    if all(other == channel for other in attached):
        cancelled = CallLifecycle(session, actor, now).cancel(call_id, reason)
        return Withdrawal(cancelled, cancelled=True)
    remove_channel(session, call_id, *channel)
    row.updated_at = now
    note = (
        f"{reason.strip()}. Обращение отозвано по этому каналу; вызов остаётся открытым: "
        "о нём просили и по другим обращениям"
    )
    add_history(session, row.id, now, actor.name, WITHDRAW_ACTION, current, current, note)
    session.flush()
    mo_code = session.get(tables.MedicalOrganization, row.mo_id)
    emit(
        session,
        "call.status_changed",
        status_event(
            row,
            mo_code.code if mo_code else "",
            WITHDRAW_ACTION,
            current,
            actor.name,
            note,
            now,
            channel_kind=channel[0],
        ),
    )
    return Withdrawal(row, cancelled=False)
