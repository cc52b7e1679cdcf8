"""`python -m bots`: the Telegram bot (polling by default, or the webhook update feed)."""

from __future__ import annotations

import logging

from bots.app import BotRunner, build_bot, build_context, build_dispatcher, run, settle_heap
from bots.context import BotContext
from bots.settings import BotSettings
from dispatcher.logs import configure_logging
from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.outages import Outage, is_database_outage
from dispatcher.redis_server import connect
from dispatcher.settings import Settings
from dispatcher.storage.database import Database

log = logging.getLogger("bots")


def main() -> int:
    settings = Settings()
    bot_settings = BotSettings()
    configure_logging(settings.log_level, settings.log_json)
    if not bot_settings.bot_token:
        log.error("BOT_TOKEN is not set")
        return 2
    if settings.redis_url is None:
        log.error("REDIS_URL is not set; `make run` starts an embedded Redis")
        return 2
    db = Database(settings.database_url, settings.sql_echo)
    analyzer = NlpAnalyzer()
    client = connect(settings.redis_url)
    built: list[BotContext] = []

    def build() -> None:
        if not built:
            built.append(build_context(settings, bot_settings, db, client, analyzer))

    # started while PostgreSQL is down: wait for it rather than exit
    Outage("PostgreSQL (bot start)", log).wait_until(build, is_database_outage)
    ctx = built[0]
    bot = build_bot(bot_settings)
    runner = BotRunner(bot, build_dispatcher(ctx, settings.redis_url), ctx, settings.redis_url)
    settle_heap()
    run(runner.run())
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
