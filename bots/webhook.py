"""Webhook mode: a small web app stores each update, then the bot's feed hands it to aiogram.

The route checks Telegram's secret token, drops a redelivered `update_id`, and stores the
update (database row + Redis stream entry) before answering 200, so an acknowledged update is
never lost. `python -m bots` with BOT_MODE=webhook serves the route itself (on
BOT_WEBHOOK_HOST:BOT_WEBHOOK_PORT) and reads the stream through a consumer group shared by
every bot instance, so whichever instance received an update, one of them handles it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import socket
from collections.abc import Iterator
from typing import Annotated, Any

import redis
import redis.asyncio as aioredis
import uvicorn
from aiogram import Bot, Dispatcher
from fastapi import APIRouter, Body, FastAPI, Header, HTTPException, Request, status

from bots.errors import scrubbed
from bots.notifier import ensure_group
from bots.settings import BotSettings
from dispatcher.outages import Outage, is_redis_outage
from dispatcher.services.messenger.updates import UpdateInbox

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def store_update(inbox: UpdateInbox, stream: str, update: dict[str, Any]) -> bool:
    """Keep the update once; False for a redelivery. The stream entry is added before commit."""
    update_id = update.get("update_id")
    if not isinstance(update_id, int):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "update_id missing")
    return inbox.store(stream, update_id, update)


def router_for(bot_settings: BotSettings, inbox: UpdateInbox) -> APIRouter:
    router = APIRouter(tags=["telegram"])
    secret = bot_settings.bot_webhook_secret.encode()

    @router.post(bot_settings.bot_webhook_path, include_in_schema=False)
    def telegram_webhook(
        request: Request,
        update: Annotated[dict[str, Any], Body()],
        token: Annotated[str | None, Header(alias=SECRET_HEADER)] = None,
    ) -> dict[str, bool]:
        """Telegram's update: 401 without the secret, 200 once it is stored (or a duplicate)."""
        if token is None or not hmac.compare_digest(token.encode(), secret):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad secret token")
        try:
            fresh = store_update(inbox, bot_settings.bot_updates_stream, update)
        except redis.RedisError as exc:
            # not stored: Telegram retries later, nothing is lost
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "queue unavailable") from exc
        return {"ok": True, "duplicate": not fresh}

    return router


def receiver_app(*routers: APIRouter) -> FastAPI:
    """A webhook receiver: its routes and nothing else (no docs, no schema)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    for router in routers:
        app.include_router(router)
    return app


def app_for(bot_settings: BotSettings, inbox: UpdateInbox) -> FastAPI:
    """The Telegram webhook receiver; without a configured webhook it has no route."""
    if not bot_settings.webhook_enabled:
        return receiver_app()
    return receiver_app(router_for(bot_settings, inbox))


class Receiver(uvicorn.Server):
    """uvicorn serving the webhook inside the bot process; the bot's runner owns SIGTERM and
    SIGINT (it finishes the updates at hand), and stops the receiver after it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def receiver(app: FastAPI, host: str, port: int) -> Receiver:
    return Receiver(uvicorn.Config(app, host=host, port=port, log_level="warning"))


def _no_group(exc: BaseException) -> bool:
    """Redis came back without our consumer group (a restart that lost its data)."""
    return isinstance(exc, redis.ResponseError) and "NOGROUP" in str(exc)


class UpdateFeed:
    """The bot side of webhook mode: stored updates → aiogram, acknowledged after handling.

    Updates are handled as concurrent tasks, as in polling (one chat's updates still wait for
    each other in aiogram's event isolation), at most `bot_concurrency` at a time.
    """

    def __init__(
        self, bot: Bot, dp: Dispatcher, client: aioredis.Redis, bot_settings: BotSettings
    ) -> None:
        self.bot = bot
        self.dp = dp
        self.client = client
        self.stream = bot_settings.bot_updates_stream
        self.group = bot_settings.bot_group
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self.slots = asyncio.Semaphore(bot_settings.bot_concurrency)
        self.tasks: set[asyncio.Task[None]] = set()

    async def prepare(self) -> None:
        """The consumer group from the stream's start: updates stored before the bot's first
        run were acknowledged to Telegram and must still be handled. Call before setWebhook."""
        await ensure_group(self.client, self.stream, self.group, start="0")

    async def run(self, stop: asyncio.Event) -> None:
        """Read until stopped; a Redis outage is waited out with backoff and logged once, then
        the group is made anew if Redis came back empty and own pending entries are read again
        (an update whose handling or acknowledgement the outage cut off is handled again)."""
        outage = Outage("Redis (bot update feed)", log)
        start: Any = "0"  # first our own unacknowledged entries, then new ones
        try:
            while not stop.is_set():
                try:
                    if start == "0":
                        await self.prepare()  # Redis may have come back without the group
                    read: Any = await self.client.xreadgroup(
                        self.group, self.consumer, {self.stream: start}, count=50, block=1000
                    )
                except Exception as exc:
                    if not (is_redis_outage(exc) or _no_group(exc)):
                        raise
                    start = "0"
                    if is_redis_outage(exc):
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), outage.failed(exc))
                    continue
                outage.ok()
                entries = [entry for _name, items in read or [] for entry in items if entry[1]]
                if start != ">":  # walking our pending list: on past these, then to new ones
                    start = entries[-1][0] if entries else ">"
                for entry_id, fields in entries:
                    await self.slots.acquire()
                    task = asyncio.create_task(self._handle(entry_id, json.loads(fields[b"data"])))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
        finally:
            if self.tasks:
                await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _handle(self, entry_id: Any, update: dict[str, Any]) -> None:
        try:
            await self.dp.feed_raw_update(self.bot, update)
            await self.client.xack(self.stream, self.group, entry_id)
        except Exception as exc:  # left pending: handled again after a restart or an outage
            if not is_redis_outage(exc):  # an outage is logged once, by `run`
                log.error("webhook update %s failed: %s", update.get("update_id"), scrubbed(exc))
        finally:
            self.slots.release()


def install(app: FastAPI, bot_settings: BotSettings | None = None) -> None:
    """Nothing: `python -m bots` serves its webhook itself. Kept only while the API factory
    still calls it; delete with that call."""
