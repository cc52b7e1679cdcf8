"""An update seen once is not handled again: Telegram redelivers after a lost getUpdates answer
or a restart before the offset was confirmed, and a patient's «слабость с утра» must not become
«слабость с утра, слабость с утра» nor a tap move the dialog two steps.

A message is known by its chat and message id (a redelivery may come under a new update id),
a button press by its callback query id, anything else by the update id. The mark is one
`SET NX` in the FSM's Redis with a TTL, taken before the handler runs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis
import redis.asyncio as aioredis
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

log = logging.getLogger(__name__)


def identity(update: Update) -> str:
    """What makes this update the same one when it comes again."""
    if update.message is not None:
        return f"m:{update.message.chat.id}:{update.message.message_id}"
    if update.callback_query is not None:
        return f"c:{update.callback_query.id}"
    return f"u:{update.update_id}"


class SeenUpdates(BaseMiddleware):
    """Outer update middleware: drops an update whose identity was marked within `ttl`."""

    def __init__(self, redis: aioredis.Redis, prefix: str, ttl: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update):
            key = f"{self.prefix}:seen:{identity(event)}"
            try:
                first = await self.redis.set(key, b"1", nx=True, ex=self.ttl)
            except (redis.RedisError, OSError):
                first = True  # Redis is down: the handler answers «недоступен», not silence
            if not first:
                log.info("update %s delivered again: ignored", event.update_id)
                return None
        return await handler(event, data)
