"""Status notifications: a Redis consumer group over the event stream, acked after sending."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from aiogram import Bot
from redis.exceptions import RedisError, ResponseError

from bots.errors import scrubbed
from bots.ids import Messenger, messenger_of
from bots.notices import Notices
from bots.sender import Delivery, deliver
from dispatcher.outages import Outage, is_database_outage, is_redis_outage

log = logging.getLogger(__name__)

BATCH = 50
BLOCK_MS = 1000
STALE_MS = 60_000  # a message pending this long at a dead instance is taken over


async def ensure_group(client: aioredis.Redis, stream: str, group: str, start: str = "$") -> None:
    """Create the consumer group (once, for every instance), at the stream's end by default."""
    try:
        await client.xgroup_create(stream, group, id=start, mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


class Notifier:
    """Each event is handled once across bot instances; failed sends stay pending and retry."""

    def __init__(
        self,
        bot: Bot,
        client: aioredis.Redis,
        notices: Notices,
        stream: str,
        group: str,
        on_blocked: Callable[[int], Awaitable[None]],
        consumer: str | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        messenger: Messenger = Messenger.TELEGRAM,
    ) -> None:
        self.bot = bot
        self.client = client
        self.notices = notices
        self.stream = stream
        self.group = group
        self.on_blocked = on_blocked
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.on_event = on_event  # synchronous work an event triggers before the notices
        self.retry_delay = 1.0
        self.messenger = messenger  # chats of the other messenger are its own bot's to reach

    async def run(self, stop: asyncio.Event) -> None:
        outage = Outage("Redis (bot notifier)", log)
        database = Outage("PostgreSQL (bot notifier)", log)
        grouped = False
        while not stop.is_set():
            try:
                if not grouped:  # again after Redis came back without it
                    await ensure_group(self.client, self.stream, self.group)
                    grouped = True
                failed = await self.step()
                outage.ok()
                if not failed:
                    database.ok()
            except RedisError as exc:
                if isinstance(exc, ResponseError) and "NOGROUP" in str(exc):
                    grouped = False
                    continue
                if is_redis_outage(exc):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), outage.failed(exc))
                    grouped = False
                    continue
                log.error("notifier step failed: %s", scrubbed(exc))
                failed = True
            except Exception as exc:  # a bad event or a database outage must not stop them
                if is_database_outage(exc):
                    database.failed(exc)  # logged once; the backoff below retries
                else:
                    log.error("notifier step failed: %s", scrubbed(exc))
                failed = True
            if failed:
                # back off, then the pending entries are read again
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.retry_delay)
                self.retry_delay = min(self.retry_delay * 2, 30.0)
            else:
                self.retry_delay = 1.0

    async def step(self) -> bool:
        """Take over stale entries, retry own pending ones, then wait for new; True on failure."""
        claimed: Any = await self.client.xautoclaim(
            self.stream, self.group, self.consumer, STALE_MS, "0-0", count=BATCH
        )
        entries: list[tuple[Any, dict[Any, Any]]] = list(claimed[1]) if claimed else []
        pending: Any = await self.client.xreadgroup(
            self.group, self.consumer, {self.stream: "0"}, count=BATCH
        )
        for _name, items in pending or []:
            entries.extend(item for item in items if item[1])
        if not entries:
            fresh: Any = await self.client.xreadgroup(
                self.group, self.consumer, {self.stream: ">"}, count=BATCH, block=BLOCK_MS
            )
            for _name, items in fresh or []:
                entries.extend(items)
        failed = False
        for entry_id, fields in entries:
            if await self.handle(fields):
                await self.client.xack(self.stream, self.group, entry_id)
            else:
                failed = True
        return failed

    async def handle(self, fields: dict[Any, Any]) -> bool:
        """Send what the event means to every linked chat; False if any send must be retried."""
        raw = fields.get(b"data") or fields.get("data")
        if raw is None:
            return True
        event = json.loads(raw)
        if self.on_event is not None:
            await asyncio.to_thread(self.on_event, event)
        notices = await asyncio.to_thread(self.notices.for_event, event)
        ok = True
        for notice in notices:
            if messenger_of(notice.chat_id) is not self.messenger:
                continue
            claimed = await asyncio.to_thread(self.notices.claim, notice, datetime.now(UTC))
            if not claimed:
                continue
            result = await deliver(self.bot, notice.chat_id, notice.text, self.on_blocked)
            if result is Delivery.FAILED:
                await asyncio.to_thread(self.notices.release, notice)
                ok = False
        return ok
