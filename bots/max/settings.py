"""The MAX bot's settings: `MAX_BOT_TOKEN`, polling or webhook; the dialog's own knobs (FSM TTL,
throttling, questionnaire, concurrency) are the Telegram bot's `BOT_*` settings, shared."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bots.max.api import PRODUCTION_URL
from bots.settings import BotSettings
from dispatcher.settings import Settings

_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")  # MAX allows [A-Za-z0-9_-], 5-256; we ask 16+


class MaxSettings(BaseSettings):
    """`MAX_BOT_TOKEN` from the MAX partner platform; `MAX_MODE=webhook` with `MAX_WEBHOOK_URL`
    (the public https address of `/max/webhook`) and `MAX_WEBHOOK_SECRET`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    max_bot_token: str = ""
    max_api_url: str = PRODUCTION_URL
    max_mode: Literal["polling", "webhook"] = "polling"
    max_webhook_url: str | None = None
    max_webhook_secret: str = ""  # echoed by MAX in X-Max-Bot-Api-Secret
    max_webhook_path: str = "/max/webhook"
    max_webhook_host: str = "0.0.0.0"  # where `python -m bots.max` listens in webhook mode
    max_webhook_port: int = 8082
    max_updates_stream: str = "max-updates"  # webhook updates, stored, for the bot process
    max_group: str = "max-bot"  # consumer group on the event and update streams, FSM prefix
    max_client_name: str = "max-bot"  # the bot's ApiClient row (intake idempotency)
    max_polling_timeout: int = 30  # seconds of one GET /updates long poll (MAX allows 0-90)
    max_send_attempts: int = 5  # 429 and 5xx retries per request before giving up
    max_rate_limit: float = 30.0  # requests per second to MAX at most (its limit); 0: no limit

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.max_webhook_url and self.max_webhook_secret)

    @model_validator(mode="after")
    def _check(self) -> MaxSettings:
        if self.max_mode == "webhook" and not self.webhook_enabled:
            raise ValueError("webhook mode needs MAX_WEBHOOK_URL and MAX_WEBHOOK_SECRET")
        if self.max_webhook_secret and not _SECRET.match(self.max_webhook_secret):
            raise ValueError("MAX_WEBHOOK_SECRET must be 16+ characters of A-Z, a-z, 0-9, _ and -")
        return self

    def dialog(self, shared: BotSettings | None = None) -> BotSettings:
        """The dialog's settings for the MAX bot: the shared `BOT_*` knobs, MAX's own wiring."""
        shared = shared or BotSettings(bot_mode="polling", bot_webhook_secret="")
        return shared.model_copy(
            update={
                "bot_token": "",
                "bot_mode": self.max_mode,
                "bot_webhook_url": self.max_webhook_url,
                "bot_webhook_secret": self.max_webhook_secret,
                "bot_webhook_path": self.max_webhook_path,
                "bot_webhook_host": self.max_webhook_host,
                "bot_webhook_port": self.max_webhook_port,
                "bot_updates_stream": self.max_updates_stream,
                "bot_group": self.max_group,
                "bot_client_name": self.max_client_name,
                "bot_polling_timeout": self.max_polling_timeout,
                "bot_send_attempts": self.max_send_attempts,
            }
        )


class MaxProcessSettings(Settings):
    """`python -m bots.max`'s one Settings, built once in main(): the shared values, MAX's own
    `max` section (`MAX_*`) and the dialog's knobs shared with Telegram (`BOT_*` but the token,
    mode and webhook, which are MAX's own)."""

    max: MaxSettings = Field(default_factory=MaxSettings)
    shared_dialog: BotSettings = Field(
        default_factory=lambda: BotSettings(bot_mode="polling", bot_webhook_secret="")
    )
