"""`python -m bots`: the Telegram bot (polling by default, or the webhook update feed)."""

from __future__ import annotations

from fastapi import FastAPI

from bots import webhook
from bots.app import BotRunner, build_bot, build_dispatcher
from bots.context import BotContext
from bots.process import run_messenger
from bots.settings import BotProcessSettings, BotSettings
from dispatcher.services.messenger.updates import UpdateInbox


class Telegram:
    """The Telegram adapter: aiogram's Bot on the Bot API, the Telegram webhook route."""

    logger = "bots"

    def __init__(self, settings: BotSettings) -> None:
        self.settings = settings

    def problem(self) -> str | None:
        return None if self.settings.bot_token else "BOT_TOKEN is not set"

    def dialog(self) -> BotSettings:
        return self.settings

    def runner(self, ctx: BotContext, redis_url: str) -> BotRunner:
        dp = build_dispatcher(ctx, redis_url)
        return BotRunner(build_bot(self.settings), dp, ctx, redis_url)

    def webhook(self, inbox: UpdateInbox) -> FastAPI:
        return webhook.app_for(self.settings, inbox)


def main() -> int:
    settings = BotProcessSettings()
    return run_messenger(settings, Telegram(settings.bot))


if __name__ == "__main__":
    raise SystemExit(main())
