"""A local Bot API server on 127.0.0.1: long-poll updates, messages, callbacks, failures."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from tests.bots.fake_messenger import FakeMessenger

TOKEN = "123456:FAKE-telegram-token"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Поликлиника", "username": "clinic_bot"}


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request the bot made: the method, its decoded parameters, when it arrived."""

    method: str
    params: dict[str, Any]
    at: float
    failed: bool = False  # answered with an injected error

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data) of an inline keyboard; (text, "") for reply buttons."""
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass(slots=True)
class Failure:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeTelegram(FakeMessenger[Recorded, Failure]):
    """Speaks the Bot API over HTTP the way aiogram's aiohttp session calls it; an update's
    `update_id` is its sequence number in `delivered` and `pushes`."""

    secret_header: ClassVar[str] = SECRET_HEADER

    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    webhook_url: str | None = None  # set by setWebhook: updates are then pushed, not polled
    webhook_secret: str | None = None

    def _route(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self._handle)

    def _called(self, request: Recorded) -> str:
        return request.method

    # --- failures on demand -------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        status: int,
        description: str = "",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        self._fail(method, Failure(status, description, retry_after), times)

    # --- updates ------------------------------------------------------------------------
    async def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """A new update: queued for getUpdates, or POSTed to the webhook when one is set."""
        update = {"update_id": next(self._seq), **update}
        if self.webhook_url is not None:
            await self.push(update)
            return update
        await self._queue(update["update_id"], update)
        return update

    async def push(self, update: dict[str, Any]) -> int:
        """POST one update to the webhook as Telegram does (again, for a redelivery)."""
        assert self.webhook_url is not None, "no webhook set"
        return await self._post(self.webhook_url, self.webhook_secret, update["update_id"], update)

    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Пациент", "language_code": "ru"}

    def _chat(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "type": "private", "first_name": "Пациент"}

    async def message(self, user_id: int, text: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self._chat(user_id),
            "from": self._user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            body["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return await self.inject({"message": body})

    async def media(self, user_id: int, kind: str) -> dict[str, Any]:
        """A message without text: `kind` is "voice", "photo" or "sticker"."""
        content: dict[str, Any] = {
            "voice": {"file_id": "voice-1", "file_unique_id": "v1", "duration": 7},
            "photo": [{"file_id": "photo-1", "file_unique_id": "p1", "width": 640, "height": 480}],
            "sticker": {
                "file_id": "sticker-1",
                "file_unique_id": "s1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            },
        }
        body = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self._chat(user_id),
            "from": self._user(user_id),
            kind: content[kind],
        }
        return await self.inject({"message": body})

    async def deliver_again(self, update: dict[str, Any]) -> dict[str, Any]:
        """The same message once more under a new update id, as after a lost getUpdates answer."""
        return await self.inject({k: v for k, v in update.items() if k != "update_id"})

    async def contact(self, user_id: int, phone: str, owner_id: int | None) -> dict[str, Any]:
        contact: dict[str, Any] = {"phone_number": phone, "first_name": "Пациент"}
        if owner_id is not None:
            contact["user_id"] = owner_id
        body = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self._chat(user_id),
            "from": self._user(user_id),
            "contact": contact,
        }
        return await self.inject({"message": body})

    async def callback(self, user_id: int, data: str, message_id: int) -> dict[str, Any]:
        query = {
            "id": str(next(self._ids)),
            "from": self._user(user_id),
            "chat_instance": f"ci-{user_id}",
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(user_id),
                "from": BOT_USER,
                "text": "…",
            },
            "data": data,
        }
        return await self.inject({"callback_query": query})

    # --- what the bot sent ----------------------------------------------------------------
    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.method == method and (chat_id is None or r.chat_id == chat_id)
        ]

    # --- the Bot API ------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data)
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            text = value if isinstance(value, str) else ""
            try:
                params[key] = json.loads(text)
            except ValueError:
                params[key] = text
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        failure = self._next_failure(method)
        await self._record(Recorded(method, params, time.perf_counter(), failure is not None))
        if failure is not None:
            return self._error(failure.status, failure.description, failure.retry_after)
        if method == "getUpdates":
            if self.webhook_url is not None:
                return self._error(409, "Conflict: can't use getUpdates while webhook is active")
            return self._ok(await self._get_updates(params))
        handler = _METHODS.get(method)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        return self._ok(handler(self, params))

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        return [update for _, update in await self._take(offset, timeout, limit)]

    def _sent_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        return {
            "message_id": int(params.get("message_id") or next(self._ids)),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": BOT_USER,
            "text": params.get("text", "…"),
        }

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = str(params.get("url") or "") or None
        self.webhook_secret = params.get("secret_token")
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = self.webhook_secret = None
        return True

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)


_METHODS: dict[str, Any] = {
    "getMe": lambda self, p: BOT_USER,
    "deleteWebhook": FakeTelegram._delete_webhook,
    "setWebhook": FakeTelegram._set_webhook,
    "setMyCommands": lambda self, p: True,
    "answerCallbackQuery": lambda self, p: True,
    "sendChatAction": lambda self, p: True,
    "sendMessage": FakeTelegram._sent_message,
    "editMessageText": FakeTelegram._sent_message,
    "editMessageReplyMarkup": FakeTelegram._sent_message,
}
