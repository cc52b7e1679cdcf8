"""«Назад» on every step of a new call: one step back, nothing lost, nothing sent."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import CallDraft, NewCall, load
from bots.dto import sender_of
from bots.handlers.flow import (
    ask_address,
    ask_patient,
    proceed,
    show_address,
    show_summary,
    step_back,
)

# a «Назад» button's step → the state it was shown in
STEPS = {
    "patient": NewCall.patient.state,
    "address": NewCall.address.state,
    "address_check": NewCall.address_check.state,
    "address_value": NewCall.address_value.state,
    "details": NewCall.details.state,
    "complaints": NewCall.complaints.state,
    "safety": NewCall.safety.state,
    "summary": NewCall.summary.state,
    "change": NewCall.change.state,
}


async def back(
    query: CallbackQuery, callback_data: keyboards.Back, state: FSMContext, ctx: BotContext
) -> None:
    """The button names the step it was shown on: from an older message it is stale."""
    draft = await load(state, CallDraft)
    step = callback_data.step
    current = await state.get_state()
    shown_on = STEPS.get(step)
    if draft is None or not isinstance(query.message, Message) or current != shown_on:
        await query.answer(texts.STALE_BUTTON)
        return
    await query.answer()
    message = query.message
    sender = sender_of(query)
    if step == "patient":
        await state.clear()
        await message.answer(texts.CANCELLED_DIALOG, reply_markup=keyboards.menu())
    elif step == "address":
        await ask_patient(message, state, ctx, sender, draft)
    elif step == "complaints":
        await ask_address(message, state, ctx, sender, draft)
    elif step in {"safety", "summary"}:
        await step_back(message, state, ctx, sender, draft)
    elif step == "address_value":
        await show_address(message, state, draft.model_copy(update={"editing": None}))
    elif step == "change" and draft.checked:
        await show_summary(message, state, ctx, draft)
    else:  # the address card, the entrance and floor: back to where the dialog was going
        await proceed(message, state, ctx, sender, draft)


def router() -> Router:
    """The «Назад» handler."""
    router = Router(name="back")
    router.callback_query.register(back, keyboards.Back.filter())
    return router
