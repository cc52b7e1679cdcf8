"""An aiogram session that speaks MAX: the Bot API methods the dialog calls become MAX calls.

aiogram's `Bot` stays the handlers' one way to talk; this session replaces its HTTP layer (the
idea of aiogram-max, which needs Python 3.12). Errors come back as aiogram's exceptions, so the
dialog's error handler and the notifier treat a MAX failure as they treat Telegram's.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    DeleteMyCommands,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendChatAction,
    SendMessage,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, User

from bots.ids import MessageIds, to_max
from bots.max import protocol
from bots.max.api import MaxApi, MaxApiError
from bots.max.translate import attachments_of


class MaxSession(BaseSession):
    """Sends what the dialog says through `MaxApi` (which already retries 429 and 5xx)."""

    messenger = "max"

    def __init__(self, api: MaxApi, message_ids: MessageIds) -> None:
        super().__init__()
        self.max_api = api
        self.message_ids = message_ids

    async def close(self) -> None:
        await self.max_api.close()

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("the bot downloads no files")
        yield b""  # pragma: no cover

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        try:
            result: Any = await self._call(bot, method)
        except MaxApiError as exc:
            raise _aiogram_error(method, exc) from exc
        return result

    async def _call(self, bot: Bot, method: TelegramMethod[Any]) -> object:
        api = self.max_api
        if isinstance(method, SendMessage):
            chat_id = int(method.chat_id)
            body: dict[str, Any] = {
                "text": method.text,
                "attachments": attachments_of(method.reply_markup),
            }
            sent = protocol.SendMessageResult.model_validate(
                await api.request("POST", "/messages", {"user_id": to_max(chat_id)}, body)
            )
            number = self.message_ids.number(sent.message.body.mid, method.text)
            return self._message(bot, chat_id, number, method.text or "")
        if isinstance(method, EditMessageText):
            mid = self._mid(method, method.message_id)
            body = {
                "text": method.text,
                "attachments": attachments_of(method.reply_markup),
            }
            await api.request("PUT", "/messages", {"message_id": mid}, body)
            self.message_ids.number(mid, method.text)
            chat_id = int(method.chat_id or 0)
            return self._message(bot, chat_id, int(method.message_id or 0), method.text or "")
        if isinstance(method, EditMessageReplyMarkup):
            mid = self._mid(method, method.message_id)
            body = {"attachments": attachments_of(method.reply_markup)}
            text = self.message_ids.text(int(method.message_id or 0))
            if text is not None:  # MAX edits the whole message: the text goes along unchanged
                body["text"] = text
            await api.request("PUT", "/messages", {"message_id": mid}, body)
            return True
        if isinstance(method, DeleteMessage):
            mid = self._mid(method, method.message_id)
            await api.request("DELETE", "/messages", {"message_id": mid})
            return True
        if isinstance(method, AnswerCallbackQuery):
            if method.text:  # a press needs no answer otherwise: the edit that follows is one
                await api.request(
                    "POST",
                    "/answers",
                    {"callback_id": method.callback_query_id},
                    {"notification": method.text},
                )
            return True
        if isinstance(method, SetMyCommands):
            commands = [{"name": c.command, "description": c.description} for c in method.commands]
            await api.request("PATCH", "/me/commands", body={"commands": commands})
            return True
        if isinstance(method, SendChatAction | DeleteMyCommands | DeleteWebhook):
            return True
        if isinstance(method, GetMe):
            return User(id=bot.id, is_bot=True, first_name="MAX")
        raise TelegramBadRequest(method, f"{type(method).__name__} is not available on MAX")

    def _mid(self, method: TelegramMethod[Any], number: int | None) -> str:
        mid = self.message_ids.mid(int(number or 0))
        if mid is None:
            raise TelegramBadRequest(method, "message to edit not found")
        return mid

    @staticmethod
    def _message(bot: Bot, chat_id: int, number: int, text: str) -> Message:
        return Message.model_validate(
            {
                "message_id": number,
                "date": int(time.time()),
                "chat": Chat(id=chat_id, type="private"),
                "from": User(id=bot.id, is_bot=True, first_name="MAX"),
                "text": text,
            },
            context={"bot": bot},
        )


def _aiogram_error(method: TelegramMethod[Any], exc: MaxApiError) -> TelegramAPIError:
    """MAX's status as the aiogram exception the dialog and the notifier already handle."""
    text = f"MAX: {exc.code}: {exc.message}"
    if exc.status == 429:
        return TelegramRetryAfter(method, text, max(1, math.ceil(exc.retry_after)))
    if exc.status == 0:
        return TelegramNetworkError(method, text)
    if exc.status >= 500:
        return TelegramServerError(method, text)
    if exc.status == 401:
        return TelegramUnauthorizedError(method, text)
    if exc.status == 403:
        return TelegramForbiddenError(method, text)
    if exc.status == 404:
        return TelegramBadRequest(method, f"chat not found ({text})")
    return TelegramBadRequest(method, text)
