"""The one place errors meet the user: a Russian message, never a stack trace."""

from __future__ import annotations

import logging
import traceback

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import ErrorEvent

from bots import texts
from bots.context import BotContext
from intake_core.errors import DomainError

log = logging.getLogger(__name__)


def scrubbed(error: BaseException) -> str:
    """The error's type and stack for the log, without its message: the messages of database
    and validation errors quote the values (phones, policies, complaint text)."""
    stack = "".join(traceback.format_tb(error.__traceback__))
    return f"{type(error).__name__} (message withheld)\n{stack}".rstrip()


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
        log.error("update %s failed: %s", event.update.update_id, scrubbed(error))
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
