"""The one place errors meet the user: a Russian message, never a stack trace."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import ErrorEvent, TelegramObject

from bots import texts
from bots.context import BotContext
from dispatcher.outages import Outage, is_database_outage, is_redis_outage
from intake_core.errors import DomainError

log = logging.getLogger(__name__)

# Said instead of silence while PostgreSQL or Redis is down: the bot itself keeps running.
UNAVAILABLE = (
    "Сервис временно недоступен, попробуйте через минуту. "
    "Если срочно нужна помощь — звоните 103 или 112."
)

# One log line when an outage starts and one when it ends, whatever the number of updates.
DATABASE = Outage("PostgreSQL (bot updates)", log)
REDIS = Outage("Redis (bot updates)", log)


def outage_of(error: BaseException) -> Outage | None:
    """The dependency an update failed on, when it failed because that one is down."""
    if is_database_outage(error):
        return DATABASE
    if is_redis_outage(error):
        return REDIS
    return None


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
    outage = outage_of(error)
    if isinstance(error, DomainError):
        text = error.message
    elif outage is not None:
        outage.failed(error)
        text = UNAVAILABLE
    else:
        log.error("update %s failed: %s", event.update.update_id, scrubbed(error))
        text = texts.INTERNAL_ERROR
    if chat_id is not None:
        try:
            await bot.send_message(chat_id, text)
        except TelegramForbiddenError:
            if outage is None:  # marking the chat inactive needs the database
                await ctx.deactivate(chat_id)
    return True


class OutageEnd(BaseMiddleware):
    """After an update went through during an outage, checks the dependency that was down and
    notes its recovery (logged once); an update that never needed it proves nothing."""

    def __init__(
        self,
        database_up: Callable[[], Awaitable[object]],
        redis_up: Callable[[], Awaitable[object]],
    ) -> None:
        self.checks = ((DATABASE, database_up), (REDIS, redis_up))

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        for outage, check in self.checks:
            if outage.active:
                try:
                    await check()
                except Exception as exc:
                    if outage_of(exc) is not outage:
                        raise
                else:
                    outage.ok()
        return result


def router() -> Router:
    """The error handler for every update."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
