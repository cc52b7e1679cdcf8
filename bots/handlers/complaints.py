"""A new call, second half: the complaint, the red-flag question, the summary and sending."""

from __future__ import annotations

import asyncio
import uuid

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import CallDraft, NewCall, load, save
from bots.dto import Sender, sender_of
from bots.handlers.flow import (
    KEY_PREFIX,
    MISTAKEN_KEY,
    ask_address,
    ask_complaints,
    ask_details,
    ask_patient,
    ask_safety,
    begin_questions,
    more_complaint,
    proceed,
    show_address,
    stop_emergency,
)
from bots.handlers.typed import TYPED, typed_answer
from intake_core.call import RedFlag

SUBMITTED_KEY = "submitted_key"


async def chip(
    query: CallbackQuery, callback_data: keyboards.Chip, state: FSMContext, ctx: BotContext
) -> None:
    """One tap is the whole complaint: on to the questions."""
    await query.answer()
    draft = await load(state, CallDraft)
    if draft is None or not isinstance(query.message, Message):
        return
    if not 0 <= callback_data.index < len(texts.CHIPS):
        await query.answer(texts.STALE_BUTTON)
        return
    draft = draft.model_copy(update={"chips": [callback_data.index], "free_text": []}).unchecked()
    await _complaint(query.message, state, ctx, sender_of(query), draft)


async def free_text(message: Message, state: FSMContext, ctx: BotContext) -> None:
    """The complaint in the patient's words (triaged already); a very long one is asked again
    shorter rather than cut without a word."""
    draft = await load(state, CallDraft)
    if draft is None:
        return
    text = " ".join((message.text or "").split())
    if len(text) > texts.MAX_COMPLAINT:
        await message.answer(texts.too_long(len(text)), reply_markup=keyboards.chips())
        return
    draft = draft.model_copy(update={"chips": [], "free_text": [text]}).unchecked()
    await _complaint(message, state, ctx, sender_of(message), draft)


async def _complaint(
    message: Message, state: FSMContext, ctx: BotContext, sender: Sender, draft: CallDraft
) -> None:
    born = draft.patient.birth_date if draft.patient else None
    # a typed line was triaged as it came; a chip is checked here (a fever in an infant)
    flags = list(ctx.submission.assess(draft.complaints_text(texts.CHIPS), born).red_flags)
    if flags:
        await stop_emergency(message, state, ctx, sender, draft, flags)
        return
    await proceed(message, state, ctx, sender, draft)


async def _safety(
    message: Message,
    state: FSMContext,
    ctx: BotContext,
    sender: Sender,
    draft: CallDraft,
    yes: bool,
) -> None:
    if yes:
        flag = RedFlag("bot_red_flag", texts.SAFETY_REASON)
        await stop_emergency(message, state, ctx, sender, draft, [flag], undo=True)
        return
    await proceed(message, state, ctx, sender, draft.model_copy(update={"checked": True}))


async def safety_answer(
    query: CallbackQuery, callback_data: keyboards.Answer, state: FSMContext, ctx: BotContext
) -> None:
    await query.answer()
    draft = await load(state, CallDraft)
    if draft is None or not isinstance(query.message, Message):
        return
    await _safety(query.message, state, ctx, sender_of(query), draft, callback_data.yes)


async def typed_safety(message: Message, state: FSMContext, ctx: BotContext) -> None:
    """«да» or «нет» typed instead of pressed; other words add to the complaint."""
    draft = await load(state, CallDraft)
    if draft is None:
        return
    index = typed_answer(message.text, [texts.YES, texts.NO])
    if index is None:
        await ask_safety(message, state, await more_complaint(message, draft))
        return
    await _safety(message, state, ctx, sender_of(message), draft, index == 0)


async def undo(
    query: CallbackQuery, callback_data: keyboards.Undo, state: FSMContext, ctx: BotContext
) -> None:
    """«Да» was a mistake: the same call (a new key — the emergency stays recorded) at the
    red-flag question again."""
    raw = (await state.get_data()).get(MISTAKEN_KEY)
    if raw is None or not isinstance(query.message, Message):
        await query.answer(texts.STALE_BUTTON)
        return
    stopped = CallDraft.model_validate(raw)
    if stopped.key[:KEY_PREFIX] != callback_data.key:
        await query.answer(texts.STALE_BUTTON)
        return
    await query.answer()
    await state.set_data({})
    draft = stopped.model_copy(update={"key": uuid.uuid4().hex}).unchecked()
    await begin_questions(query.message, state, ctx, sender_of(query), draft)


async def change(
    query: CallbackQuery, callback_data: keyboards.Change, state: FSMContext, ctx: BotContext
) -> None:
    """«Изменить» on the summary: what to change, then that step, then the summary again."""
    await query.answer()
    draft = await load(state, CallDraft)
    if draft is None or not isinstance(query.message, Message):
        return
    sender = sender_of(query)
    part = callback_data.part
    if part == "menu":
        await save(state, draft)
        await state.set_state(NewCall.change)
        await query.message.answer(texts.WHAT_TO_CHANGE, reply_markup=keyboards.changes())
    elif part == "patient":
        await ask_patient(query.message, state, ctx, sender, draft.unchecked())
    elif part == "address" and draft.address is not None:
        await show_address(query.message, state, draft)
    elif part == "address":
        await ask_address(query.message, state, ctx, sender, draft)
    elif part == "details":
        await ask_details(query.message, state, draft)
    elif part == "complaint":
        await ask_complaints(query.message, state, draft)


async def confirm(
    query: CallbackQuery, callback_data: keyboards.Confirm, state: FSMContext, ctx: BotContext
) -> None:
    """Submit once: the draft key is the Idempotency-Key, so a double tap makes one call."""
    assert isinstance(query.message, Message)
    draft = await load(state, CallDraft)
    if draft is None or draft.key != callback_data.key:
        data = await state.get_data()
        already = data.get(SUBMITTED_KEY) == callback_data.key
        await query.answer(texts.ALREADY_SUBMITTED if already else texts.NOTHING_TO_CONFIRM)
        return
    if not callback_data.go or await state.get_state() != NewCall.summary.state:
        await query.answer(texts.STALE_BUTTON)
        return
    await query.answer()
    sender = sender_of(query)
    phone = (await ctx.profiles.get(sender.user_id)).phone
    assert phone and draft.address is not None
    created = await asyncio.to_thread(ctx.submission.submit, draft, phone, sender.chat_id)
    await state.clear()
    await state.set_data({SUBMITTED_KEY: draft.key})
    if not created:
        await query.message.answer(texts.ALREADY_SUBMITTED, reply_markup=keyboards.menu())
        return
    await asyncio.to_thread(ctx.addresses.remember, sender.user_id, draft.address)
    ctx.profiles.forget(sender.user_id)
    await query.message.answer(texts.SUBMITTED, reply_markup=keyboards.menu())


def router() -> Router:
    """The complaints handlers, registered in the order they must match."""
    router = Router(name="complaints")
    router.callback_query.register(chip, NewCall.complaints, keyboards.Chip.filter())
    router.message.register(free_text, NewCall.complaints, TYPED)
    router.callback_query.register(safety_answer, NewCall.safety, keyboards.Answer.filter())
    router.message.register(typed_safety, NewCall.safety, TYPED)
    router.callback_query.register(
        change, NewCall.summary, keyboards.Change.filter(F.part == "menu")
    )
    router.callback_query.register(change, NewCall.change, keyboards.Change.filter())
    router.callback_query.register(confirm, keyboards.Confirm.filter())
    router.callback_query.register(undo, keyboards.Undo.filter())
    return router
