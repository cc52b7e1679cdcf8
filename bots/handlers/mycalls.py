"""/my: the patient's calls with their status, and cancelling one with a reason."""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import CancelDraft, Cancelling, load, save
from bots.dto import Sender, sender_of
from bots.handlers.flow import require_phone
from bots.handlers.typed import TYPED, text_is


async def my_calls(message: Message, state: FSMContext, ctx: BotContext) -> None:
    phone = await require_phone(message, ctx)
    if not phone:
        return
    await state.clear()
    chat_id = sender_of(message).chat_id
    calls = await ctx.calls.list(chat_id, phone)
    if not calls:
        await message.answer(texts.NO_CALLS)
        return
    lines = [texts.call_line(c.number, c.status_label, c.planned_date, c.person) for c in calls]
    await message.answer(
        "\n".join([texts.MY_CALLS, *lines]), reply_markup=keyboards.cancellable(calls)
    )


async def pick(
    query: CallbackQuery, callback_data: keyboards.CancelPick, state: FSMContext, ctx: BotContext
) -> None:
    await query.answer()
    assert isinstance(query.message, Message)
    sender = sender_of(query)
    phone = (await ctx.profiles.get(sender.user_id)).phone
    call = await ctx.calls.get(sender.chat_id, phone, callback_data.call_id)
    await state.clear()
    await state.set_state(Cancelling.reason)
    await save(state, CancelDraft(call_id=call.id, number=call.number))
    await query.message.answer(
        texts.ASK_CANCEL_REASON.format(number=call.number), reply_markup=keyboards.reasons()
    )


async def _cancel(
    message: Message, state: FSMContext, ctx: BotContext, sender: Sender, reason: str
) -> None:
    draft = await load(state, CancelDraft)
    if draft is None:
        await message.answer(texts.STALE_BUTTON)
        return
    await state.clear()
    phone = (await ctx.profiles.get(sender.user_id)).phone
    done = await asyncio.to_thread(ctx.calls.cancel, sender.chat_id, phone, draft.call_id, reason)
    number = done.call.number
    answer = texts.cancelled_by_patient(number) if done.cancelled else texts.withdrawn(number)
    await message.answer(answer, reply_markup=keyboards.menu())


async def keep(query: CallbackQuery, state: FSMContext) -> None:
    """«Назад» from the reasons: «Отменить №…» was tapped by mistake, the call stays."""
    draft = await load(state, CancelDraft)
    if draft is None or not isinstance(query.message, Message):
        await query.answer(texts.STALE_BUTTON)
        return
    await query.answer()
    await state.clear()
    await query.message.answer(texts.kept(draft.number), reply_markup=keyboards.menu())


async def reason_button(
    query: CallbackQuery, callback_data: keyboards.Reason, state: FSMContext, ctx: BotContext
) -> None:
    await query.answer()
    assert isinstance(query.message, Message)
    reason = texts.CANCEL_REASONS[callback_data.index % len(texts.CANCEL_REASONS)]
    await _cancel(query.message, state, ctx, sender_of(query), reason)


async def reason_text(message: Message, state: FSMContext, ctx: BotContext) -> None:
    reason = " ".join((message.text or "").split())
    if len(reason) > texts.MAX_CANCEL_REASON:  # asked to shorten, never cut unseen
        await message.answer(texts.reason_too_long(len(reason)), reply_markup=keyboards.reasons())
        return
    await _cancel(message, state, ctx, sender_of(message), reason)


def router() -> Router:
    """The mycalls handlers, registered in the order they must match."""
    router = Router(name="mycalls")
    router.message.register(my_calls, Command("my"))
    router.message.register(my_calls, text_is(texts.MENU_MY))
    router.callback_query.register(pick, keyboards.CancelPick.filter())
    router.callback_query.register(
        keep, Cancelling.reason, keyboards.Back.filter(F.step == "cancel_reason")
    )
    router.callback_query.register(reason_button, Cancelling.reason, keyboards.Reason.filter())
    router.message.register(reason_text, Cancelling.reason, TYPED)
    return router
