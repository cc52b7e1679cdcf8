"""`python -m bots.max`: the patient bot on MAX (polling by default, or the webhook feed)."""

from __future__ import annotations

import logging

from bots.app import build_context, build_dispatcher, run, settle_heap
from bots.context import BotContext
from bots.max.runner import MaxRunner, build_max_bot
from bots.max.settings import MaxSettings
from dispatcher.logs import configure_logging
from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.outages import Outage, is_database_outage
from dispatcher.redis_server import connect
from dispatcher.settings import Settings
from dispatcher.storage.database import Database

log = logging.getLogger("bots.max")


def main() -> int:
    settings = Settings()
    max_settings = MaxSettings()
    configure_logging(settings.log_level, settings.log_json)
    if not max_settings.max_bot_token:
        log.error("MAX_BOT_TOKEN is not set")
        return 2
    if settings.redis_url is None:
        log.error("REDIS_URL is not set; `make run` starts an embedded Redis")
        return 2
    db = Database(settings.database_url, settings.sql_echo)
    analyzer = NlpAnalyzer()
    client = connect(settings.redis_url)
    dialog = max_settings.dialog()
    built: list[BotContext] = []

    def build() -> None:
        if not built:
            built.append(build_context(settings, dialog, db, client, analyzer))

    Outage("PostgreSQL (bot start)", log).wait_until(build, is_database_outage)
    ctx = built[0]
    bot, api, translator = build_max_bot(max_settings)
    dp = build_dispatcher(ctx, settings.redis_url)
    runner = MaxRunner(bot, api, translator, dp, ctx, max_settings, settings.redis_url)
    settle_heap()
    run(runner.run())
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
