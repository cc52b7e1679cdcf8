"""compose.yaml is valid for Docker Compose and wires what production needs."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from bots.max.settings import MaxSettings
from dispatcher.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "compose.yaml"
ENV = {"POSTGRES_PASSWORD": "x", "SECRET_KEY": "y" * 40, "AMI_SECRET": "z"}


def test_compose_config_parses_with_docker_compose() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("docker-compose is not installed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    result = subprocess.run(
        [binary, "-f", str(COMPOSE), "--profile", "bot", "--profile", "max", "config", "-q"],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_compose_services_have_healthchecks_and_ordering() -> None:
    spec = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = spec["services"]
    assert {"postgres", "redis", "web", "worker", "telephony", "bot", "asterisk"} <= set(services)
    for name in ("postgres", "redis", "web", "asterisk"):
        assert "healthcheck" in services[name], name
    assert "--appendonly" in services["redis"]["command"]
    assert services["worker"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert "migrate" in " ".join(services["web"]["command"])


# (service, profile, command, token variable, webhook port variable)
MESSENGERS = [
    ("bot", "bot", "bots", "BOT_TOKEN", "BOT_WEBHOOK_PORT"),
    ("max-bot", "max", "bots.max", "MAX_BOT_TOKEN", "MAX_WEBHOOK_PORT"),
]


@pytest.mark.parametrize(("name", "profile", "module", "token", "port"), MESSENGERS)
def test_compose_runs_each_messenger_in_its_own_profile_serving_its_own_webhook(
    name: str, profile: str, module: str, token: str, port: str
) -> None:
    """An MO switches on either bot or both; each receives its webhook on its own port, not
    through the web service (which carries no bot)."""
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    service = services[name]
    assert service["profiles"] == [profile]
    assert service["command"] == ["python", "-m", module]
    environment = service["environment"]
    assert environment[token].startswith(f"${{{token}")
    assert service["ports"] == [f"{environment[port]}:{environment[port]}"]
    assert "profiles" not in services["web"]
    assert not any(k.startswith(("BOT_", "MAX_")) for k in services["web"].get("environment", {}))


def test_compose_publishes_the_max_webhook_port_the_bot_listens_on() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    default = MaxSettings(max_bot_token="t")
    assert services["max-bot"]["environment"]["MAX_WEBHOOK_PORT"] == str(default.max_webhook_port)
    assert default.max_webhook_path == "/max/webhook"
