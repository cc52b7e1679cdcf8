"""Events: written to the outbox in the same transaction as the change, relayed to Redis after."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from dispatcher.outages import Outage, is_outage
from dispatcher.storage import tables
from dispatcher.storage.database import Database

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "events"
_RELAY_LOCK = 0x6F7574626F78  # "outbox"


def emit(session: Session, topic: str, payload: dict[str, Any]) -> None:
    """Record an event; it becomes visible to subscribers only if the transaction commits."""
    session.add(tables.OutboxEvent(topic=topic, payload=payload, created_at=datetime.now(UTC)))


@dataclass(frozen=True, slots=True)
class RelayResult:
    published: int
    pending: int


class OutboxRelay:
    """Moves committed outbox events to a Redis stream (durable) and pub/sub (live), in order."""

    def __init__(self, db: Database, client: redis.Redis, stream: str, maxlen: int) -> None:
        self.db = db
        self.client = client
        self.stream = stream
        self.maxlen = maxlen
        self.redis_outage = Outage("Redis (outbox relay)", log)

    def relay_pending(self, batch: int = 500) -> RelayResult:
        """Publish what is not yet published; stops at the first Redis failure, losing nothing.

        Core statements on a plain connection: the worker relays after every batch, and ORM
        rows would cost more than the publishing."""
        published = 0
        outbox = tables.OutboxEvent
        with self.db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # one relay at a time keeps the stream in outbox order across processes
                got = connection.execute(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _RELAY_LOCK}
                ).scalar()
                if not got:
                    return RelayResult(0, 0)
            events = connection.execute(
                select(outbox.id, outbox.topic, outbox.payload)
                .where(outbox.published_at.is_(None))
                .order_by(outbox.id)
                .limit(batch)
            ).all()
            done: list[int] = []
            try:
                pipe = self.client.pipeline(transaction=False)
                for event_id, topic, payload in events:
                    message = json.dumps(
                        {"id": event_id, "topic": topic, **payload}, ensure_ascii=False
                    )
                    pipe.xadd(
                        self.stream,
                        {"id": str(event_id), "topic": topic, "data": message},
                        maxlen=self.maxlen,
                        approximate=True,
                    )
                    pipe.publish(EVENTS_CHANNEL, message)
                    done.append(event_id)
                if done:
                    pipe.execute()
                    self.redis_outage.ok()
            except redis.RedisError as exc:
                self.redis_outage.failed(exc)  # logged once per outage; the events wait
                done = []
            if done:
                connection.execute(
                    update(outbox).where(outbox.id.in_(done)).values(published_at=datetime.now(UTC))
                )
                published = len(done)
            pending = len(events) - published
        return RelayResult(published, pending)

    def run_forever(self, interval: float = 0.2, stop: Any = None) -> None:
        """Poll the outbox; back off while Redis or the database is down."""
        delay = interval
        database = Outage("database (outbox relay)", log)
        while stop is None or not stop.is_set():
            try:
                result = self.relay_pending()
                database.ok()
            except Exception as exc:
                if is_outage(exc):
                    database.failed(exc)
                else:
                    log.exception("outbox relay failed")
                result = RelayResult(0, 1)
            delay = min(delay * 2, 5.0) if result.pending else interval
            if result.published and not result.pending:
                continue
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)
