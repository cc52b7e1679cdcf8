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
        """Publish what is not yet published; stops at the first Redis failure, losing nothing."""
        published = 0
        with self.db.session() as session:
            query = (
                select(tables.OutboxEvent)
                .where(tables.OutboxEvent.published_at.is_(None))
                .order_by(tables.OutboxEvent.id)
                .limit(batch)
            )
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                # one relay at a time keeps the stream in outbox order across processes
                got = session.execute(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _RELAY_LOCK}
                ).scalar()
                if not got:
                    return RelayResult(0, 0)
            events = session.scalars(query).all()
            done: list[int] = []
            try:
                pipe = self.client.pipeline(transaction=False)
                for event in events:
                    message = json.dumps(
                        {"id": event.id, "topic": event.topic, **event.payload},
                        ensure_ascii=False,
                    )
                    pipe.xadd(
                        self.stream,
                        {"id": str(event.id), "topic": event.topic, "data": message},
                        maxlen=self.maxlen,
                        approximate=True,
                    )
                    pipe.publish(EVENTS_CHANNEL, message)
                    done.append(event.id)
                if done:
                    pipe.execute()
                    self.redis_outage.ok()
            except redis.RedisError as exc:
                self.redis_outage.failed(exc)  # logged once per outage; the events wait
                done = []
            if done:
                session.execute(
                    update(tables.OutboxEvent)
                    .where(tables.OutboxEvent.id.in_(done))
                    .values(published_at=datetime.now(UTC))
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
