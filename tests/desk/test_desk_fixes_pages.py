"""Without a browser: Russian JSON for unknown addresses and methods, the form's limits, the
cutoff phrase per MO, and the development SMS journal that replaced failing SMS."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatcher.desk.intake_form import LIMITS, NewCallForm
from dispatcher.notify.sms import JournalSmsGateway, build_gateway
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from intake_core.planning import CUTOFF_SCRIPT, cutoff_script
from tests.desk.conftest import csrf_of, http_login, make_user
from tests.desk.forms_calls import store_demo_call

SECRET = "x" * 40


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/no-such-thing", 404, "not_found"),
        ("GET", "/no-such-page", 404, "not_found"),
        ("GET", "/api/v1/intake", 405, "method_not_allowed"),
        ("DELETE", "/api/v1/auth/login", 405, "method_not_allowed"),
    ],
)
def test_routing_errors_answer_json_clients_in_russian_in_the_api_shape(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method, path, headers={"Accept": "application/json"})
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"message", "errors"}, body
    assert body["errors"][0]["code"] == code
    assert "detail" not in body and not body["message"].isascii()
    if status == 405:
        assert body["message"].endswith(f"метод {method}, допустимы {response.headers['Allow']}")


def test_routing_errors_give_a_browser_a_russian_page(client: TestClient) -> None:
    page = client.get("/api/v1/intake", headers={"Accept": "text/html"})
    assert page.status_code == 405 and page.headers["Allow"] == "POST"
    assert "Действие недоступно по этому адресу" in page.text and '"detail"' not in page.text
    missing = client.get("/desk/nothing-here", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "Страница не найдена" in missing.text
    # a script's fetch keeps the JSON even though it takes HTML fragments elsewhere
    fetch = client.get(
        "/desk/nothing-here", headers={"Accept": "text/html", "X-Requested-With": "fetch"}
    )
    assert fetch.json()["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("last_name", "Ж" * 51, "Слишком длинно: не более 50 знаков (введено 51)"),
        ("address", "Химки " * 60, "Слишком длинно: не более 300 знаков (введено 359)"),
        ("complaints", "кашель " * 300, "Слишком длинно: не более 2000 знаков (введено 2099)"),
    ],
)
def test_new_call_form_refuses_a_field_past_its_limit(
    client: TestClient, db: Database, field: str, typed: str, message: str
) -> None:
    make_user(db, "lim-reg", "registry")
    csrf = http_login(client, "lim-reg")
    form = {
        "csrf_token": csrf,
        "last_name": "Лимитова",
        "first_name": "Анна",
        "phone": "8 916 555 12 34",
        "address": "Химки, Молодежная 12, кв. 5",
        "complaints": "кашель",
        field: typed,
    }
    response = client.post("/desk/calls/new", data=form, follow_redirects=False)
    assert response.status_code == 422
    assert message in response.text
    assert csrf_of(response.text)  # the form comes back to be corrected


def test_form_limits_are_those_the_page_and_the_server_share() -> None:
    assert NewCallForm(last_name="Ж" * LIMITS["last_name"]).length_errors() == {}
    assert set(NewCallForm(notes="н" * 1001).length_errors()) == {"notes"}


@pytest.mark.parametrize(
    ("cutoff", "said"),
    [(time(13, 0), "после 13-00"), (time(14, 30), "после 14-30"), (time(9, 5), "после 09-05")],
)
def test_cutoff_phrase_names_the_cutoff(cutoff: time, said: str) -> None:
    assert said in cutoff_script(cutoff)
    assert cutoff_script(time(13, 0)) == CUTOFF_SCRIPT


def test_development_sms_go_to_the_local_journal(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    assert settings.sms_gateway == "journal"
    gateway = build_gateway(settings, None)
    assert isinstance(gateway, JournalSmsGateway)
    assert gateway.send("+79161234567", "Врач придёт сегодня", 42) == []
    (line,) = settings.sms_journal_path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert entry["text"] == "Врач придёт сегодня" and entry["reference"] == 42
    assert "1234567" not in entry["to"]  # the number is masked on disk


def test_production_sends_sms_only_through_a_named_gateway(tmp_path: Path) -> None:
    production: dict[str, Any] = {
        "APP_ENV": "production",
        "secret_key": SECRET,
        "database_url": "postgresql://u@localhost:5432/d",
        "redis_url": "redis://localhost:6379/0",
        "var_dir": tmp_path,
    }
    assert Settings(**production).sms_gateway == "none"
    assert Settings(**production, sms_gateway="smpp").sms_gateway == "smpp"
    assert Settings(**production, sms_gateway="http").sms_gateway == "http"


def test_board_says_when_the_next_call_turns_overdue(client: TestClient, db: Database) -> None:
    """No event marks the moment a call turns overdue: the board tells the page when to look."""
    make_user(db, "next-disp", "dispatcher")
    http_login(client, "next-disp", landing="/desk")
    empty = client.get("/desk/fragments/board", headers={"X-Requested-With": "fetch"}).text
    assert 'data-next-overdue-in=""' in empty
    ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)
    store_demo_call(db, "Ожидаева", now=ten_minutes_ago)
    store_demo_call(db, "Давнишний", now=ten_minutes_ago - timedelta(hours=1))  # overdue already
    board = client.get("/desk/fragments/board", headers={"X-Requested-With": "fetch"}).text
    found = re.search(r'data-next-overdue-in="([\d.]+)"', board)
    assert found, board
    assert 19 * 60 < float(found.group(1)) <= 20 * 60  # 30 minutes to assign, 10 gone
    assert 'id="count-overdue">1<' in board
