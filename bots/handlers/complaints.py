"""A new call, second half: complaints, safety questions and triage, 13:00 notice, confirmation."""

from __future__ import annotations

import asyncio
import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import CallDraft, NewCall, load, save
from bots.dto import Sender, sender_of
from bots.handlers import questionnaire
from bots.handlers.flow import after_safety, ask_safety, show_summary, stop_emergency
from bots.handlers.typed import TYPED, typed_answer
from intake_core.call import RedFlag

SUBMITTED_KEY = "submitted_key"


async def toggle_chip(
    query: CallbackQuery, callback_data: keyboards.Chip, state: FSMContext
) -> None:
    await query.answer()
    draft = await load(state, CallDraft)
    if draft is None or not isinstance(query.message, Message):
        return
    chips = set(draft.chips) ^ {callback_data.index}
    draft = draft.model_copy(update={"chips": sorted(chips)})
    await save(state, draft)
    with contextlib.suppress(TelegramBadRequest):  # «message is not modified» on a fast double tap
        await query.message.edit_reply_markup(reply_markup=keyboards.chips(draft.chips))


async def free_text(message: Message, state: FSMContext) -> None:
    draft = await load(state, CallDraft)
    if draft is None:
        return
    text = " ".join((message.text or "").split())[:500]
    draft = draft.model_copy(update={"free_text": [*draft.free_text, text]})
    await save(state, draft)
    await message.answer(
        texts.complaints_noted(draft.complaints_text(texts.CHIPS)),
        reply_markup=keyboards.chips(draft.chips),
    )


async def complaints_done(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    draft = await load(state, CallDraft)
    if draft is None or not isinstance(query.message, Message):
        await query.answer()
        return
    text = draft.complaints_text(texts.CHIPS)
    if not text:
        await query.answer(texts.NO_COMPLAINTS, show_alert=True)
        return
    await query.answer()
    born = draft.patient.birth_date if draft.patient else None
    # typed lines were triaged as they came; the chips with them are checked here
    flags = list(ctx.submission.assess(text, born).red_flags)
    if flags:
        await stop_emergency(query.message, state, ctx, sender_of(query), draft, flags)
        return
    await questionnaire.begin(query.message, state, ctx, sender_of(query), draft)


async def _safety(
    message: Message,
    state: FSMContext,
    ctx: BotContext,
    sender: Sender,
    draft: CallDraft,
    yes: bool,
) -> None:
    code, _, reason = texts.SAFETY_QUESTIONS[draft.safety_step]
    if yes:
        flag = RedFlag(f"bot_{code}", reason)
        await stop_emergency(message, state, ctx, sender, draft, [flag])
        return
    draft = draft.model_copy(update={"safety_step": draft.safety_step + 1})
    if draft.safety_step < len(texts.SAFETY_QUESTIONS):
        await ask_safety(message, state, draft)
    else:
        await after_safety(message, state, ctx, draft)


async def safety_answer(
    query: CallbackQuery, callback_data: keyboards.Answer, state: FSMContext, ctx: BotContext
) -> None:
    await query.answer()
    draft = await load(state, CallDraft)
    if draft is None or not isinstance(query.message, Message):
        return
    if callback_data.step != draft.safety_step:
        return  # a tap on an older question
    await _safety(query.message, state, ctx, sender_of(query), draft, callback_data.yes)


async def typed_safety(message: Message, state: FSMContext, ctx: BotContext) -> None:
    """«да» or «нет» typed instead of pressed; anything else asks the question again."""
    draft = await load(state, CallDraft)
    if draft is None:
        return
    index = typed_answer(message.text, [texts.YES, texts.NO])
    if index is None:
        await message.answer(texts.ANSWER_WITH_BUTTON)
        await ask_safety(message, state, draft)
        return
    await _safety(message, state, ctx, sender_of(message), draft, index == 0)


async def cutoff(
    query: CallbackQuery, callback_data: keyboards.Proceed, state: FSMContext, ctx: BotContext
) -> None:
    await query.answer()
    draft = await load(state, CallDraft)
    if draft is None or not isinstance(query.message, Message):
        return
    if not callback_data.go:
        await state.clear()
        await query.message.answer(texts.CANCELLED_DIALOG, reply_markup=keyboards.menu())
        return
    await show_summary(query.message, state, ctx, draft)


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
    await query.answer()
    if not callback_data.go:
        await state.clear()
        await query.message.answer(texts.CANCELLED_DIALOG, reply_markup=keyboards.menu())
        return
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
    router.callback_query.register(
        toggle_chip, NewCall.complaints, keyboards.Chip.filter(F.index >= 0)
    )
    router.message.register(free_text, NewCall.complaints, TYPED)
    router.callback_query.register(
        complaints_done, NewCall.complaints, keyboards.Chip.filter(F.index < 0)
    )
    router.callback_query.register(safety_answer, NewCall.safety, keyboards.Answer.filter())
    router.message.register(typed_safety, NewCall.safety, TYPED)
    router.callback_query.register(cutoff, NewCall.cutoff, keyboards.Proceed.filter())
    router.callback_query.register(confirm, keyboards.Confirm.filter())
    return router
