"""The real bot, polling the local fake Bot API server, over the test database and Redis."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
import redis
from sqlalchemy import delete

from bots import webhook
from bots.app import BotRunner, build_bot, build_context, build_dispatcher
from bots.context import BotContext
from bots.settings import BotSettings
from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.queue import IntakeQueue
from dispatcher.services.events import OutboxRelay
from dispatcher.services.messenger import MessengerServices
from dispatcher.services.messenger.updates import UpdateInbox
from dispatcher.settings import Settings
from dispatcher.storage import bot_tables
from dispatcher.storage.database import Database
from tests.bots.fake_telegram import TOKEN, FakeTelegram
from tests.bots.harness import BotHarness
from tests.bots.messenger_harness import clock_from, running
from tests.loopback import free_port, serving

MOSCOW = ZoneInfo("Europe/Moscow")
WEBHOOK_SECRET = "webhook-secret-of-the-test-bot"
BOT_TABLES = (
    bot_tables.SentNotification,
    bot_tables.ProcessedUpdate,
    bot_tables.SavedAddress,
    bot_tables.LinkedPatient,
    bot_tables.TelegramUser,
)


CLINIC_PHONE = "+7 (495) 000-00-01"  # the bot's number for an MO whose data has none
# the registries' numbers in demo/mos.csv, as the patients' messages write them
MO_PHONES = {"DEMO-KHIMKI": "+7 495 000-10-01", "DEMO-KRASNOGORSK": "+7 495 000-10-02"}
WORKING_DAY = date(2026, 3, 11)  # a Wednesday: the bot's clock does not follow today's date


def moscow_on(day: date, hour: int) -> datetime:
    """`day` at `hour` in Moscow, as an aware UTC moment (the bot's clock in tests)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=MOSCOW).astimezone(UTC)


def bot_context(
    settings: Settings,
    live: BotSettings,
    db: Database,
    client: redis.Redis,
    analyzer: NlpAnalyzer,
    clock: Callable[[], datetime],
) -> BotContext:
    """The bot's context as `python -m bots` builds it, on the test database and clock."""
    queue = IntakeQueue(client, settings.queue_name, settings.job_retries)
    services = MessengerServices.build(
        db, client, analyzer, queue, live.bot_client_name, live.bot_clinic_phone, clock
    )
    return build_context(settings, live, services, analyzer)


@pytest.fixture
def bot_db(db: Database) -> Iterator[Database]:
    """The test database with the bot's own tables emptied (the shared fixture does the rest)."""
    with db.session() as session:
        for table in BOT_TABLES:
            session.execute(delete(table))
    yield db


@pytest.fixture
def throttle_limit() -> int:
    return 1000


@pytest.fixture
def bot_settings(redis_client: redis.Redis, throttle_limit: int) -> Iterator[BotSettings]:
    suffix = uuid.uuid4().hex[:8]
    settings = BotSettings(
        bot_token=TOKEN,
        bot_group=f"bot-{suffix}",
        bot_updates_stream=f"bot-updates-{suffix}",
        bot_polling_timeout=1,
        bot_send_attempts=4,
        bot_throttle_limit=throttle_limit,
        bot_clinic_phone=CLINIC_PHONE,
    )
    yield settings
    keys = list(redis_client.scan_iter(f"fsm:{settings.bot_group}*"))
    redis_client.delete(*keys, settings.bot_updates_stream)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock_hour() -> int:
    return 9


@pytest.fixture
def clock_start(clock_hour: int) -> datetime:
    """Where the bot's clock starts: a fixed working day at `clock_hour` in Moscow."""
    return moscow_on(WORKING_DAY, clock_hour)


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings,
    live: BotSettings,
    bot_db: Database,
    redis_client: redis.Redis,
    redis_url: str,
    analyzer: NlpAnalyzer,
    fake_telegram: FakeTelegram,
    base: datetime,
) -> AsyncIterator[BotHarness]:
    """`python -m bots` in-process until the block ends, its clock running from `base`."""
    ctx = bot_context(settings, live, bot_db, redis_client, analyzer, clock_from(base))
    runner = BotRunner(build_bot(live), build_dispatcher(ctx, redis_url), ctx, redis_url)
    relay = OutboxRelay(bot_db, redis_client, settings.events_stream, 1000)
    ready = "getUpdates" if live.bot_mode == "polling" else "setWebhook"
    harness = BotHarness(fake_telegram, ctx, bot_db, relay)
    async with running(runner, harness, lambda r: r.method == ready):
        yield harness


BotStarter = Callable[[BotSettings], AbstractAsyncContextManager[BotHarness]]


@pytest.fixture
def start_bot(
    settings: Settings,
    bot_db: Database,
    redis_client: redis.Redis,
    redis_url: str,
    analyzer: NlpAnalyzer,
    fake_telegram: FakeTelegram,
    clock_start: datetime,
) -> BotStarter:
    """`running_bot` with the given settings over this test's database, Redis, fake and clock."""

    def start(live: BotSettings) -> AbstractAsyncContextManager[BotHarness]:
        return running_bot(
            settings, live, bot_db, redis_client, redis_url, analyzer, fake_telegram, clock_start
        )

    return start


@pytest.fixture
async def bot(
    bot_settings: BotSettings, fake_telegram: FakeTelegram, start_bot: BotStarter
) -> AsyncIterator[BotHarness]:
    """`python -m bots` in-process: polling the fake server, notifier on the test stream."""
    live = bot_settings.model_copy(update={"telegram_api_url": fake_telegram.base})
    async with start_bot(live) as harness:
        yield harness


@dataclass(frozen=True, slots=True)
class WebhookApi:
    """The bot's own webhook receiver on a loopback port."""

    url: str
    bot_settings: BotSettings


@pytest.fixture
def webhook_api(
    settings: Settings,
    bot_settings: BotSettings,
    bot_db: Database,
    redis_client: redis.Redis,
    fake_telegram: FakeTelegram,
) -> Iterator[WebhookApi]:
    """A real uvicorn with the bot's webhook app, as `python -m bots` serves it."""
    port = free_port()
    hook = bot_settings.model_copy(
        update={
            "telegram_api_url": fake_telegram.base,
            "bot_mode": "webhook",
            "bot_webhook_url": f"http://127.0.0.1:{port}{bot_settings.bot_webhook_path}",
            "bot_webhook_secret": WEBHOOK_SECRET,
        }
    )
    app = webhook.app_for(hook, UpdateInbox(bot_db, redis_client))
    with serving(app, port, "bot-webhook-api") as url:
        yield WebhookApi(url, hook)


@pytest.fixture
async def webhook_bot(webhook_api: WebhookApi, start_bot: BotStarter) -> AsyncIterator[BotHarness]:
    """`python -m bots` with BOT_MODE=webhook: Telegram pushes to its receiver, the bot reads
    them."""
    async with start_bot(webhook_api.bot_settings) as harness:
        yield harness


def later(hours: int) -> Callable[[], datetime]:
    moment = datetime.now(UTC) + timedelta(hours=hours)
    return lambda: moment


def event_types(client: redis.Redis, stream: str) -> list[str]:
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrange(stream))
    return [fields[b"topic"].decode() for _id, fields in entries]
