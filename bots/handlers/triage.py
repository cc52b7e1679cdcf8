"""Every free text is triaged the moment it arrives, whatever the step: a red flag is answered
with «Срочно звоните 103 или 112» before any further question, recorded, and ends the dialog.

One router, registered before all the others: its filter runs the NLP triage on the text and
matches only when it finds a red flag, so an ordinary text goes on to its step's handler.
Menu buttons, commands, contacts and texts without a letter (a phone, a flat number, a date)
are not free text and are not triaged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiogram import Router
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bots.context import BotContext
from bots.draft import CallDraft, LinkDraft, NewCall, load
from bots.dto import sender_of
from bots.handlers.flow import stop_emergency
from bots.handlers.typed import is_free_text
from intake_core.call import RedFlag

MAX_TEXT = 4096  # a Telegram message at most: all of it is triaged, however long


@dataclass(frozen=True, slots=True)
class Situation:
    """The text in its dialog: what to triage, for whom, and the draft to record it with."""

    text: str
    birth_date: date | None
    draft: CallDraft

    @classmethod
    async def of(cls, state: FSMContext, typed: str) -> Situation:
        line = " ".join(typed.split())[:MAX_TEXT]
        call = await load(state, CallDraft)
        if call is not None:
            # at the complaint step the message is the complaint; elsewhere it adds to it
            replaces = await state.get_state() == NewCall.complaints.state
            kept = [] if replaces else call.free_text
            chips = [] if replaces else call.chips
            draft = call.model_copy(update={"free_text": [*kept, line], "chips": chips})
            born = call.patient.birth_date if call.patient else None
            return cls(line, born, draft)
        linking = await load(state, LinkDraft)
        born = linking.birth_date if linking else None
        return cls(line, born, CallDraft(key=uuid.uuid4().hex, free_text=[line]))


class RedFlags(Filter):
    """Matches free text with red flags in it, handing the flags and the draft on."""

    async def __call__(
        self, message: Message, state: FSMContext, ctx: BotContext
    ) -> bool | dict[str, Any]:
        typed = message.text or message.caption  # a photo's caption is typed words too
        if not is_free_text(typed):
            return False
        situation = await Situation.of(state, typed or "")
        # rules over a short text on the loop: well under a millisecond
        found = ctx.submission.assess(situation.text, situation.birth_date)
        if not found.red_flags:
            return False
        return {"red_flags": list(found.red_flags), "emergency_draft": situation.draft}


async def emergency(
    message: Message,
    state: FSMContext,
    ctx: BotContext,
    red_flags: list[RedFlag],
    emergency_draft: CallDraft,
) -> None:
    await stop_emergency(message, state, ctx, sender_of(message), emergency_draft, red_flags)


def router() -> Router:
    """The triage handler: first among the message handlers."""
    router = Router(name="triage")
    router.message.register(emergency, RedFlags())
    return router
