"""Notifications and the СМП journal in headless Chromium: the dead-letter list from the menu,
«Повторить» re-sent to the local SMS center and webhook receiver, the call card's delivery
section, the journal with its CSV; screenshots kept in var/screenshots/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import redis
from playwright.sync_api import Page, expect

from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from tests.desk.conftest import VIEWPORT, LiveServer, login, make_user, screenshot
from tests.desk.test_smp_journal_pages import MOSCOW, smp_call
from tests.notify.conftest import LOOPBACK_ALLOWED, Pipeline, make_call, subscribe
from tests.notify.receiver import Receiver
from tests.notify.smsc import Smsc


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The live server's settings with a notify queue of this test and no wait between tries."""
    return settings.model_copy(
        update={
            "notify_queue": f"notify-{uuid.uuid4().hex[:8]}",
            "notify_backoff_base": 0.0,
            "notify_max_attempts": 3,
            "notify_quiet_start": "00:00",
            "notify_quiet_end": "00:00",
            "webhook_allowed_targets": LOOPBACK_ALLOWED,  # the receiver: http on loopback
        }
    )


@pytest.fixture
def peers(
    settings: Settings, db: Database, redis_client: redis.Redis
) -> Iterator[tuple[Pipeline, Smsc, Receiver]]:
    """The notification pipeline with the local SMS center and webhook receiver of tests/notify."""
    smsc, receiver = Smsc(), Receiver()
    pipeline = Pipeline(settings, db, redis_client, smsc)
    yield pipeline, smsc, receiver
    pipeline.close()
    smsc.close()
    receiver.close()
    keys = list(redis_client.scan_iter(f"rq:*{settings.notify_queue}*"))
    if keys:
        redis_client.delete(*keys)


def _fits(page: Page, name: str) -> None:
    """Nothing runs off the right edge at 1366 px, the top bar stays one line; screen saved."""
    screenshot(page, name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"{name}: the page is {width} px wide"
    bar = page.evaluate("(document.querySelector('.topbar') || {}).offsetHeight || 0")
    assert bar <= 44, f"{name}: the top bar wraps ({bar} px high)"


def test_browser_dead_letters_retry_call_card_deliveries_and_smp_journal(
    page: Page, live_server: LiveServer, peers: tuple[Pipeline, Smsc, Receiver]
) -> None:
    pipeline, smsc, receiver = peers
    db = live_server.db
    _, receiver.secret = subscribe(db, receiver.url)
    smsc.fail_next = receiver.fail_next = 3
    call_id = make_call(db)
    pipeline.run()
    assert {d.state for d in pipeline.deliveries()} == {"dead"}
    received = datetime(2026, 3, 3, 9, 0, tzinfo=MOSCOW)  # a Tuesday morning, not the real clock
    smp_id = smp_call(
        db,
        "Скоропомощев",
        received,
        "СМП-4711",
        timedelta(minutes=50),
    )
    # the admin (the longest top bar) finds the count in the admin section's links
    make_user(db, "b-notify-admin", "admin")
    login(page, live_server, "b-notify-admin")
    page.goto(f"{live_server.url}/desk/admin")
    expect(page.locator("#admin-dead-letters-count")).to_have_text("2")
    _fits(page, "notify_admin_nav")
    page.click("#admin-dead-letters")
    expect(page.locator("#letters tbody tr")).to_have_count(2)
    _fits(page, "notify_dead_letters_admin")

    # a dispatcher's menu counts the dead letters; the list shows them masked, with «Повторить»
    make_user(db, "b-notify-disp", "dispatcher")
    login(page, live_server, "b-notify-disp")
    expect(page.locator("#dead-letters-count")).to_have_text("2")
    page.click("#nav-dead-letters")
    expect(page.locator("h1")).to_have_text("Неотправленные уведомления")
    rows = page.locator("#letters tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#letters")).to_contain_text("+791***4567")
    expect(page.locator("#letters")).to_contain_text("SMPP SUBMIT_SM_RESP status 0x08")
    _fits(page, "notify_dead_letters")
    page.select_option("#filter-channel", "sms")
    page.click("#dead-letter-filters button[type=submit]")
    expect(rows).to_have_count(1)
    _fits(page, "notify_dead_letters_sms")
    rows.first.locator("button", has_text="Повторить").click()
    expect(page.locator("#dead-letters-notice")).to_contain_text("поставлено в очередь")
    expect(page.locator("#dead-letters-count")).to_have_text("1")
    pipeline.drain()
    (text,) = smsc.texts()
    assert text.startswith("Вызов врача на дом принят")

    # the call card: each message with its state; the webhook re-sent from there
    page.click("#letters a[href^='/desk/calls/']")
    expect(page).to_have_url(f"{live_server.url}/desk/calls/{call_id}")
    section = page.locator("#deliveries")
    sms_row = section.locator("tr[data-state]", has_text="SMS")
    expect(sms_row).to_contain_text("+791***4567")
    expect(sms_row).to_contain_text(re.compile("Отправлено|Доставлено"))
    hook_row = section.locator("tr[data-state='dead']")
    expect(hook_row).to_contain_text("Подписчик ответил 500")
    section.scroll_into_view_if_needed()
    _fits(page, "notify_call_card_deliveries")
    hook_row.locator("button", has_text="Повторить").click()
    expect(page).to_have_url(f"{live_server.url}/desk/calls/{call_id}#deliveries")
    expect(section.locator("tr", has_text="Вебхук")).to_contain_text("В очереди")
    pipeline.drain()
    assert receiver.statuses() == ["new"]
    page.reload()
    expect(section.locator("tr", has_text="Вебхук")).to_contain_text("Отправлено")
    expect(page.locator("#dead-letters-count")).to_be_hidden()

    # the СМП journal from the menu, for the day the call was received, with its CSV
    page.click("#nav-smp-journal")
    expect(page.locator("h1")).to_have_text("Журнал передачи неотложных вызовов в поликлинику")
    day = received.date().isoformat()
    page.fill("#first", day)
    page.fill("#last", day)
    page.click("#journal-period button[type=submit]")
    row = page.locator(f"#journal tr[data-call='{smp_id}']")
    expect(row).to_contain_text("СМП-4711")
    expect(row).to_contain_text("Назначен с опозданием")
    _fits(page, "smp_journal")
    with page.expect_download() as download:
        page.click("#journal-csv")
    assert download.value.suggested_filename == f"smp-journal-{day}-{day}.csv"
