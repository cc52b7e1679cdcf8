"""A messenger process: settings, logging, the database and Redis, the NLP, the wait for
PostgreSQL, then its adapter's runner (and, in webhook mode, its webhook receiver)."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from fastapi import FastAPI

from bots.app import build_context, run, settle_heap
from bots.context import BotContext
from bots.settings import BotSettings
from bots.webhook import Receiver, receiver
from dispatcher.logs import configure_logging
from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.outages import Outage, is_database_outage
from dispatcher.queue import IntakeQueue
from dispatcher.redis_server import connect
from dispatcher.services.messenger import MessengerServices
from dispatcher.services.messenger.updates import UpdateInbox
from dispatcher.settings import Settings


class Runner(Protocol):
    async def run(self, handle_signals: bool = True) -> None: ...


class Adapter(Protocol):
    """What one messenger brings: its settings, its runner, its webhook receiver."""

    logger: str

    def problem(self) -> str | None:
        """Why the process cannot start (a token missing), or None."""

    def dialog(self) -> BotSettings:
        """The dialog's settings for this messenger (mode, webhook, streams, group)."""

    def runner(self, ctx: BotContext, redis_url: str) -> Runner: ...

    def webhook(self, inbox: UpdateInbox) -> FastAPI:
        """The webhook receiver that stores this messenger's updates."""


def run_messenger(settings: Settings, adapter: Adapter) -> int:
    """`python -m bots` and `python -m bots.max`: the exit code of the process, with the
    process's one Settings (built in its main())."""
    log = logging.getLogger(adapter.logger)
    configure_logging(settings.log_level, settings.log_json)
    problem = adapter.problem()
    if problem is not None:
        log.error(problem)
        return 2
    if settings.redis_url is None:
        log.error("REDIS_URL is not set; `make run` starts an embedded Redis")
        return 2
    dialog = adapter.dialog()
    analyzer = NlpAnalyzer()
    client = connect(settings.redis_url)
    queue = IntakeQueue(client, settings.queue_name, settings.job_retries)
    built: list[BotContext] = []

    def build() -> None:
        if not built:
            services = MessengerServices.open(
                settings.database_url,
                settings.sql_echo,
                client,
                analyzer,
                queue,
                dialog.bot_client_name,
                dialog.bot_clinic_phone,
            )
            built.append(build_context(settings, dialog, services, analyzer))

    # started while PostgreSQL is down: wait for it rather than exit
    Outage("PostgreSQL (bot start)", log).wait_until(build, is_database_outage)
    ctx = built[0]
    runner = adapter.runner(ctx, settings.redis_url)
    web = (
        receiver(
            adapter.webhook(ctx.services.updates),
            dialog.bot_webhook_host,
            dialog.bot_webhook_port,
        )
        if dialog.bot_mode == "webhook"
        else None
    )
    settle_heap()
    run(serve(runner, web))
    ctx.services.dispose()
    return 0


async def serve(runner: Runner, web: Receiver | None) -> None:
    """The runner until it stops; the webhook receiver beside it, stopped after it."""
    if web is None:
        await runner.run()
        return
    receiving = asyncio.create_task(web.serve())
    try:
        await runner.run()
    finally:
        web.should_exit = True
        await receiving
