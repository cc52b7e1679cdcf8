"""`python -m bots` against its own Redis and PostgreSQL, both taken away while it runs: the
process stays up, says «временно недоступен» instead of nothing, logs each outage once, and
answers again once the server is back, in polling and in webhook mode."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import redis

from bots import texts
from bots.errors import UNAVAILABLE
from tests.bots.fake_telegram import TOKEN, FakeTelegram
from tests.bots.harness import ChatDriver
from tests.faults.conftest import PostgresCluster, RedisServer, ServiceProcess

pytestmark = pytest.mark.slow

STARTUP = 60.0  # the NLP dictionaries load before the first update
UNAVAILABLE_HINT = UNAVAILABLE[:30]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def start_bot(
    fault_db_url: str, fault_redis: RedisServer, fake: FakeTelegram, tmp_path: Path
) -> Iterator[Callable[..., ServiceProcess]]:
    started: list[ServiceProcess] = []

    def start(**extra: str) -> ServiceProcess:
        suffix = uuid.uuid4().hex[:8]
        env = {
            **os.environ,
            "DATABASE_URL": fault_db_url,
            "REDIS_URL": fault_redis.url,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": fake.base,
            "BOT_GROUP": f"bot-{suffix}",
            "BOT_UPDATES_STREAM": f"bot-updates-{suffix}",
            "BOT_POLLING_TIMEOUT": "1",
            "LOG_LEVEL": "INFO",
            "LOG_JSON": "false",
            **extra,
        }
        bot = ServiceProcess(env, tmp_path / f"bot-{len(started)}.log", "-m", "bots")
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.stop()
        print(bot.log()[-4000:])  # shown when the test failed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def answered(chat: ChatDriver, text: str, fragment: str, within: float = 15.0) -> float:
    started = time.monotonic()
    await chat.send(text)
    await chat.expect(fragment, within=within)
    return time.monotonic() - started


async def test_bot_answers_through_redis_and_database_outages(
    start_bot: Callable[..., ServiceProcess],
    fake: FakeTelegram,
    fault_redis: RedisServer,
    pg_cluster: PostgresCluster,
) -> None:
    bot = start_bot()
    await fake.wait_for(lambda r: r.method == "getUpdates", 0, within=STARTUP)
    await answered(ChatDriver(fake, 7001), "/help", "/call")

    fault_redis.stop()
    await answered(ChatDriver(fake, 7002), "/help", UNAVAILABLE_HINT)
    await answered(ChatDriver(fake, 7003), "/help", UNAVAILABLE_HINT)
    assert bot.alive()
    fault_redis.start()
    took = await answered(ChatDriver(fake, 7004), "/help", "/call", within=30)
    print(f"\nbot: answered {took:.1f} s after the Redis restart")

    pg_cluster.stop("immediate")
    try:
        await answered(ChatDriver(fake, 7005), "/my", UNAVAILABLE_HINT)
        await answered(ChatDriver(fake, 7006), "/my", UNAVAILABLE_HINT)
        assert bot.alive()
    finally:
        pg_cluster.start()
    took = await answered(ChatDriver(fake, 7007), "/my", texts.NEED_CONTACT[:30], within=30)
    print(f"bot: answered {took:.1f} s after the PostgreSQL restart")

    assert bot.alive()
    code = bot.stop()
    text = bot.log()
    assert code == 0, text[-3000:]
    assert text.count("Redis (bot updates) unavailable") == 1, text[-3000:]
    assert text.count("Redis (bot updates) available again") == 1, text[-3000:]
    assert text.count("PostgreSQL (bot updates) unavailable") == 1, text[-3000:]
    assert text.count("PostgreSQL (bot updates) available again") == 1, text[-3000:]
    assert "Traceback" not in text, text[-3000:]


async def test_webhook_bot_handles_stored_updates_after_redis_comes_back(
    start_bot: Callable[..., ServiceProcess],
    fake: FakeTelegram,
    fault_redis: RedisServer,
) -> None:
    bot = start_bot(
        BOT_MODE="webhook",
        BOT_WEBHOOK_URL="https://bot.example/telegram/webhook",
        BOT_WEBHOOK_SECRET="s3cret-token-for-the-webhook",
        BOT_WEBHOOK_HOST="127.0.0.1",
        BOT_WEBHOOK_PORT=str(free_port()),  # the bot's own receiver, unused by this test
    )
    await fake.wait_for(lambda r: r.method == "setWebhook", 0, within=STARTUP)
    stream = bot.env["BOT_UPDATES_STREAM"]
    client = redis.Redis.from_url(fault_redis.url)

    def store(user_id: int, text: str) -> None:
        update = {
            "update_id": user_id,
            "message": {
                "message_id": user_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private", "first_name": "Пациент"},
                "from": {"id": user_id, "is_bot": False, "first_name": "Пациент"},
                "text": text,
            },
        }
        client.xadd(stream, {"data": json.dumps(update, ensure_ascii=False)})

    store(7101, "/help")
    await ChatDriver(fake, 7101).expect("/call", within=15)

    # Redis goes down with a snapshot; while the bot cannot reach it, a persisted Redis takes
    # an update (a second server on the same data directory plays the webhook route)
    client.save()
    fault_redis.stop()
    await asyncio.sleep(2)
    assert bot.alive()
    other = RedisServer(fault_redis.directory)
    other.start()
    side = redis.Redis(port=other.port)
    update = {
        "update_id": 7102,
        "message": {
            "message_id": 7102,
            "date": 0,
            "chat": {"id": 7102, "type": "private", "first_name": "Пациент"},
            "from": {"id": 7102, "is_bot": False, "first_name": "Пациент"},
            "text": "/help",
        },
    }
    side.xadd(stream, {"data": json.dumps(update, ensure_ascii=False)})
    side.save()
    side.close()
    other.stop()
    fault_redis.start()
    started = time.monotonic()
    await ChatDriver(fake, 7102).expect("/call", within=30)
    print(f"\nwebhook bot: stored update answered {time.monotonic() - started:.1f} s after restart")

    # a restart that lost everything: the group is made anew and new updates are handled
    fault_redis.stop()
    (fault_redis.directory / "dump.rdb").unlink()
    await asyncio.sleep(1)
    fault_redis.start()
    client.close()
    client = redis.Redis.from_url(fault_redis.url)
    store(7103, "/help")
    await ChatDriver(fake, 7103).expect("/call", within=30)
    client.close()

    assert bot.alive()
    code = bot.stop()
    text = bot.log()
    assert code == 0, text[-3000:]
    assert text.count("Redis (bot update feed) unavailable") == 2, text[-3000:]
    assert text.count("Redis (bot update feed) available again") == 2, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
