"""Fixtures of the MAX bot's tests, loaded with `pytest_plugins` by the modules that use them:
the fake MAX server, the MAX settings, the running bot, its receiver serving `/max/webhook`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime

import pytest
import redis

from bots.max import webhook as max_webhook
from bots.max.settings import MaxSettings
from bots.settings import BotSettings
from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.services.messenger.updates import UpdateInbox
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from tests.bots.fake_max import TOKEN, FakeMax
from tests.bots.max_harness import (
    MAX_WEBHOOK_SECRET,
    MaxBotStarter,
    MaxHarness,
    MaxWebhookApi,
    running_max_bot,
)
from tests.loopback import free_port, serving


@pytest.fixture
async def fake_max() -> AsyncIterator[FakeMax]:
    server = FakeMax()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def max_settings(redis_client: redis.Redis, fake_max: FakeMax) -> Iterator[MaxSettings]:
    suffix = uuid.uuid4().hex[:8]
    settings = MaxSettings(
        max_bot_token=TOKEN,
        max_api_url=fake_max.base,
        max_group=f"max-{suffix}",
        max_updates_stream=f"max-updates-{suffix}",
        max_polling_timeout=1,
        max_send_attempts=4,
    )
    yield settings
    keys = list(redis_client.scan_iter(f"fsm:{settings.max_group}*"))
    redis_client.delete(*keys, settings.max_updates_stream)


@pytest.fixture
def start_max_bot(
    settings: Settings,
    bot_settings: BotSettings,
    bot_db: Database,
    redis_client: redis.Redis,
    redis_url: str,
    analyzer: NlpAnalyzer,
    fake_max: FakeMax,
    clock_start: datetime,
) -> MaxBotStarter:
    """`running_max_bot` with the given MAX settings over this test's database, Redis, fake
    and clock."""

    def start(live: MaxSettings) -> AbstractAsyncContextManager[MaxHarness]:
        return running_max_bot(
            settings,
            live,
            bot_settings,
            bot_db,
            redis_client,
            redis_url,
            analyzer,
            fake_max,
            clock_start,
        )

    return start


@pytest.fixture
async def max_bot(
    max_settings: MaxSettings, start_max_bot: MaxBotStarter
) -> AsyncIterator[MaxHarness]:
    """`python -m bots.max` in-process: polling the fake MAX server, notifier on the stream."""
    async with start_max_bot(max_settings) as harness:
        yield harness


@pytest.fixture
def max_webhook_api(
    settings: Settings, max_settings: MaxSettings, bot_db: Database, redis_client: redis.Redis
) -> Iterator[MaxWebhookApi]:
    """A real uvicorn with the MAX bot's webhook app, as `python -m bots.max` serves it."""
    port = free_port()
    hook = max_settings.model_copy(
        update={
            "max_mode": "webhook",
            "max_webhook_url": f"http://127.0.0.1:{port}{max_settings.max_webhook_path}",
            "max_webhook_secret": MAX_WEBHOOK_SECRET,
        }
    )
    app = max_webhook.app_for(hook, UpdateInbox(bot_db, redis_client))
    with serving(app, port, "max-webhook-api") as url:
        yield MaxWebhookApi(url, hook)
