"""The operator commands: migrate, import, create-user, create-token."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from dispatcher.services.accounts import authenticate
from dispatcher.settings import PROJECT_ROOT
from dispatcher.storage import tables
from dispatcher.storage.database import Database


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dispatcher", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert cli(url, "migrate").returncode == 0
    return url


def test_cli_import_create_user_and_token(url: str) -> None:
    imported = cli(url, "import", str(PROJECT_ROOT / "demo"))
    assert imported.returncode == 0, imported.stderr
    assert "districts.csv: 17 строк" in imported.stdout
    user = cli(
        url,
        "create-user",
        "ivanova",
        "--role",
        "agent",
        "--mo",
        "DEMO-KHIMKI",
        "--password",
        "long-enough-1",
        "--interface",
        "PJSIP/101",
    )
    assert user.returncode == 0, user.stderr
    token = cli(url, "create-token", "portal", "--scopes", "intake", "calls:read")
    assert token.returncode == 0, token.stderr
    value = token.stdout.strip().splitlines()[-1]
    assert value.startswith("hv_") and " " not in value
    db = Database(url)
    with db.session() as session:
        principal = authenticate(session, value, datetime.now(UTC))
        assert principal is not None and principal.scopes == {"intake", "calls:read"}
        agent = session.scalar(select(tables.User).where(tables.User.login == "ivanova"))
        assert agent is not None and agent.interface == "PJSIP/101"
        assert agent.password_hash.startswith("$argon2")
    db.dispose()


def test_cli_import_reports_bad_row_in_russian(url: str, tmp_path: Path) -> None:
    (tmp_path / "mos.csv").write_text("code;name\nX;Тестовая МО\n", encoding="utf-8")
    (tmp_path / "departments.csv").write_text(
        "mo_code;code;name;category\nX;A;Отделение;Взрослые\n", encoding="utf-8"
    )
    (tmp_path / "districts.csv").write_text(
        "mo_code;department_code;district_code;district_name;category;city;street;street_type;houses\n"
        "X;A;1;Участок;Взрослые;Город;Ленина;улица;Ч(20-2)\n",
        encoding="utf-8",
    )
    result = cli(url, "import", str(tmp_path))
    assert result.returncode == 2
    assert "districts.csv:2:houses" in result.stderr and "начало больше конца" in result.stderr


def test_cli_refuses_unknown_mo(url: str) -> None:
    result = cli(url, "create-token", "x", "--scopes", "intake", "--mo", "NOPE")
    assert result.returncode == 2 and "не найдена" in result.stderr
