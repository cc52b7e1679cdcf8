"""A local MAX Bot API server on 127.0.0.1: `GET /updates` with a marker, messages, callbacks,
contacts, webhook pushes with the secret header, and 429 or 5xx on demand."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from tests.bots.fake_messenger import FakeMessenger

TOKEN = "fake-max-token-of-the-test-bot"
SECRET_HEADER = "X-Max-Bot-Api-Secret"
BOT_ID = 900001
BOT_USER = {"user_id": BOT_ID, "first_name": "Поликлиника", "is_bot": True}


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request the bot made: `POST /messages` and so on, its query, body and addressee."""

    route: str
    query: dict[str, str]
    body: dict[str, Any]
    at: float
    user_id: int | None  # the MAX user the message went to (or the edited message's user)
    failed: bool = False
    mid: str | None = None  # the message sent or edited

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")

    def buttons(self) -> list[dict[str, Any]]:
        """The buttons of its inline keyboard, row by row flattened."""
        found: list[dict[str, Any]] = []
        for attachment in self.body.get("attachments") or []:
            if attachment.get("type") == "inline_keyboard":
                for row in attachment["payload"]["buttons"]:
                    found.extend(row)
        return found


@dataclass(slots=True)
class Failure:
    status: int
    code: str
    retry_after: int | None = None


@dataclass
class FakeMax(FakeMessenger[Recorded, Failure]):
    """Speaks the MAX Bot API over HTTP as the published schema describes it."""

    secret_header: ClassVar[str] = SECRET_HEADER

    _mids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _callbacks: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # mid → stored message
    last_mid: dict[int, str] = field(default_factory=dict)  # user → the bot's latest message
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)

    def _route(self, app: web.Application) -> None:
        app.router.add_route("*", "/{path:.*}", self._handle)

    def _called(self, request: Recorded) -> str:
        return request.route

    def fail_next(
        self, route: str, status: int, retry_after: int | None = None, times: int = 1
    ) -> None:
        """The next `times` requests of `route` («POST /messages») fail with `status`."""
        code = "too.many.requests" if status == 429 else "internal.error"
        self._fail(route, Failure(status, code, retry_after), times)

    # --- what a patient does --------------------------------------------------------------
    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        return {"user_id": user_id, "first_name": "Пациент", "last_name": None, "is_bot": False}

    def incoming(self, user_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """A message from the patient to the bot, with a new `mid`."""
        return {
            "sender": self._user(user_id),
            "recipient": {"chat_id": 70_000_000 + user_id, "chat_type": "dialog"},
            "timestamp": int(time.time() * 1000),
            "body": {"mid": f"mid.in{next(self._mids)}", "seq": 0, **body},
        }

    async def inject(self, update: dict[str, Any]) -> int:
        """A new update, its sequence number returned: kept for `GET /updates`, or pushed when a
        webhook is subscribed."""
        seq = next(self._seq)
        if self.subscriptions:
            await self.push(seq, update)
            return seq
        await self._queue(seq, update)
        return seq

    async def push(self, seq: int, update: dict[str, Any]) -> int:
        """POST one update to the subscribed webhook (again, for a redelivery)."""
        subscription = self.subscriptions[-1]
        return await self._post(subscription["url"], subscription.get("secret"), seq, update)

    async def started(self, user_id: int, payload: str | None = None) -> int:
        """The patient opened the bot («Начать»): `bot_started`."""
        return await self.inject(
            {
                "update_type": "bot_started",
                "timestamp": int(time.time() * 1000),
                "chat_id": 70_000_000 + user_id,
                "user": self._user(user_id),
                "payload": payload,
            }
        )

    async def message(self, user_id: int, text: str) -> int:
        return await self.inject(
            {
                "update_type": "message_created",
                "timestamp": int(time.time() * 1000),
                "message": self.incoming(user_id, {"text": text}),
                "user_locale": "ru",
            }
        )

    async def contact(self, user_id: int, phone: str, owner_id: int | None) -> int:
        """A contact card: a `request_contact` answer carries the sender's own `max_info`."""
        digits = phone.lstrip("+")
        payload: dict[str, Any] = {
            "vcf_info": f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Пациент\r\nTEL;TYPE=cell:{digits}\r\n"
            "END:VCARD",
        }
        if owner_id is not None:
            payload["max_info"] = self._user(owner_id)
        body = {"text": None, "attachments": [{"type": "contact", "payload": payload}]}
        return await self.inject(
            {
                "update_type": "message_created",
                "timestamp": int(time.time() * 1000),
                "message": self.incoming(user_id, body),
            }
        )

    async def callback(self, user_id: int, payload: str, mid: str) -> int:
        """A press of a callback button on the bot's message `mid`."""
        stored = self.messages.get(mid)
        return await self.inject(
            {
                "update_type": "message_callback",
                "timestamp": int(time.time() * 1000),
                "callback": {
                    "timestamp": int(time.time() * 1000),
                    "callback_id": f"cb{next(self._callbacks)}",
                    "payload": payload,
                    "user": self._user(user_id),
                },
                "message": stored,
                "user_locale": "ru",
            }
        )

    # --- what the bot sent ----------------------------------------------------------------
    def sent(self, user_id: int | None = None) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.route == "POST /messages"
            and not r.failed
            and (user_id is None or r.user_id == user_id)
        ]

    # --- the Bot API --------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != TOKEN:
            return self._error(401, "verify.token", "Invalid access_token")
        route = f"{request.method} /{request.match_info['path']}"
        query = dict(request.query)
        body: dict[str, Any] = {}
        if request.can_read_body:
            data = await request.json()
            body = data if isinstance(data, dict) else {}
        failure = self._next_failure(route)
        stored = None
        if failure is None and route == "POST /messages" and "user_id" in query:
            stored = self._store(query, body)
        user_id = self._addressee(query)
        mid = stored["body"]["mid"] if stored else query.get("message_id")
        await self._record(
            Recorded(route, query, body, time.perf_counter(), user_id, failure is not None, mid)
        )
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return self._error(failure.status, failure.code, "injected", headers)
        if route == "GET /updates":
            if self.subscriptions:
                return self._error(405, "method.not.allowed", "a webhook is subscribed")
            return web.json_response(await self._get_updates(query))
        if route == "POST /messages":
            if stored is None:
                return self._error(400, "proto.payload", "user_id or chat_id is required")
            return web.json_response({"message": stored})
        if route in {"PUT /messages", "DELETE /messages"}:
            mid = query.get("message_id", "")
            if mid not in self.messages:
                return self._error(404, "not.found", "message not found")
            if route == "PUT /messages":
                self._edit(self.messages[mid], body)
            else:
                self.messages.pop(mid)
            return web.json_response({"success": True})
        if route == "POST /answers":
            if not query.get("callback_id"):
                return self._error(400, "proto.payload", "callback_id is required")
            return web.json_response({"success": True})
        if route == "PATCH /me/commands":
            self.commands = list(body.get("commands") or [])
            return web.json_response({"commands": self.commands})
        if route == "GET /me":
            return web.json_response({**BOT_USER, "commands": self.commands})
        if route == "GET /subscriptions":
            return web.json_response({"subscriptions": self.subscriptions})
        if route == "POST /subscriptions":
            self.subscriptions = [s for s in self.subscriptions if s["url"] != body.get("url")]
            self.subscriptions.append({**body, "time": int(time.time() * 1000)})
            return web.json_response({"success": True})
        if route == "DELETE /subscriptions":
            self.subscriptions = [s for s in self.subscriptions if s["url"] != query.get("url")]
            return web.json_response({"success": True})
        return self._error(404, "not.found", f"no such method: {route}")

    def _addressee(self, query: dict[str, str]) -> int | None:
        if "user_id" in query:
            return int(query["user_id"])
        stored = self.messages.get(query.get("message_id", ""))
        return stored["recipient"]["user_id"] if stored else None

    async def _get_updates(self, query: dict[str, str]) -> dict[str, Any]:
        """Updates from `marker` on (the ones before it are committed), waiting `timeout`."""
        marker = int(query["marker"]) if query.get("marker") else None
        timeout = float(query.get("timeout") or 30)
        limit = int(query.get("limit") or 100)
        batch = await self._take(marker or 0, timeout, limit)
        if not batch:
            return {"updates": [], "marker": marker}
        return {"updates": [u for _, u in batch], "marker": batch[-1][0] + 1}

    def _store(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        user_id = int(query["user_id"])
        message: dict[str, Any] = {
            "sender": BOT_USER,
            "recipient": {
                "chat_id": 70_000_000 + user_id,
                "chat_type": "dialog",
                "user_id": user_id,
            },
            "timestamp": int(time.time() * 1000),
            "body": {
                "mid": f"mid.out{next(self._mids)}",
                "seq": 0,
                "text": body.get("text"),
                "attachments": body.get("attachments") or [],
            },
        }
        self.messages[message["body"]["mid"]] = message
        self.last_mid[user_id] = message["body"]["mid"]
        return message

    @staticmethod
    def _edit(message: dict[str, Any], body: dict[str, Any]) -> None:
        if body.get("text") is not None:
            message["body"]["text"] = body["text"]
        if body.get("attachments") is not None:
            message["body"]["attachments"] = body["attachments"]

    @staticmethod
    def _error(
        status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        return web.json_response({"code": code, "message": message}, status=status, headers=headers)
