"""Telephony fixtures: the fake AMI server on a real socket, managers against it, Redis db 15."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from telephony.manager import AmiManager
from telephony.tracker import CallTracker
from tests.telephony.ami_server import FakeAmiServer
from tests.telephony.harness import TEST_REDIS_URL, RecordingSink, RunManager, fast_settings


@pytest.fixture
async def ami_server() -> AsyncIterator[FakeAmiServer]:
    server = FakeAmiServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def run_manager(ami_server: FakeAmiServer) -> AsyncIterator[RunManager]:
    """Start AmiManagers against the fake server; they are cancelled at teardown."""
    tasks: list[asyncio.Task[None]] = []

    async def start(
        *, wait_ready: bool = True, **overrides: Any
    ) -> tuple[AmiManager, RecordingSink]:
        sink = RecordingSink()
        settings = fast_settings(ami_server.port, **overrides)
        manager = AmiManager(settings, CallTracker(sink, trunks=settings.trunks))
        tasks.append(asyncio.create_task(manager.run()))
        if wait_ready:
            async with asyncio.timeout(5):
                await manager.ready.wait()
        return manager, sink

    yield start
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis]:
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # pragma: no cover - environment without Redis
        await client.aclose()
        pytest.skip(f"Redis is not reachable at {TEST_REDIS_URL}: {exc}")
    try:
        yield client
    finally:
        async for key in client.scan_iter(match="telephony:leader:test-*"):
            await client.delete(key)
        await client.aclose()
