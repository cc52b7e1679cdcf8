"""`python -m telephony` against the replaying AMI server and its own Redis and PostgreSQL:
Redis killed past the lock's ttl and PostgreSQL stopped while calls come in. The listener stays
up, logs each outage once, takes its leader lock back and publishes caller cards again."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import pytest
import redis
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.client import PubSub

from dispatcher.services import accounts
from dispatcher.settings import PROJECT_ROOT
from dispatcher.storage.database import Database
from tests.faults.conftest import DEMO_MO, PostgresCluster, RedisServer, wait_for
from tests.telephony.ami_server import SECRET, FakeAmiServer

pytestmark = pytest.mark.slow

LOCK_TTL = 2.0


@pytest.fixture
async def ami() -> AsyncIterator[FakeAmiServer]:
    server = FakeAmiServer()
    await server.start()
    yield server
    await server.close()


def add_agents(db_url: str) -> None:
    db = Database(db_url)
    with db.session() as session:
        for login, interface in (("agent101", "PJSIP/101"), ("agent102", "PJSIP/102")):
            accounts.create_user(
                session, login, "Fault-tests-9-password", "agent", DEMO_MO, "Агент", interface
            )
    db.dispose()


async def subscribe(url: str, channel: str) -> tuple[AsyncRedis, PubSub]:
    client = AsyncRedis.from_url(url)
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    return client, pubsub


async def next_card(pubsub: PubSub, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message is not None and message["type"] == "message":
            card: dict[str, Any] = json.loads(message["data"])
            return card
    raise AssertionError(f"no caller card within {within} s")


def start_listener(env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """`python -m telephony` as compose runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "telephony"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def test_telephony_listener_outlives_redis_and_database_outages(
    ami: FakeAmiServer,
    fault_db_url: str,
    fault_redis: RedisServer,
    pg_cluster: PostgresCluster,
    tmp_path: Path,
) -> None:
    add_agents(fault_db_url)
    pbx = f"fault-{uuid.uuid4().hex[:8]}"
    channel = f"cards-{pbx}"
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": fault_db_url,
        "REDIS_URL": fault_redis.url,
        "AMI_HOST": "127.0.0.1",
        "AMI_PORT": str(ami.port),
        "AMI_SECRET": SECRET,
        "TELEPHONY_PBX_ID": pbx,
        "TELEPHONY_LOCK_TTL": str(LOCK_TTL),
        "TELEPHONY_LOCK_RENEW_INTERVAL": "0.5",
        "TELEPHONY_LOCK_POLL_INTERVAL": "0.25",
        "TELEPHONY_BACKOFF_BASE": "0.1",
        "TELEPHONY_BACKOFF_CAP": "1",
        "PHONE_CARDS_CHANNEL": channel,
        "LOG_LEVEL": "INFO",
        "LOG_JSON": "false",
    }
    lock_key = f"telephony:leader:{pbx}"
    client = redis.Redis.from_url(fault_redis.url)
    ami.play("answered_call")
    listener, cards = await subscribe(fault_redis.url, channel)
    log_path = tmp_path / "telephony.log"
    with log_path.open("wb") as log:
        process = start_listener(env, log)
        try:
            first = await next_card(cards, 30)
            assert first["type"] == "caller_card"
            holder = client.get(lock_key)
            assert holder is not None

            # Redis crashes and stays away longer than the lock's ttl, then comes back empty
            ami.play("answered_call")  # the call the listener sees once it leads again
            await listener.aclose()
            fault_redis.stop()
            await asyncio.sleep(LOCK_TTL + 1.5)
            assert process.poll() is None
            fault_redis.start()
            started = time.monotonic()
            listener, cards = await subscribe(fault_redis.url, channel)
            await asyncio.to_thread(wait_for, lambda: client.get(lock_key) == holder, 30)
            took = time.monotonic() - started
            second = await next_card(cards, 30)
            assert second["type"] == "caller_card"
            print(
                f"\ntelephony: lock back {took:.1f} s and a caller card "
                f"{time.monotonic() - started:.1f} s after the Redis restart"
            )

            # PostgreSQL stops while a call comes in; the next call after its start has a card
            pg_cluster.stop("immediate")
            try:
                ami.play("two_agents")
                await ami.drop()  # a fresh AMI session replays the call
                await asyncio.sleep(3)
                assert process.poll() is None
            finally:
                pg_cluster.start()
            started = time.monotonic()
            ami.play("answered_call")
            await ami.drop()
            third = await next_card(cards, 30)
            assert third["type"] == "caller_card"
            print(f"telephony: a caller card {time.monotonic() - started:.1f} s after PostgreSQL")
            assert client.get(lock_key) == holder
            assert process.poll() is None
        finally:
            await listener.aclose()
            client.close()
            process.terminate()
            process.wait(timeout=20)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    print(text[-4000:])
    assert "Traceback" not in text
    assert text.count(f"Redis (leader lock {lock_key}) unavailable") == 1
    assert text.count(f"Redis (leader lock {lock_key}) available again") == 1
    assert text.count("PostgreSQL or Redis (phone calls) unavailable") == 1
    assert text.count("PostgreSQL or Redis (phone calls) available again") == 1
