"""`python -m bots.max`: the patient bot on MAX (polling by default, or the webhook feed)."""

from __future__ import annotations

from fastapi import FastAPI

from bots.app import build_dispatcher
from bots.context import BotContext
from bots.max import webhook
from bots.max.runner import MaxRunner, build_max_bot
from bots.max.settings import MaxProcessSettings, MaxSettings
from bots.process import run_messenger
from bots.settings import BotSettings
from dispatcher.services.messenger.updates import UpdateInbox


class Max:
    """The MAX adapter: the MAX Bot API behind aiogram's dialog, the MAX webhook route."""

    logger = "bots.max"

    def __init__(self, settings: MaxSettings, shared_dialog: BotSettings) -> None:
        self.settings = settings
        self.shared_dialog = shared_dialog

    def problem(self) -> str | None:
        return None if self.settings.max_bot_token else "MAX_BOT_TOKEN is not set"

    def dialog(self) -> BotSettings:
        return self.settings.dialog(self.shared_dialog)

    def runner(self, ctx: BotContext, redis_url: str) -> MaxRunner:
        bot, api, translator = build_max_bot(self.settings)
        dp = build_dispatcher(ctx, redis_url)
        return MaxRunner(bot, api, translator, dp, ctx, self.settings, redis_url)

    def webhook(self, inbox: UpdateInbox) -> FastAPI:
        return webhook.app_for(self.settings, inbox)


def main() -> int:
    settings = MaxProcessSettings()
    return run_messenger(settings, Max(settings.max, settings.shared_dialog))


if __name__ == "__main__":
    raise SystemExit(main())
