"""Whatever no other handler took: a pointer to the menu, or a stale button acknowledged."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts


async def anything(message: Message) -> None:
    await message.answer(texts.MENU, reply_markup=keyboards.menu())


async def stale(query: CallbackQuery) -> None:
    await query.answer(texts.STALE_BUTTON)


def router() -> Router:
    """The fallback handlers, registered in the order they must match."""
    router = Router(name="fallback")
    router.message.register(anything)
    router.callback_query.register(stale)
    return router
