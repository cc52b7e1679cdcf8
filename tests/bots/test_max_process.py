"""`python -m bots.max` as compose runs it: configured from the environment alone, it polls the
fake MAX Bot API (or, in webhook mode, subscribes and serves `/max/webhook` itself), rides out
a 429 and a 502, takes a patient through /start, the own number and linking, stops an
emergency typed at the menu, and exits cleanly on SIGTERM. (The process keeps the real clock,
so the call dialog, which depends on the hour, is left to the in-process tests.)"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bots import texts
from dispatcher.settings import PROJECT_ROOT, Settings
from dispatcher.storage.database import Database
from tests.bots.dialogs import onboard
from tests.bots.fake_max import TOKEN, FakeMax
from tests.bots.harness import ChatDriver
from tests.bots.max_harness import MAX_WEBHOOK_SECRET, MaxChat
from tests.loopback import free_port

pytestmark = pytest.mark.slow

pytest_plugins = ["tests.bots.max_fixtures"]  # the MAX bot's fixtures

STARTUP = 60.0  # the NLP dictionaries load before the first update


@pytest.fixture(params=["polling", "webhook"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def max_process(
    mode: str,
    settings: Settings,
    bot_db: Database,
    redis_client: redis.Redis,
    fake_max: FakeMax,
    tmp_path: Path,
) -> Iterator[subprocess.Popen[bytes]]:
    group = f"max-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": str(settings.redis_url),
        "QUEUE_NAME": settings.queue_name,
        "EVENTS_STREAM": settings.events_stream,
        "MAX_BOT_TOKEN": TOKEN,
        "MAX_API_URL": fake_max.base,
        "MAX_GROUP": group,
        "MAX_UPDATES_STREAM": f"{group}-updates",
        "MAX_POLLING_TIMEOUT": "1",
        "BOT_THROTTLE_LIMIT": "1000",  # the dialog's shared knob; a script types fast
        "LOG_JSON": "false",
    }
    if mode == "webhook":
        port = free_port()
        env |= {
            "MAX_MODE": "webhook",
            "MAX_WEBHOOK_URL": f"http://127.0.0.1:{port}/max/webhook",
            "MAX_WEBHOOK_SECRET": MAX_WEBHOOK_SECRET,
            "MAX_WEBHOOK_HOST": "127.0.0.1",
            "MAX_WEBHOOK_PORT": str(port),
        }
    log = (tmp_path / "max-bot.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bots.max"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
    log.close()
    print((tmp_path / "max-bot.log").read_text(errors="replace")[-4000:])  # when it failed
    keys = list(redis_client.scan_iter(f"fsm:{group}*"))
    redis_client.delete(*keys, f"{group}-updates")


async def listening(url: str, within: float = 10.0) -> None:
    """Until the process's webhook receiver accepts connections."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    for _ in range(int(within / 0.05)):
        with socket.socket() as sock:
            if sock.connect_ex((host, int(port))) == 0:
                return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"nothing listens on {url}")


async def test_max_bot_process_onboards_a_patient_stops_an_emergency_and_exits_on_sigterm(
    mode: str, max_process: subprocess.Popen[bytes], fake_max: FakeMax
) -> None:
    ready = "GET /updates" if mode == "polling" else "POST /subscriptions"
    await fake_max.wait_for(lambda r: r.route == ready, 0, within=STARTUP)
    if mode == "webhook":
        [subscription] = fake_max.subscriptions
        assert subscription["secret"] == MAX_WEBHOOK_SECRET
        await listening(subscription["url"])
    chat = MaxChat(fake_max, 8301)
    driver: ChatDriver = chat  # type: ignore[assignment]  # MaxChat has ChatDriver's methods
    fake_max.fail_next("POST /messages", 429, retry_after=1)  # the welcome: waited out,
    fake_max.fail_next("POST /messages", 502)  # then backed off, then sent
    await onboard(driver)
    tries = [r for r in fake_max.requests if r.route == "POST /messages"]
    assert [r.failed for r in tries[:3]] == [True, True, False]
    await chat.send("мама без сознания, не дышит")
    await chat.expect("103 или 112")
    await chat.send("/my")
    await chat.expect(texts.NO_CALLS)
    max_process.send_signal(signal.SIGTERM)
    assert max_process.wait(timeout=20) == 0
    if mode == "webhook":
        assert fake_max.pushes and {status for _, status in fake_max.pushes} == {200}
        assert not [r for r in fake_max.requests if r.route == "GET /updates"]
