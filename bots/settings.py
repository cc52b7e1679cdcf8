"""The bot's own settings section and `python -m bots`'s one Settings holding it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatcher.settings import Settings


class BotSettings(BaseSettings):
    """`BOT_TOKEN`, `TELEGRAM_API_URL` (a self-hosted Bot API server), polling or webhook mode."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_token: str = ""
    telegram_api_url: str | None = None
    bot_mode: Literal["polling", "webhook"] = "polling"
    bot_webhook_url: str | None = None  # the public https URL Telegram posts updates to
    bot_webhook_secret: str = ""  # echoed by Telegram in X-Telegram-Bot-Api-Secret-Token
    bot_webhook_path: str = "/telegram/webhook"
    bot_webhook_host: str = "0.0.0.0"  # where `python -m bots` listens in webhook mode
    bot_webhook_port: int = 8081
    bot_updates_stream: str = "bot-updates"  # webhook updates, stored, for the bot process
    bot_group: str = "telegram-bot"  # consumer group on the event and update streams
    bot_client_name: str = "telegram-bot"  # the bot's ApiClient row (intake idempotency)
    bot_fsm_ttl: int = 6 * 3600  # an abandoned dialog is forgotten after this many seconds
    bot_throttle_limit: int = 15  # updates per chat per window before the bot stops answering
    bot_throttle_window: float = 5.0
    bot_polling_timeout: int = 10
    bot_send_attempts: int = 5  # 429 and 5xx retries per request before giving up
    bot_cache_ttl: float = 60.0  # seconds a user's phone, people and addresses stay cached
    bot_questionnaire: bool = True  # the reason-code questionnaire after the complaints
    bot_concurrency: int = 64  # updates handled at once (and the FSM's Redis connections)
    # the polyclinic's phone the patient is told to call (voice messages, an operator's
    # cancel) when the MO's reference data has none
    bot_clinic_phone: str = ""
    bot_seen_ttl: int = 24 * 3600  # a message seen once is ignored if delivered again this long

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.bot_webhook_url and self.bot_webhook_secret)

    @model_validator(mode="after")
    def _check(self) -> BotSettings:
        if self.bot_mode == "webhook" and not self.webhook_enabled:
            raise ValueError("webhook mode needs BOT_WEBHOOK_URL and BOT_WEBHOOK_SECRET")
        if self.bot_webhook_secret and len(self.bot_webhook_secret) < 16:
            raise ValueError("BOT_WEBHOOK_SECRET must be 16+ characters")
        return self


class BotProcessSettings(Settings):
    """`python -m bots`'s one Settings, built once in main(): the shared values (DATABASE_URL,
    REDIS_URL, the event stream …) and the bot's own `bot` section (`BOT_*`)."""

    bot: BotSettings = Field(default_factory=BotSettings)
