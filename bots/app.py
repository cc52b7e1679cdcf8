"""Wiring: the Bot and its API server, the Dispatcher with Redis FSM, routers, middlewares."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

import redis
import redis.asyncio as aioredis
import uvloop
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from bots import errors
from bots.addresses import AddressBook
from bots.calls import CallBook
from bots.context import BotContext
from bots.dialog_state import DialogStateMiddleware
from bots.handlers import (
    back,
    complaints,
    fallback,
    link,
    mycalls,
    newcall,
    questionnaire,
    start,
    triage,
)
from bots.notices import Notices
from bots.notifier import Notifier
from bots.profiles import Profiles
from bots.redelivery import SeenUpdates
from bots.sender import HeldResponseTypes, RetryMiddleware
from bots.settings import BotSettings
from bots.submission import Submission
from bots.throttling import Throttling
from dispatcher.outages import Outage, until_up
from dispatcher.services.messenger import MessengerServices
from dispatcher.settings import Settings
from intake_core.analysis import TextAnalyzer
from intake_core.questionnaire import load_questionnaire

log = logging.getLogger(__name__)

T = TypeVar("T")

COMMANDS = (
    ("call", "Вызвать врача на дом"),
    ("my", "Мои вызовы"),
    ("link", "Добавить пациента"),
    ("cancel", "Выйти из текущего шага"),
    ("help", "Помощь"),
)


def build_bot(settings: BotSettings) -> Bot:
    """The Bot, pointed at a self-hosted Bot API server when TELEGRAM_API_URL is set."""
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
        if settings.telegram_api_url
        else AiohttpSession()
    )
    session.middleware(HeldResponseTypes())
    session.middleware(RetryMiddleware(attempts=settings.bot_send_attempts))
    return Bot(settings.bot_token, session=session)


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run the bot on uvloop: libuv's event loop spends about a third less CPU per update on the
    bot's many small socket exchanges (Bot API, Redis) than the default loop."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def settle_heap() -> None:
    """Freeze what startup built (NLP dictionaries, catalogs, modules) out of the cyclic GC.

    Those are hundreds of thousands of long-lived objects: every full collection walked them
    all and stopped the event loop for up to a quarter of a second, the bot's worst latency.
    Call once, after the context is built and before the bot starts handling updates.
    """
    gc.collect()
    gc.freeze()


def build_context(
    settings: Settings,
    bot_settings: BotSettings,
    services: MessengerServices,
    analyzer: TextAnalyzer,
) -> BotContext:
    clock = services.clock
    coding = (
        services.reason_coding(
            load_questionnaire(settings.dispatch_questionnaire_path),
            f"fsm:{bot_settings.bot_group}",
        )
        if bot_settings.bot_questionnaire
        else None
    )
    return BotContext(
        settings=settings,
        bot_settings=bot_settings,
        services=services,
        addresses=AddressBook(services.clinics, services.accounts, analyzer),
        submission=Submission(services.intake, services.clinics, analyzer, clock, coding),
        calls=CallBook(services.calls),
        notices=Notices(services.notices, services.clinics.phone),
        profiles=Profiles(services.accounts, bot_settings.bot_cache_ttl),
        clock=clock,
        coding=coding,
    )


def setup(dp: Dispatcher, ctx: BotContext) -> None:
    """Register middlewares and one router per module, in matching order."""
    dp["ctx"] = ctx
    dp.update.outer_middleware(
        Throttling(
            ctx.bot_settings.bot_throttle_limit,
            ctx.bot_settings.bot_throttle_window,
            urgent=lambda typed: bool(ctx.submission.assess(typed, None).red_flags),
        )
    )
    dp.include_routers(
        errors.router(),
        triage.router(),  # a red flag in any free text, whatever the step, before anything else
        start.router(),
        mycalls.router(),
        newcall.router(),
        link.router(),
        complaints.router(),
        questionnaire.router(),
        back.router(),
        fallback.router(),
    )


def build_dispatcher(ctx: BotContext, redis_url: str) -> Dispatcher:
    """FSM state in Redis with a TTL; updates of one chat are handled one at a time."""
    ttl = ctx.bot_settings.bot_fsm_ttl
    # a blocking pool: a burst of updates waits for a connection instead of failing; a command
    # on a connection that died with a Redis restart is sent again on a new one, so the first
    # update after the outage is not answered «недоступен»
    pool = aioredis.BlockingConnectionPool.from_url(
        redis_url,
        max_connections=ctx.bot_settings.bot_concurrency,
        timeout=10,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )
    storage = RedisStorage(
        aioredis.Redis(connection_pool=pool),
        key_builder=DefaultKeyBuilder(prefix=f"fsm:{ctx.bot_settings.bot_group}"),
        state_ttl=ttl,
        data_ttl=ttl,
    )
    dp = Dispatcher(storage=storage, events_isolation=SimpleEventIsolation())
    dp.update.outer_middleware(
        errors.OutageEnd(
            database_up=lambda: asyncio.to_thread(ctx.services.database_up),
            redis_up=storage.redis.ping,
        )
    )
    dp.update.outer_middleware(
        SeenUpdates(
            storage.redis, f"fsm:{ctx.bot_settings.bot_group}", ctx.bot_settings.bot_seen_ttl
        )
    )
    dp.update.outer_middleware(DialogStateMiddleware(storage))
    setup(dp, ctx)
    return dp


class BotRunner:
    """Runs polling (or the webhook update feed) and the notifier until stopped."""

    def __init__(self, bot: Bot, dp: Dispatcher, ctx: BotContext, redis_url: str) -> None:
        self.bot = bot
        self.dp = dp
        self.ctx = ctx
        self.redis = aioredis.Redis.from_url(redis_url)
        self.stop = asyncio.Event()
        self.notifier = Notifier(
            bot,
            self.redis,
            ctx.notices,
            ctx.settings.events_stream,
            ctx.bot_settings.bot_group,
            ctx.deactivate,
            on_event=ctx.coding.apply if ctx.coding else None,
        )

    async def run(self, handle_signals: bool = True) -> None:
        await self.bot.set_my_commands([BotCommand(command=c, description=d) for c, d in COMMANDS])
        # catalogs and address parsers before the first user (the database may be down yet)
        await until_up(Outage("PostgreSQL (bot start)", log), self.ctx.addresses.served)
        notifier = asyncio.create_task(self.notifier.run(self.stop))
        try:
            if self.ctx.bot_settings.bot_mode == "webhook":
                from bots.webhook import UpdateFeed

                if handle_signals:  # stop as polling does: finish the updates at hand, exit 0
                    loop = asyncio.get_running_loop()
                    for signum in (signal.SIGTERM, signal.SIGINT):
                        loop.add_signal_handler(signum, self.stop.set)

                feed = UpdateFeed(self.bot, self.dp, self.redis, self.ctx.bot_settings)
                # the first pushed update already has a group to wait in
                await until_up(Outage("Redis (bot start)", log), feed.prepare)
                await self.bot.set_webhook(
                    str(self.ctx.bot_settings.bot_webhook_url),
                    secret_token=self.ctx.bot_settings.bot_webhook_secret,
                    drop_pending_updates=False,
                )
                await feed.run(self.stop)
            else:
                await self.bot.delete_webhook()
                await self.dp.start_polling(
                    self.bot,
                    polling_timeout=self.ctx.bot_settings.bot_polling_timeout,
                    handle_signals=handle_signals,
                    close_bot_session=False,
                    tasks_concurrency_limit=self.ctx.bot_settings.bot_concurrency,
                )
        finally:
            self.stop.set()
            try:
                await notifier
            finally:
                await self.ctx.services.close()
                await self.redis.aclose()
                await self.dp.storage.close()
                await self.bot.session.close()

    async def shutdown(self) -> None:
        self.stop.set()
        if self.ctx.bot_settings.bot_mode == "polling":
            with contextlib.suppress(RuntimeError):  # polling had not started yet
                await self.dp.stop_polling()
