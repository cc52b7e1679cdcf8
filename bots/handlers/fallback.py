"""Whatever no other handler took: within a dialog, an answer in the current step (the step is
kept); outside one, a pointer to the menu; a stale button acknowledged."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import CallDraft, load


def _kind(message: Message) -> str:
    if message.voice or message.audio or message.video_note:
        return "voice"
    if message.photo or message.sticker or message.animation or message.video:
        return "picture"
    return "other"


async def anything(message: Message, state: FSMContext, ctx: BotContext) -> None:
    if await state.get_state() is None:
        await message.answer(texts.MENU, reply_markup=keyboards.menu())
        return
    if message.text:  # typed where a button is expected (the summary, a saved address)
        await message.answer(texts.USE_BUTTONS)
        return
    draft = await load(state, CallDraft)
    mo_code = draft.address.mo_code if draft and draft.address else None
    phone = await asyncio.to_thread(ctx.services.clinics.phone, mo_code)
    await message.answer(texts.not_text(_kind(message), phone))


async def stale(query: CallbackQuery) -> None:
    await query.answer(texts.STALE_BUTTON)


def router() -> Router:
    """The fallback handlers, registered in the order they must match."""
    router = Router(name="fallback")
    router.message.register(anything)
    router.callback_query.register(stale)
    return router
