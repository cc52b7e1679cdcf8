"""The AMI listener's settings: its own section inside the one Settings of `python -m telephony`,
built in main() and passed down."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatcher.settings import Settings

TEST_SECRET = "intake-secret"  # the recorded test PBX's secret; never valid in production


class TelephonySettings(BaseSettings):
    """AMI connection, watchdog, reconnect and leader-lock settings (env prefix `TELEPHONY_`);
    APP_ENV, REDIS_URL and the desk's command stream are the shared Settings' own."""

    model_config = SettingsConfigDict(
        env_prefix="TELEPHONY_", env_file=".env", extra="ignore", populate_by_name=True
    )

    pbx_id: str = "main"
    ami_host: str = Field("127.0.0.1", validation_alias=AliasChoices("AMI_HOST", "ami_host"))
    ami_port: int = Field(5038, validation_alias=AliasChoices("AMI_PORT", "ami_port"))
    ami_username: str = Field(
        "intake", validation_alias=AliasChoices("AMI_USER", "AMI_USERNAME", "ami_username")
    )
    ami_secret: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("AMI_SECRET", "ami_secret")
    )
    connect_timeout: float = 5.0  # TCP connect and the Login answer
    ping_interval: float = 5.0  # a silent peer is noticed within interval + deadline
    ping_deadline: float = 5.0
    backoff_base: float = 0.5  # reconnect delays: base, 2·base, 4·base … capped
    backoff_cap: float = 30.0
    resync_timeout: float = 10.0
    trunks: list[str] = ["trunk"]  # PJSIP endpoints of the provider: their channels are patients
    originate_context: str = "from-agents"
    originate_timeout: float = 30.0  # how long the agent's phone rings on click-to-call
    emergency_context: str = "emergency"
    emergency_exten: str = "112"
    commands_block_ms: int = 1000  # how long one read of the desk's command stream waits
    lock_ttl: float = 10.0
    lock_renew_interval: float = 3.0
    lock_poll_interval: float = 1.0

    @model_validator(mode="after")
    def _check(self) -> TelephonySettings:
        if self.ping_interval + self.ping_deadline > 15:
            raise ValueError("ping_interval + ping_deadline must detect a silent PBX within 15 s")
        if self.lock_renew_interval >= self.lock_ttl:
            raise ValueError("lock_renew_interval must be shorter than lock_ttl")
        return self

    @property
    def lock_key(self) -> str:
        return f"telephony:leader:{self.pbx_id}"


class ListenerSettings(Settings):
    """`python -m telephony`'s one Settings: the shared values (APP_ENV, DATABASE_URL, REDIS_URL,
    TELEPHONY_COMMANDS_STREAM …) and the listener's own `telephony` section."""

    telephony: TelephonySettings = Field(default_factory=TelephonySettings)

    @model_validator(mode="after")
    def _refuse_test_ami_secret(self) -> ListenerSettings:
        if self.env == "production":
            secret = self.telephony.ami_secret.get_secret_value()
            if not secret or secret == TEST_SECRET:
                raise ValueError("TELEPHONY_AMI_SECRET must be set to the PBX's real AMI secret")
        return self
