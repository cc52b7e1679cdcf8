"""Talking to the Bot API politely: wait out 429, back off on 5xx, stop at a blocked chat."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 60.0


class RetryMiddleware(BaseRequestMiddleware):
    """Retries a request after 429 (as long as Telegram asks) and after 5xx (exponential)."""

    def __init__(self, attempts: int = 5, backoff: float = 0.5, cap: float = 10.0) -> None:
        self.attempts = attempts
        self.backoff = backoff
        self.cap = cap

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):  # the polling loop has its own backoff
            return await make_request(bot, method)  # type: ignore[arg-type]
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts:
                    raise
                log.warning(
                    "telegram 429 on %s: waiting %s s", type(method).__name__, exc.retry_after
                )
                await asyncio.sleep(min(float(exc.retry_after), MAX_RETRY_AFTER))
            except (TelegramServerError, TelegramNetworkError) as exc:
                if attempt == self.attempts:
                    raise
                log.warning(
                    "telegram %s on %s: retry in %.1f s",
                    type(exc).__name__,
                    type(method).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.cap)
        raise AssertionError("unreachable")


class HeldResponseTypes(BaseRequestMiddleware):
    """Keeps aiogram's `Response[T]` models alive for the life of the bot.

    pydantic caches parametrized generic models in a WeakValueDictionary; a garbage collection
    drops them and the next request of that method rebuilds the model (several ms of CPU on the
    event loop, every update waiting behind it). One strong reference per return type ends that.
    """

    def __init__(self) -> None:
        self._held: dict[Any, type[Response[Any]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._held:
            self._held[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


class Delivery(enum.StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # the user blocked the bot or deleted the chat: stop sending there
    FAILED = "failed"  # Telegram kept failing: try again later


async def deliver(
    bot: Bot, chat_id: int, text: str, on_blocked: Callable[[int], Awaitable[None]]
) -> Delivery:
    """Send one message; a blocked chat is reported through `on_blocked` and never retried."""
    try:
        await bot.send_message(chat_id, text)
    except TelegramForbiddenError:
        await on_blocked(chat_id)
        return Delivery.BLOCKED
    except TelegramBadRequest as exc:
        if "chat not found" in exc.message.casefold():
            await on_blocked(chat_id)
            return Delivery.BLOCKED
        log.warning("telegram refused a message to chat %s: %s", chat_id, exc.message)
        return Delivery.BLOCKED
    except (TelegramRetryAfter, TelegramServerError, TelegramNetworkError) as exc:
        log.warning("telegram unavailable for chat %s: %s", chat_id, type(exc).__name__)
        return Delivery.FAILED
    return Delivery.SENT
