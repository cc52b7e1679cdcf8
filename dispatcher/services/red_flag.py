"""A questionnaire's red-flag exit on a stored call: kept on the call and emitted, never dropped.

The new call form refuses to save an emergency (the intake records it as `intake.emergency`);
a call already stored cannot be unsaved, so the exit is written into its complaints and
history, and `call.emergency` tells the adjacent systems. The status stays as it was: the
operator transfers the caller to 112 or cancels the call with a reason.

A possible sign of the NLP triage (`RedFlag.possible`) is the one exception, and only at the
desk: the operator asked the caller and confirmed it is not an emergency, so the call is stored
with its possible signs, and the confirmation is written into its history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.services.events import emit
from dispatcher.services.lifecycle import Actor, load_for_update
from dispatcher.storage import tables
from dispatcher.storage.calls import add_history
from dispatcher.storage.references import MoContext
from intake_core.call import RedFlag
from intake_core.errors import DomainError
from intake_core.intake import EMERGENCY_ADVICE, Formalized
from intake_core.phones import mask_phone
from intake_core.questionnaire import Exit
from intake_core.status import CallStatus

log = logging.getLogger(__name__)

ACTION = "red_flag"  # call_history.action of a recorded exit (no status change)
FLAG_PREFIX = "questionnaire:"  # red flag code of an exit, beside the NLP triage's codes
CONFIRMED_ACTION = "not_emergency_confirmed"  # call_history.action: possible signs cleared


@dataclass(frozen=True, slots=True)
class RecordedExit:
    """The exit as the call keeps it: when it was recorded, and whether by this request."""

    call_number: int
    at: datetime
    new: bool


def _history_reason(exit_: Exit) -> str:
    return f"Опросник: {exit_.reason}. Не вызов врача на дом — сказано звонить 103/112"


def record_exit(
    session: Session, call_id: int, exit_: Exit, actor: Actor, now: datetime
) -> RecordedExit:
    """Record the exit once per call: a second run of the same exit finds the first record."""
    row = load_for_update(session, call_id, actor)
    complaints = dict(row.complaints or {})
    flags = list(complaints.get("red_flags") or [])
    code = FLAG_PREFIX + exit_.id
    if any(flag.get("code") == code for flag in flags):
        at = session.scalar(
            select(tables.CallHistory.at)
            .where(tables.CallHistory.call_id == row.id, tables.CallHistory.action == ACTION)
            .where(tables.CallHistory.reason == _history_reason(exit_))
            .order_by(tables.CallHistory.at)
        )
        return RecordedExit(row.number, at or now, new=False)
    flags.append({"code": code, "reason": exit_.reason})
    row.complaints = {**complaints, "red_flags": flags, "emergency": True}
    row.emergency = True
    row.updated_at = now
    status = CallStatus(row.status)
    add_history(session, row.id, now, actor.name, ACTION, status, status, _history_reason(exit_))
    mo_code = session.scalar(
        select(tables.MedicalOrganization.code).where(tables.MedicalOrganization.id == row.mo_id)
    )
    emit(
        session,
        "call.emergency",
        {
            "type": "call.emergency",
            "call_id": row.id,
            "call_number": row.number,
            "mo_code": mo_code,
            "status": row.status,
            "red_flag": code,
            "actor": actor.name,
            "at": now.isoformat(),
        },
    )
    log.warning("call %s: questionnaire exit %s recorded, caller sent to 103/112", row.id, code)
    return RecordedExit(row.number, now, new=True)


def only_possible(flags: tuple[RedFlag, ...]) -> bool:
    """Signs a person may clear by asking the caller: some found, none of them certain."""
    return bool(flags) and all(flag.possible for flag in flags)


def confirmation_reason(flags: tuple[RedFlag, ...]) -> str:
    signs = "; ".join(flag.reason for flag in flags)
    return f"Уточнено у звонящего: не экстренный случай. Возможные признаки: {signs}"


def record_not_emergency(
    session: Session, row: tables.CallRow, flags: tuple[RedFlag, ...], actor: str, now: datetime
) -> None:
    """The operator's confirmation that the possible signs are not an emergency: who, when and
    which signs, in the call's history (the signs themselves stay in its complaints)."""
    status = CallStatus(row.status)
    add_history(
        session, row.id, now, actor, CONFIRMED_ACTION, status, status, confirmation_reason(flags)
    )
    log.info(
        "call %s: possible emergency %s cleared by the operator",
        row.id,
        ",".join(flag.code for flag in flags),
    )


def record_emergency(
    session: Session,
    formalized: Formalized,
    mo: MoContext,
    now: datetime,
    intake_id: str | None = None,
    actor: str | None = None,
) -> None:
    """An emergency is never stored as a home visit, but always recorded as an event."""
    valid = formalized.intake
    emit(
        session,
        "intake.emergency",
        {
            "type": "intake.emergency",
            "intake_id": intake_id,
            "mo_code": mo.code,
            "source": valid.source.value,
            "red_flags": [f.code for f in formalized.red_flags],
            "advice": EMERGENCY_ADVICE,
            "actor": actor,
            "at": now.isoformat(),
        },
    )
    log.warning(
        "intake %s: emergency redirected to 103/112 (phone %s)",
        intake_id or "desk",
        mask_phone(valid.phone),
    )


class EmergencyRedirect(DomainError):
    """Triage found red flags: not a home visit; the caller must dial 103/112."""

    code = "emergency"

    def __init__(self, formalized: Formalized) -> None:
        super().__init__(EMERGENCY_ADVICE)
        self.formalized = formalized
