"""The patient's own calls: those made from this chat, or by phone from the shared number."""

from __future__ import annotations

from dataclasses import dataclass

from bots.dto import CallSummary
from bots.ids import messenger_of
from bots.submission import BOT_ACTORS
from bots.texts import STATUS_WORDS
from dispatcher.services.messenger.calls import PatientCall, PatientCalls


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The call after the patient's cancel: closed, or kept open for another request."""

    call: CallSummary
    cancelled: bool


def summary_of(call: PatientCall) -> CallSummary:
    initials = "".join(f" {p[0]}." for p in (call.first_name, call.middle_name) if p)
    return CallSummary(
        id=call.id,
        number=call.number,
        status=call.status.value,
        status_label=STATUS_WORDS[call.status.value],
        planned_date=call.planned_date,
        person=f"{call.last_name}{initials}",
        open=call.status.is_open,
    )


class CallBook:
    """Lists and cancels calls on behalf of one messenger user."""

    def __init__(self, calls: PatientCalls) -> None:
        self.calls = calls

    async def list(self, chat_id: int, phone: str | None) -> list[CallSummary]:
        """The user's latest calls, newest first."""
        return [summary_of(call) for call in await self.calls.list(chat_id, phone)]

    async def get(self, chat_id: int, phone: str | None, call_id: int) -> CallSummary:
        """One of the user's calls; NotFound for anyone else's."""
        return summary_of(await self.calls.get(chat_id, phone, call_id))

    def cancel(self, chat_id: int, phone: str | None, call_id: int, reason: str) -> Cancelled:
        """Take back this chat's request (see `PatientCalls.cancel`)."""
        messenger = messenger_of(chat_id)
        note = f"Отменён пациентом в {messenger.label}: {reason}"
        done = self.calls.cancel(chat_id, phone, call_id, BOT_ACTORS[messenger], note)
        return Cancelled(summary_of(done.call), done.cancelled)
