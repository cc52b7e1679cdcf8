"""`python -m bots.max` at work: long polling `GET /updates` (or the stored webhook updates),
each update translated and fed to the dialog's Dispatcher, and the status notifier on MAX."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import redis.asyncio as aioredis
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.types import BotCommand

from bots.app import COMMANDS
from bots.context import BotContext
from bots.errors import scrubbed
from bots.ids import MessageIds, Messenger
from bots.max.api import MaxApi, MaxApiError
from bots.max.protocol import UpdateList
from bots.max.session import MaxSession
from bots.max.settings import MaxSettings
from bots.max.translate import Translator
from bots.notifier import Notifier
from bots.webhook import UpdateFeed
from dispatcher.outages import Outage, until_up

log = logging.getLogger(__name__)

UPDATE_TYPES = ("message_created", "message_callback", "bot_started")
BOT_TOKEN = "1:max"  # aiogram's Bot wants a Telegram-shaped token; MAX's goes in the session


def build_max_bot(settings: MaxSettings) -> tuple[Bot, MaxApi, Translator]:
    """The aiogram Bot on a MAX session, the API client, and the update translator."""
    api = MaxApi(
        settings.max_bot_token,
        settings.max_api_url,
        attempts=settings.max_send_attempts,
        rate=settings.max_rate_limit,
    )
    message_ids = MessageIds()
    bot = Bot(BOT_TOKEN, session=MaxSession(api, message_ids))
    return bot, api, Translator(bot.id, message_ids)


def _transient(exc: BaseException) -> bool:
    """MAX is unreachable, overloaded or failing: wait for it (a bad token is not transient)."""
    if isinstance(exc, MaxApiError):
        return exc.transient
    return isinstance(exc, TelegramNetworkError | TelegramServerError | TelegramRetryAfter)


class MaxUpdateFeed(UpdateFeed):
    """Webhook mode: the stored MAX updates, translated here, in the bot process."""

    def __init__(
        self,
        bot: Bot,
        dp: Dispatcher,
        client: aioredis.Redis,
        ctx: BotContext,
        translator: Translator,
    ) -> None:
        super().__init__(bot, dp, client, ctx.bot_settings)
        self.translator = translator

    async def _handle(self, entry_id: Any, update: dict[str, Any]) -> None:
        translated = self.translator.update(update)
        if translated is not None:
            await super()._handle(entry_id, translated)
            return
        try:
            await self.client.xack(self.stream, self.group, entry_id)
        finally:
            self.slots.release()


class MaxRunner:
    """Runs polling (or the webhook update feed) and the notifier until stopped."""

    def __init__(
        self,
        bot: Bot,
        api: MaxApi,
        translator: Translator,
        dp: Dispatcher,
        ctx: BotContext,
        settings: MaxSettings,
        redis_url: str,
    ) -> None:
        self.bot = bot
        self.api = api
        self.translator = translator
        self.dp = dp
        self.ctx = ctx
        self.settings = settings
        self.redis = aioredis.Redis.from_url(redis_url)
        self.stop = asyncio.Event()
        self.slots = asyncio.Semaphore(ctx.bot_settings.bot_concurrency)
        self.tasks: set[asyncio.Task[None]] = set()
        self.notifier = Notifier(
            bot,
            self.redis,
            ctx.notices,
            ctx.settings.events_stream,
            ctx.bot_settings.bot_group,
            ctx.deactivate,
            on_event=ctx.coding.apply if ctx.coding else None,
            messenger=Messenger.MAX,
        )

    async def run(self, handle_signals: bool = True) -> None:
        if handle_signals:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self.stop.set)
        started = Outage("MAX Bot API (bot start)", log)
        await until_up(started, self._commands, _transient)
        await until_up(Outage("PostgreSQL (bot start)", log), self.ctx.addresses.served)
        notifier = asyncio.create_task(self.notifier.run(self.stop))
        try:
            if self.settings.max_mode == "webhook":
                feed = MaxUpdateFeed(self.bot, self.dp, self.redis, self.ctx, self.translator)
                await until_up(Outage("Redis (bot start)", log), feed.prepare)
                await self.api.request(
                    "POST",
                    "/subscriptions",
                    body={
                        "url": self.settings.max_webhook_url,
                        "secret": self.settings.max_webhook_secret,
                        "update_types": list(UPDATE_TYPES),
                    },
                )
                await feed.run(self.stop)
            else:
                await until_up(started, self._unsubscribe, _transient)
                await self._poll()
        finally:
            self.stop.set()
            try:
                await notifier
            finally:
                if self.tasks:
                    await asyncio.gather(*self.tasks, return_exceptions=True)
                await self.ctx.services.close()
                await self.redis.aclose()
                await self.dp.storage.close()
                await self.bot.session.close()

    async def shutdown(self) -> None:
        self.stop.set()

    async def _commands(self) -> None:
        await self.bot.set_my_commands([BotCommand(command=c, description=d) for c, d in COMMANDS])

    async def _unsubscribe(self) -> None:
        """MAX sends either to a webhook or to `GET /updates`: polling removes the webhooks."""
        found = await self.api.request("GET", "/subscriptions")
        for subscription in found.get("subscriptions") or []:
            await self.api.request("DELETE", "/subscriptions", {"url": subscription.get("url")})

    async def _poll(self) -> None:
        """`GET /updates` with the marker of the previous page (which commits that page)."""
        marker: int | None = None
        outage = Outage("MAX Bot API (updates)", log)
        timeout = self.ctx.bot_settings.bot_polling_timeout
        while not self.stop.is_set():
            poll = asyncio.ensure_future(
                self.api.request(
                    "GET",
                    "/updates",
                    {"marker": marker, "timeout": timeout, "types": ",".join(UPDATE_TYPES)},
                    seconds=timeout + 10,
                    retry=False,  # the loop below backs off, as aiogram's polling does
                )
            )
            stopping = asyncio.ensure_future(self.stop.wait())
            await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not poll.done():
                poll.cancel()
                with contextlib.suppress(asyncio.CancelledError, MaxApiError):
                    await poll
                break
            try:
                page = UpdateList.model_validate(poll.result())
            except MaxApiError as exc:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), outage.failed(exc))
                continue
            outage.ok()
            for update in page.updates:
                translated = self.translator.update(update.model_dump())
                if translated is not None:
                    await self.slots.acquire()
                    task = asyncio.create_task(self._feed(translated))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
            if page.marker is not None:
                marker = page.marker

    async def _feed(self, update: dict[str, Any]) -> None:
        try:
            await self.dp.feed_raw_update(self.bot, update)
        except Exception as exc:
            log.error("MAX update failed: %s", scrubbed(exc))
        finally:
            self.slots.release()
