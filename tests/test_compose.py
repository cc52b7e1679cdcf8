"""compose.yaml is valid for Docker Compose and wires what production needs."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

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
        [binary, "-f", str(COMPOSE), "--profile", "bot", "config", "-q"],
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
