"""The listener's side of the desk's command stream: a consumer group takes each command once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from dispatcher.outages import Outage, is_redis_outage
from dispatcher.phone.commands import Command, MalformedCommand, decode

log = logging.getLogger(__name__)

GROUP = "listener"


class CommandReader:
    """Reads the stream as the consumer group `listener`: each command is taken once, then acked.

    A command is acknowledged before it runs: after a crash it is not repeated, because
    dialing a patient twice is worse than a missed click the agent can repeat.
    """

    def __init__(self, redis: Redis, stream: str, consumer: str, block_ms: int) -> None:
        self._redis = redis
        self._stream = stream
        self._consumer = consumer
        self._block_ms = block_ms
        self.outage = Outage("Redis (desk command stream)", log)

    async def setup(self) -> None:
        try:
            # "$": commands queued while no listener ran are stale by now (the caller is gone)
            await self._redis.xgroup_create(self._stream, GROUP, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def next_batch(self) -> list[Command]:
        """The next commands; [] after a wait when Redis is down (logged once per outage) and
        the group made anew when Redis came back without it."""
        try:
            answer: Any = await self._redis.xreadgroup(
                GROUP, self._consumer, {self._stream: ">"}, count=10, block=self._block_ms
            )
            entries = [entry for _stream, items in answer or [] for entry in items]
            if entries:
                await self._redis.xack(self._stream, GROUP, *[entry_id for entry_id, _ in entries])
        except RedisError as exc:
            if isinstance(exc, ResponseError) and "NOGROUP" in str(exc):
                with contextlib.suppress(RedisError):  # down again: the next read tells
                    await self.setup()
                return []
            if is_redis_outage(exc):
                await asyncio.sleep(self.outage.failed(exc))
            else:
                log.warning("command stream unavailable: %s", type(exc).__name__)
                await asyncio.sleep(1)
            return []
        self.outage.ok()
        commands: list[Command] = []
        for entry_id, fields in entries:
            try:
                commands.append(decode(fields))
            except MalformedCommand as exc:
                log.warning("skipped command %s: %s", entry_id, exc)
        return commands
