"""Which chats hear about an event and what they read: status, number, date, doctor, MO only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bots import texts
from dispatcher.services.messenger.notices import IntakeOutcome, StatusChange
from dispatcher.services.messenger.notices import Notices as NoticeFacts
from intake_core.status import CallStatus


@dataclass(frozen=True, slots=True)
class Notice:
    """One message for one chat; `key` makes it go out once whatever the redeliveries."""

    chat_id: int
    key: str
    text: str


class Notices:
    """Renders the patient's message from what the dispatcher tells of an event."""

    def __init__(self, facts: NoticeFacts, phone_for: Callable[[str | None], str | None]) -> None:
        self.facts = facts
        self.phone_for = phone_for  # the polyclinic's number by MO code

    def for_event(self, event: dict[str, Any]) -> list[Notice]:
        found = self.facts.facts(event)
        if isinstance(found, IntakeOutcome):
            return [Notice(found.chat_id, found.key, self._intake_text(found))]
        if isinstance(found, StatusChange):
            text = self._text(found)
            if text is None:
                return []
            return [Notice(chat, found.key, text) for chat in found.chat_ids]
        return []

    @staticmethod
    def _intake_text(outcome: IntakeOutcome) -> str:
        if outcome.kind == "call.merged":
            assert outcome.call_number is not None
            return texts.merged(outcome.call_number)
        if outcome.kind == "intake.rejected":
            return texts.rejected(list(outcome.errors))
        return texts.emergency(list(outcome.reasons) or ["признаки неотложного состояния"])

    def _text(self, change: StatusChange) -> str | None:
        action, number, mo_name = change.action, change.number, change.mo_name
        if action in {"create", "accept"}:
            if change.to_status == CallStatus.PENDING.value:
                return texts.pending(number, mo_name)
            return texts.accepted(number, change.planned_date, mo_name)
        if action == "assign":
            return texts.assigned(number, change.doctor or "—", change.planned_date, change.window)
        if action == "unassign":
            return texts.unassigned(number)
        if action == "serve":
            return texts.served(number)
        if action == "cancel":
            return texts.cancelled(number, self.phone_for(change.mo_code))
        if action == "transfer":
            return texts.transferred(number, change.transfer_mo or "", change.new_number)
        return None  # transfer_in: the patient already heard «передан» with the new number

    def claim(self, notice: Notice, now: datetime) -> bool:
        """Take the notice for sending; False when it was sent (or is being sent) already."""
        return self.facts.claim(notice.chat_id, notice.key, now)

    def release(self, notice: Notice) -> None:
        """The send failed for a passing reason: let a redelivery try again."""
        self.facts.release(notice.chat_id, notice.key)
