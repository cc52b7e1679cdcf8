"""Flood control: a chat sending more than `limit` updates per `window` seconds is ignored,
except a message that `urgent` says must be read (a red flag is never dropped)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import Chat, TelegramObject, Update

from bots import texts

MAX_TRACKED = 100_000


class Throttling(BaseMiddleware):
    """Sliding window per chat, in process memory: cheap, and each chat polls one instance."""

    def __init__(
        self, limit: int, window: float, urgent: Callable[[str], bool] = lambda _: False
    ) -> None:
        self.limit = limit
        self.window = window
        self.urgent = urgent
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        if chat is None:
            return await handler(event, data)
        now = time.monotonic()
        if len(self._seen) > MAX_TRACKED:
            self._seen.clear()
            self._warned.clear()
        stamps = self._seen.setdefault(chat.id, deque())
        while stamps and now - stamps[0] > self.window:
            stamps.popleft()
        if len(stamps) >= self.limit and not self._urgent(event):
            if now - self._warned.get(chat.id, -self.window) > self.window:
                self._warned[chat.id] = now
                bot: Bot = data["bot"]
                await bot.send_message(chat.id, texts.THROTTLED)
            return None
        stamps.append(now)
        return await handler(event, data)

    def _urgent(self, event: TelegramObject) -> bool:
        message = event.message if isinstance(event, Update) else None
        typed = message.text or message.caption if message is not None else None
        return bool(typed) and self.urgent(typed or "")
