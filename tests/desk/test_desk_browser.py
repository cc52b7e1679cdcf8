"""The desk in headless Chromium: login, counters and list, live updates, 404, CSRF, logout."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import select

from dispatcher.services import accounts
from dispatcher.storage.database import Database
from dispatcher.storage.desk_tables import AccessLogEntry
from tests.conftest import WorkerRunner, auth
from tests.desk.conftest import DEMO_MO, LiveServer, login, make_user, screenshot
from tests.desk.forms_calls import store_demo_call

LIVE_LIMIT = 1.0  # seconds from the change to the row on an open desk
INTAKE: dict[str, Any] = {
    "source": "portal",
    "patient": {"last_name": "Живая", "first_name": "Мария", "birth_date": "2015-03-02"},
    "phone": "8 (916) 123-45-67",
    "address": "Мос. обл., г.Химки, ул. Молодежная, д.63, кор.2, кв.54 П-д. 1, Этаж 10",
    "complaints": "Температура 38,5, кашель",
    "caller": {"type": "мать", "name": "Живая Ольга Сергеевна"},
}


def _token(db: Database) -> str:
    with db.session() as session:
        return accounts.create_token(
            session, "portal", ["intake", "calls:read", "calls:write"], [DEMO_MO]
        )


def _wait_live(page: Page) -> None:
    expect(page.locator("#live")).to_have_class("live on", timeout=5000)


def test_browser_login_desk_and_logout(page: Page, live_server: LiveServer) -> None:
    make_user(live_server.db, "b-disp", "dispatcher")
    store_demo_call(live_server.db, "Браузеров")
    login(page, live_server, "b-disp", "wrong-password")
    expect(page.locator("#login-error")).to_have_text("Неверный логин или пароль")
    screenshot(page, "desk_login_error")
    login(page, live_server, "b-disp")
    expect(page.locator("h1")).to_have_text("Рабочий стол оператора")
    expect(page.locator("#count-new")).to_have_text("1")
    expect(page.locator("#rows")).to_contain_text("Браузеров")
    expect(page.locator("#rows .countdown")).to_contain_text("осталось")
    _wait_live(page)
    screenshot(page, "desk")
    page.click("#logout")
    expect(page).to_have_url(f"{live_server.url}/desk/login")
    page.goto(f"{live_server.url}/desk")
    expect(page.locator("h1")).to_have_text("Вход в систему")


def test_browser_call_from_api_appears_live_on_two_open_desks(
    new_page: Callable[[], Page], live_server: LiveServer, worker: WorkerRunner
) -> None:
    db = live_server.db
    make_user(db, "b-one", "dispatcher")
    make_user(db, "b-two", "registry")
    desks = [new_page(), new_page()]
    for desk, user in zip(desks, ("b-one", "b-two"), strict=True):
        login(desk, live_server, user)
        _wait_live(desk)
    token = _token(db)
    with httpx.Client(base_url=live_server.url) as api:
        response = api.post("/api/v1/intake", json=INTAKE, headers=auth(token, uuid.uuid4().hex))
        assert response.status_code == 202, response.text
        worker.drain()  # formalizes the call and publishes call.created at once
        started = time.monotonic()
        for desk in desks:
            expect(desk.locator("#rows")).to_contain_text("Живая Мария", timeout=3000)
        created_after = time.monotonic() - started
        assert created_after <= LIVE_LIMIT, f"new call took {created_after:.2f} s"
        call_id = int(desks[0].locator("#rows tr").first.get_attribute("data-call-id") or 0)
        started = time.monotonic()
        api.post(
            f"/api/v1/calls/{call_id}/cancel", json={"reason": "дубль"}, headers=auth(token)
        ).raise_for_status()
        for desk in desks:
            expect(desk.locator(f"#call-{call_id} .status")).to_have_text("Отменён", timeout=3000)
        changed_after = time.monotonic() - started
    assert changed_after <= LIVE_LIMIT, f"status change took {changed_after:.2f} s"
    screenshot(desks[1], "desk_live_second")


def test_browser_foreign_call_is_404_and_openings_are_logged(
    page: Page, live_server: LiveServer
) -> None:
    db = live_server.db
    make_user(db, "b-own", "dispatcher")
    make_user(db, "b-alien", "dispatcher", "DEMO-KRASNOGORSK")
    call_id = store_demo_call(db, "Скрытов")
    login(page, live_server, "b-own")
    page.goto(f"{live_server.url}/desk/calls/{call_id}")
    expect(page.locator("h1")).to_contain_text("Карта вызова №")
    expect(page.locator("#history li")).to_have_count(1)
    screenshot(page, "call_card")
    page.click("#logout")
    login(page, live_server, "b-alien")
    response = page.goto(f"{live_server.url}/desk/calls/{call_id}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Вызов не найден")
    screenshot(page, "call_card_foreign_404")
    with db.session() as session:
        log = session.execute(
            select(AccessLogEntry.login, AccessLogEntry.outcome).where(
                AccessLogEntry.object_id == call_id, AccessLogEntry.object_kind == "call"
            )
        ).all()
    assert sorted(tuple(row) for row in log) == [("b-alien", "denied"), ("b-own", "opened")]


def test_browser_form_with_forged_csrf_is_rejected(page: Page, live_server: LiveServer) -> None:
    make_user(live_server.db, "b-csrf", "dispatcher")
    call_id = store_demo_call(live_server.db, "Подделкин")
    login(page, live_server, "b-csrf")
    page.goto(f"{live_server.url}/desk/calls/{call_id}")
    page.eval_on_selector_all("input[name=csrf_token]", "els => els.forEach(e => e.value = 'x')")
    page.fill("#cancel-reason", "проверка")
    page.click("#cancel")
    expect(page.locator("#error-message")).to_contain_text("Форма устарела")
    page.goto(f"{live_server.url}/desk/calls/{call_id}")
    expect(page.locator("#call-status")).to_have_text("Новый")
    page.fill("#cancel-reason", "дубль")
    page.click("#cancel")
    expect(page.locator("#notice")).to_have_text("Вызов отменён")
    expect(page.locator("#call-status")).to_have_text("Отменён")
