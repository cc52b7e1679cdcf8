"""Live desk updates: one Redis pub/sub subscription per web process, fanned out to WebSockets.

The outbox relay publishes every committed event on the `events` channel; each web process
subscribes once and forwards an event to the desk sockets of that event's MO. A socket only
learns *that* a call changed (ids and statuses, no personal data); the page then re-fetches
the row and the counters over HTTP with the user's own permissions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis
import redis.asyncio as aioredis
from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from dispatcher.desk.auth import user_of
from dispatcher.services.events import EVENTS_CHANNEL
from dispatcher.storage import tables

log = logging.getLogger(__name__)

QUEUE_LIMIT = 256
RESYNC = json.dumps({"type": "resync"})
FORWARDED_KEYS = ("type", "call_id", "call_number", "mo_code", "action", "from", "to", "at")
CLOSE_UNAUTHORIZED = 4401
CLOSE_FOREIGN_ORIGIN = 4403
CARDS_CHANNEL = "desk:phone-cards"  # caller cards from the AMI listener
CONTROL_CHANNEL = "desk:control"  # a user switched off or given a new password: close their sockets
SIGNED_OUT = json.dumps({"type": "signed_out"})

router = APIRouter(prefix="/desk", include_in_schema=False)


@dataclass(eq=False)
class DeskSocket:
    """One open desk socket: its MO and the messages waiting to be sent."""

    mo_code: str
    interface: str | None = None  # the user's phone (users.interface): caller cards go here only
    user_id: int | None = None
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))

    def offer(self, message: str) -> None:
        """Queue without waiting; a socket that cannot keep up is told to resync instead."""
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)


def _async_client(client: redis.Redis) -> aioredis.Redis:
    """An asyncio client to the same Redis as the process's synchronous one (TCP or socket)."""
    kwargs = client.connection_pool.connection_kwargs
    keep = {k: kwargs[k] for k in ("host", "port", "db", "username", "password") if k in kwargs}
    if "path" in kwargs:
        pool = aioredis.ConnectionPool(
            connection_class=aioredis.UnixDomainSocketConnection,
            path=kwargs["path"],
            db=kwargs.get("db", 0),
        )
    else:
        pool = aioredis.ConnectionPool(**keep)
    return aioredis.Redis(connection_pool=pool)


class LiveHub:
    """The process's subscription to `events` and the sockets it feeds, grouped by MO."""

    def __init__(
        self,
        client: redis.Redis,
        cards_channel: str = CARDS_CHANNEL,
        control_channel: str = CONTROL_CHANNEL,
    ) -> None:
        self._sync_client = client
        self._cards_channel = cards_channel
        self._control_channel = control_channel
        self._sockets: dict[str, set[DeskSocket]] = {}
        self._phones: dict[str, set[DeskSocket]] = {}  # agent interface → its desk sockets
        self._task: asyncio.Task[None] | None = None
        self._client: aioredis.Redis | None = None
        self._subscribed = asyncio.Event()
        self.delivered = 0

    @property
    def size(self) -> int:
        return sum(len(group) for group in self._sockets.values())

    async def join(
        self, mo_code: str, interface: str | None = None, user_id: int | None = None
    ) -> DeskSocket:
        """Register a socket; the subscription starts with the first one."""
        if self._task is None:
            self._client = _async_client(self._sync_client)
            self._task = asyncio.create_task(self._listen(), name="desk-live-hub")
        socket = DeskSocket(mo_code, interface, user_id)
        self._sockets.setdefault(mo_code, set()).add(socket)
        if interface:
            self._phones.setdefault(interface, set()).add(socket)
        await asyncio.wait_for(self._subscribed.wait(), timeout=5)
        return socket

    def leave(self, socket: DeskSocket) -> None:
        group = self._sockets.get(socket.mo_code)
        if group is not None:
            group.discard(socket)
        if socket.interface:
            self._phones.get(socket.interface, set()).discard(socket)

    def dispatch(self, data: bytes | str) -> None:
        """Forward one event to the sockets of its MO (ids and statuses only)."""
        try:
            event: dict[str, Any] = json.loads(data)
        except ValueError:
            return
        mo_code = event.get("mo_code")
        if not isinstance(mo_code, str):
            return
        message = json.dumps({k: event[k] for k in FORWARDED_KEYS if k in event})
        for socket in self._sockets.get(mo_code, ()):
            socket.offer(message)
            self.delivered += 1

    def dispatch_card(self, data: bytes | str) -> None:
        """A caller card goes only to the sockets of the user at that phone, in that MO."""
        try:
            card: dict[str, Any] = json.loads(data)
        except ValueError:
            return
        interface, mo_code = card.get("interface"), card.get("mo_code")
        if card.get("type") != "caller_card" or not isinstance(interface, str):
            return
        message = data.decode() if isinstance(data, bytes) else data
        for socket in self._phones.get(interface, ()):
            if socket.mo_code == mo_code:
                socket.offer(message)
                self.delivered += 1

    def dispatch_control(self, data: bytes | str) -> None:
        """A signed-out user's sockets are told so and closed (they would carry nothing new)."""
        try:
            notice: dict[str, Any] = json.loads(data)
        except ValueError:
            return
        user_id = notice.get("user_id")
        if notice.get("type") != "signout" or not isinstance(user_id, int):
            return
        for group in self._sockets.values():
            for socket in group:
                if socket.user_id == user_id:
                    socket.offer(SIGNED_OUT)

    def _resync_all(self) -> None:
        for group in self._sockets.values():
            for socket in group:
                socket.offer(RESYNC)

    async def _listen(self) -> None:
        assert self._client is not None
        first = True
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(
                        EVENTS_CHANNEL, self._cards_channel, self._control_channel
                    )
                    self._subscribed.set()
                    if not first:  # events may have been missed while away
                        self._resync_all()
                    first = False
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        channel = message["channel"]
                        if channel in (self._cards_channel, self._cards_channel.encode()):
                            self.dispatch_card(message["data"])
                        elif channel in (self._control_channel, self._control_channel.encode()):
                            self.dispatch_control(message["data"])
                        else:
                            self.dispatch(message["data"])
            except redis.RedisError as exc:
                log.warning("desk live hub: Redis unavailable (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers always send Origin on WebSockets; another site's page must not ride our cookie."""
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


def _interface_of(websocket: WebSocket, user_id: int) -> str | None:
    """The agent interface in the user's profile, e.g. `PJSIP/102`."""
    with websocket.app.state.services.db.session() as session:
        user = session.get(tables.User, user_id)
        return user.interface if user is not None and user.interface else None


def signout(client: redis.Redis, user_id: int, channel: str = CONTROL_CHANNEL) -> None:
    """Close the user's open desk sockets in every web process (after their sessions ended)."""
    try:
        client.publish(channel, json.dumps({"type": "signout", "user_id": user_id}))
    except (
        redis.RedisError
    ) as exc:  # their sockets stay open but carry ids only; pages need a login
        log.warning("desk: sign-out notice not published (%s)", type(exc).__name__)


async def _send(websocket: WebSocket, socket: DeskSocket) -> None:
    while True:
        message = await socket.queue.get()
        await websocket.send_text(message)
        if message == SIGNED_OUT:
            await websocket.close(code=CLOSE_UNAUTHORIZED)
            return


@router.websocket("/ws")
async def live(websocket: WebSocket) -> None:
    """The desk's live channel: event notices for the signed-in user's MO."""
    if not _same_origin(websocket):
        await websocket.close(code=CLOSE_FOREIGN_ORIGIN)
        return
    user = await run_in_threadpool(user_of, websocket)
    if user is None:
        await websocket.close(code=CLOSE_UNAUTHORIZED)
        return
    await websocket.accept()
    hub: LiveHub = websocket.app.state.desk_hub
    interface = await run_in_threadpool(_interface_of, websocket, user.id)
    socket = await hub.join(user.mo_code, interface, user.id)
    sender = asyncio.create_task(_send(websocket, socket))
    try:
        await websocket.send_text(json.dumps({"type": "hello", "mo_code": user.mo_code}))
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
    except WebSocketDisconnect:
        pass
    finally:
        hub.leave(socket)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
