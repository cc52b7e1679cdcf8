"""One listener per PBX: the Redis leader lock and the hot standby taking over."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from redis.asyncio import Redis

from telephony.leader import LeaderLock
from telephony.listener import Listener
from tests.telephony.ami_server import FakeAmiServer
from tests.telephony.harness import RecordingSink, eventually, fast_settings


def make_lock(redis: Redis, key: str) -> LeaderLock:
    return LeaderLock(redis, key, ttl=0.6, renew_interval=0.15, poll_interval=0.05)


def fresh_key() -> str:
    return f"telephony:leader:test-{uuid.uuid4().hex[:8]}"


async def test_leader_lock_standby_takes_over_when_leader_releases(redis_client: Redis) -> None:
    key = fresh_key()
    first, second = make_lock(redis_client, key), make_lock(redis_client, key)
    await first.acquire()
    standby = asyncio.create_task(second.acquire())
    await asyncio.sleep(0.3)
    assert not standby.done()

    await first.release()

    await asyncio.wait_for(standby, 1)
    assert await redis_client.get(key) == second.token.encode()


async def test_leader_lock_standby_takes_over_when_leader_dies(redis_client: Redis) -> None:
    key = fresh_key()
    first, second = make_lock(redis_client, key), make_lock(redis_client, key)
    await first.acquire()  # and never renews: the process is gone
    loop = asyncio.get_running_loop()
    started = loop.time()

    await asyncio.wait_for(second.acquire(), 2)

    assert loop.time() - started >= 0.4
    assert await redis_client.get(key) == second.token.encode()


async def test_leader_lock_hold_keeps_lock_past_ttl_when_renewing(redis_client: Redis) -> None:
    key = fresh_key()
    lock = make_lock(redis_client, key)
    await lock.acquire()
    holding = asyncio.create_task(lock.hold())

    await asyncio.sleep(1.0)

    assert not holding.done()
    assert await redis_client.get(key) == lock.token.encode()
    holding.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await holding
    await lock.release()
    assert await redis_client.get(key) is None


async def test_leader_lock_hold_returns_when_lock_is_taken_away(redis_client: Redis) -> None:
    key = fresh_key()
    lock = make_lock(redis_client, key)
    await lock.acquire()
    holding = asyncio.create_task(lock.hold())

    await redis_client.set(key, "someone-else", px=5000)

    await asyncio.wait_for(holding, 1)
    await lock.release()  # not ours any more: must not delete it
    assert await redis_client.get(key) == b"someone-else"


async def test_listener_standby_connects_to_ami_when_leader_stops(
    ami_server: FakeAmiServer, redis_client: Redis
) -> None:
    settings = fast_settings(ami_server.port)
    listeners = [
        Listener(settings, RecordingSink(), make_lock(redis_client, settings.lock_key))
        for _ in range(2)
    ]
    first = asyncio.create_task(listeners[0].run())
    await asyncio.wait_for(listeners[0].is_leader.wait(), 2)
    second = asyncio.create_task(listeners[1].run())
    await eventually(lambda: ami_server.logged_in == [1])
    await asyncio.sleep(0.3)
    assert not listeners[1].is_leader.is_set()
    assert len(ami_server.logged_in) == 1

    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first

    await asyncio.wait_for(listeners[1].is_leader.wait(), 2)
    await eventually(lambda: len(ami_server.logged_in) == 2)
    manager = listeners[1].manager
    assert manager is not None
    await asyncio.wait_for(manager.ready.wait(), 2)
    second.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await second
