"""The one place errors meet the user: a Russian message, never a stack trace."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import ErrorEvent

from bots import texts
from bots.context import BotContext
from intake_core.errors import DomainError

log = logging.getLogger(__name__)


def _chat_id(event: ErrorEvent) -> int | None:
    update = event.update
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None and update.callback_query.message is not None:
        return update.callback_query.message.chat.id
    return None


async def on_error(event: ErrorEvent, bot: Bot, ctx: BotContext) -> bool:
    """Domain errors are shown as they are; anything else is logged and apologised for."""
    chat_id = _chat_id(event)
    error = event.exception
    if isinstance(error, TelegramForbiddenError):
        if chat_id is not None:
            await ctx.deactivate(chat_id)
        return True
    if isinstance(error, DomainError):
        text = error.message
    else:
        # no message text: it may hold complaints or personal data
        log.error(
            "update %s failed: %s",
            event.update.update_id,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__),
        )
        text = texts.INTERNAL_ERROR
    if chat_id is not None:
        try:
            await bot.send_message(chat_id, text)
        except TelegramForbiddenError:
            await ctx.deactivate(chat_id)
    return True


def router() -> Router:
    """The error handler for every update."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
