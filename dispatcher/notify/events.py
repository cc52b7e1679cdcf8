"""The consumer of the event stream: plan deliveries, enqueue their jobs, then acknowledge."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis

from dispatcher.notify.deliveries import Deliveries, record, utcnow
from dispatcher.notify.jobs import NotifyQueue
from dispatcher.notify.recipients import plan
from dispatcher.outages import Outage, is_outage
from dispatcher.storage.database import Database

log = logging.getLogger(__name__)

QUEUED_GRACE = timedelta(minutes=2)  # a queued delivery with no job for this long is re-enqueued


@dataclass(frozen=True, slots=True)
class ConsumeResult:
    events: int
    jobs: int


class EventConsumer:
    """Reads `settings.events_stream` in a consumer group; at-least-once, planning is idempotent."""

    def __init__(
        self,
        db: Database,
        client: redis.Redis,
        stream: str,
        group: str,
        queue: NotifyQueue,
        deliveries: Deliveries,
        consumer: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        claim_idle: timedelta = timedelta(minutes=1),
    ) -> None:
        self.db = db
        self.client = client
        self.stream = stream
        self.group = group
        self.queue = queue
        self.deliveries = deliveries
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.clock = clock
        self.claim_idle = claim_idle
        self._group_ready = False

    def ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def _handle(self, message_id: bytes, fields: dict[bytes, bytes]) -> int:
        try:
            event: dict[str, Any] = json.loads(fields[b"data"])
            event_id = int(fields[b"id"])
        except (KeyError, ValueError):
            log.warning("event %s: not an outbox event; acknowledged", message_id.decode())
            return 0
        with self.db.session() as session:
            ids = record(session, plan(session, event_id, event), self.clock())
        self.queue.enqueue_many(ids)
        return len(ids)

    def consume(self, block_ms: int = 1000, count: int = 100) -> ConsumeResult:
        """One batch: first our own unacknowledged messages (a crash), then new ones."""
        self.ensure_group()
        events = jobs = 0
        for start in ("0", ">"):
            reply: Any = self.client.xreadgroup(
                self.group,
                self.consumer,
                {self.stream: start},
                count=count,
                block=None if start == "0" else block_ms,
            )
            for _stream, messages in reply or []:
                for message_id, fields in messages:
                    if fields:  # a pending entry trimmed from the stream has none: just ack it
                        jobs += self._handle(message_id, fields)
                    self.client.xack(self.stream, self.group, message_id)
                    events += 1
            if events:
                break
        return ConsumeResult(events, jobs)

    def claim_abandoned(self, idle: timedelta | None = None) -> int:
        """Take over messages another consumer read and never acknowledged (it died); the next
        `consume` reads them as our own pending ones."""
        self.ensure_group()
        idle_ms = int((self.claim_idle if idle is None else idle).total_seconds() * 1000)
        reply = self.client.xautoclaim(self.stream, self.group, self.consumer, idle_ms, count=100)
        return len(reply[1]) if reply else 0

    def sweep(self, now: datetime | None = None) -> int:
        """Enqueue deliveries whose time has come: retries, quiet hours over, lost jobs."""
        ids = self.deliveries.due(now or self.clock(), QUEUED_GRACE)
        self.queue.enqueue_many(ids)
        return len(ids)

    def run_forever(self, stop: threading.Event, sweep_every: float = 1.0) -> None:
        """Consume until `stop`; Redis and database outages are waited out with backoff and
        logged once each."""
        redis_outage = Outage("Redis (notify consumer)", log)
        database_outage = Outage("database (notify consumer)", log)
        last_sweep = 0.0
        while not stop.is_set():
            try:
                self.consume(block_ms=500)
                if time.monotonic() - last_sweep >= sweep_every:
                    self.sweep()
                    self.claim_abandoned()
                    last_sweep = time.monotonic()
                redis_outage.ok()
                database_outage.ok()
            except Exception as exc:
                if not is_outage(exc) and not isinstance(exc, redis.RedisError | OSError):
                    log.exception("notify consumer failed; retrying")
                    stop.wait(2)
                    continue
                outage = redis_outage if isinstance(exc, redis.RedisError) else database_outage
                if isinstance(exc, redis.ResponseError) and "NOGROUP" in str(exc):
                    self._group_ready = False  # Redis came back empty: the group is made anew
                    continue
                stop.wait(outage.failed(exc))
