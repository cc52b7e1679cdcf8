"""The desk as measured in headless Chromium at 1366×768: the overdue counter follows the clock,
the 13:00 phrase names the MO's own cutoff, long names keep the layout, the new call form marks
and focuses its fields, channels and addresses read in words, «Другой врач» and the route sheet
agree with the schedule, error pages speak Russian, and SMS in development go to a journal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from dispatcher.desk.forms_web import desk_now
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoDirectory
from tests.desk.conftest import (
    DEMO_MO,
    VIEWPORT,
    LiveServer,
    login,
    make_user,
    screenshot,
)
from tests.desk.forms_calls import mo_today, store_demo_call

# a fixed Tuesday, 15:00 in Moscow: past any cutoff the tests set
TUESDAY_AFTERNOON = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
LONG_SURNAME = "Оченьдлиннофамильная" * 10  # 200 letters, no space to wrap at
LONGEST_STORED = LONG_SURNAME[:100]  # what the API and the database still take


def _fits(page: Page, name: str) -> None:
    """Nothing runs off the right edge at 1366 px; the screen is saved as an artifact."""
    screenshot(page, name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"{name}: the page is {width} px wide"


def _wait_live(page: Page) -> None:
    expect(page.locator("#live")).to_have_class("live on", timeout=5000)


@pytest.fixture
def frozen_server(live_server: LiveServer) -> LiveServer:
    """The whole app with the forms' clock held at a fixed Tuesday afternoon (PostgreSQL only)."""
    live_server.app.dependency_overrides[desk_now] = lambda: TUESDAY_AFTERNOON
    return live_server


def _assign_limit(db: Database) -> timedelta:
    with db.session() as session:
        mo = MoDirectory().by_code(session, DEMO_MO)
        assert mo is not None
        return mo.deadlines.assign


def test_browser_overdue_counter_follows_the_clock_without_a_reload(
    new_page: Callable[[], Page], live_server: LiveServer
) -> None:
    db = live_server.db
    make_user(db, "o-disp", "dispatcher")
    make_user(db, "o-head", "dispatcher")
    page, overdue_list = new_page(), new_page()
    login(page, live_server, "o-disp")
    login(overdue_list, live_server, "o-head")
    overdue_list.goto(f"{live_server.url}/desk?bucket=overdue")
    for desk in (page, overdue_list):
        _wait_live(desk)
    expect(page.locator("#count-overdue")).to_have_text("0")
    # a call whose 30 minutes to assignment run out a few seconds from now, on the open desks
    # (long enough for a busy machine to show it still counting down first)
    almost = datetime.now(UTC) - _assign_limit(db) + timedelta(seconds=10)
    call_id = store_demo_call(db, "Просрочкина", now=almost)
    row = page.locator(f"#call-{call_id}")
    expect(row.locator(".countdown")).to_contain_text("осталось", timeout=8000)
    expect(page.locator("#count-overdue")).to_have_text("0")
    expect(overdue_list.locator(f"#call-{call_id}")).to_have_count(0)
    expect(row.locator(".countdown")).to_contain_text("просрочен на", timeout=20000)
    expect(page.locator("#count-overdue")).to_have_text("1", timeout=5000)
    expect(overdue_list.locator(f"#call-{call_id}")).to_have_count(1, timeout=5000)
    expect(overdue_list.locator("#count-overdue")).to_have_text("1")
    _fits(page, "fixes_overdue_counter_live")


def test_browser_cutoff_phrase_names_the_mo_cutoff(page: Page, frozen_server: LiveServer) -> None:
    db = frozen_server.db
    with db.session() as session:
        session.execute(
            update(tables.MedicalOrganization)
            .where(tables.MedicalOrganization.code == DEMO_MO)
            .values(cutoff="14:30")
        )
    make_user(db, "c-reg", "registry")
    login(page, frozen_server, "c-reg")
    page.goto(f"{frozen_server.url}/desk/calls/new")
    script = page.locator("#cutoff-script")
    expect(script).to_contain_text("в случае оформления вызова после 14-30")
    expect(script).not_to_contain_text("13-00")
    _fits(page, "fixes_cutoff_phrase")


def test_browser_new_call_form_limits_marks_and_focuses_its_fields(
    page: Page, frozen_server: LiveServer
) -> None:
    make_user(frozen_server.db, "l-reg", "registry")
    login(page, frozen_server, "l-reg")
    page.goto(f"{frozen_server.url}/desk/calls/new")
    expect(page.locator("label:has(#phone)")).to_contain_text("Телефон пациента *")
    expect(page.locator("#last_name")).to_have_attribute("maxlength", "50")
    expect(page.locator("#address")).to_have_attribute("maxlength", "300")
    expect(page.locator("fieldset.seg").first).to_contain_text("Колл-центр")

    # the page's limit stops the keyboard at 50 letters
    page.fill("#last_name", LONG_SURNAME)
    assert len(page.input_value("#last_name")) == 50

    # the server refuses a longer one all the same (a script, an old page), with a Russian
    # message, and the cursor goes to the first field to fix, not to the patient search
    page.eval_on_selector(
        "#last_name", "(el, v) => { el.removeAttribute('maxlength'); el.value = v; }", LONG_SURNAME
    )
    page.fill("#first_name", "Анна")
    page.fill("#address", "мос обл химки ул молодежная д63 к2 кв 5")
    page.fill("#complaints", "кашель")
    page.click("#btn-save")
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#err-last_name")).to_have_text(
        "Слишком длинно: не более 50 знаков (введено 200)"
    )
    expect(page.locator("#last_name")).to_be_focused()
    _fits(page, "fixes_form_long_surname_refused")

    # no phone at all: refused, and the cursor lands in the phone field
    page.fill("#last_name", "Телефонова")
    page.click("#btn-save")
    expect(page.locator("#err-phone")).to_contain_text("телефон")
    expect(page.locator("#phone")).to_be_focused()
    _fits(page, "fixes_form_phone_required")

    # a good save: the list shows the parsed address, the card names the desk channel
    page.fill("#phone", "8 916 555 12 34")
    page.fill("#birth_date", "12.04.1961")
    page.click("#btn-save")
    notice = page.locator("#nc-notice")
    expect(notice).to_contain_text("сохранён")
    page.click("#nc-notice a")
    expect(page.locator("#channels")).to_contain_text("оформлен оператором на рабочем столе")
    expect(page.locator("#channels")).not_to_contain_text("другой канал")
    page.goto(f"{frozen_server.url}/desk")
    address = page.locator("#rows .clip.address").first
    expect(address).to_contain_text("Молодежная, д. 63, корп. 2, кв. 5")
    expect(address).not_to_contain_text("мос обл")
    typed = "Как записано: мос обл химки ул молодежная д63 к2 кв 5"
    assert typed in (address.get_attribute("title") or "")
    _fits(page, "fixes_desk_parsed_address")


def test_browser_long_surname_keeps_the_desk_width(page: Page, live_server: LiveServer) -> None:
    db = live_server.db
    call_id = store_demo_call(db, LONGEST_STORED)  # another channel's longest
    make_user(db, "w-disp", "dispatcher")
    login(page, live_server, "w-disp")
    patient = page.locator(f"#call-{call_id} .clip.patient")
    expect(patient).to_have_attribute("title", f"{LONGEST_STORED} Иван")
    clipped = patient.evaluate("el => el.scrollWidth > el.clientWidth")
    assert clipped, "the long name is not cut with «…»"
    _fits(page, "fixes_desk_long_surname")
    for path in (f"/desk/calls/{call_id}", f"/desk/calls/{call_id}/assign"):
        page.goto(f"{live_server.url}{path}")
        _fits(page, "fixes_long_surname_" + path.rsplit("/", 1)[-1])


def test_browser_error_pages_are_russian_and_the_site_has_an_icon(
    page: Page, live_server: LiveServer
) -> None:
    make_user(live_server.db, "e-disp", "dispatcher")
    login(page, live_server, "e-disp")
    url = live_server.url
    response = page.goto(f"{url}/desk/no-such-page")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Страница не найдена")
    expect(page.locator("#error-message")).to_contain_text("ссылка устарела")
    expect(page.locator("nav.menu")).to_be_visible()  # the signed-in menu stays
    _fits(page, "fixes_error_404")
    response = page.goto(f"{url}/api/v1/intake")  # POST only
    assert response is not None and response.status == 405
    expect(page.locator("h1")).to_have_text("Действие недоступно по этому адресу")
    expect(page.locator("body")).not_to_contain_text("detail")
    _fits(page, "fixes_error_405")
    response = page.goto(f"{url}/desk/calls/987654321")  # no such call: no empty red box
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Вызов не найден")
    for alert in page.locator(".alert").all():
        assert alert.inner_text().strip(), "an empty red box"
    icon = page.evaluate(
        """async () => {
            const link = document.querySelector('link[rel=icon]');
            const answer = await fetch('/favicon.ico');
            return [link && link.getAttribute('href'), answer.status,
                    answer.headers.get('content-type')];
        }"""
    )
    assert icon == ["/desk/static/favicon.svg", 200, "image/svg+xml"]


def _off_today(db: Database) -> str:
    """A schedule of every weekday but the MO's today, round the clock."""
    today = mo_today(db).weekday()
    return "; ".join(f"{day} 00:00-24:00" for i, day in enumerate(WEEKDAYS) if i != today)


def test_browser_other_doctor_and_route_sheet_agree_with_the_schedule(
    page: Page, live_server: LiveServer
) -> None:
    db = live_server.db
    with db.session() as session:
        session.execute(update(tables.Doctor).values(schedule="пн-вс 00:00-24:00"))
        session.execute(
            update(tables.Doctor)
            .where(tables.Doctor.code == "D002")
            .values(schedule=_off_today(db))
        )
    call_id = store_demo_call(db, "Подменова", house="13")
    make_user(db, "d-disp", "dispatcher")
    login(page, live_server, "d-disp")
    url = live_server.url

    # a reason code first, so the dialog has the substitution table and «Другой врач»
    page.goto(f"{url}/desk/calls/{call_id}/reason")
    page.locator(".qn-answer").first.focus()
    for key in ("1", "2", "1"):  # at home; no danger signs; (adult by birth date) fever
        page.keyboard.press(key)
    if page.locator("#qn-question").count():
        page.keyboard.press("2")  # not 39 and above, not over 3 days
    expect(page.locator("#qn-code")).to_be_visible()
    page.click("#btn-reason")

    page.goto(f"{url}/desk/calls/{call_id}/assign")
    off = page.locator("#doctor-table tr[data-doctor=D002]")
    expect(off.locator("td").nth(2)).to_contain_text("Не работает")
    select, day = page.locator("#override-doctor"), page.locator("#override-day")
    option = select.locator("option", has_text="сегодня: Не работает")
    expect(option).to_have_count(1)
    expect(select.locator("option", has_text="Свободен")).not_to_have_count(0)
    select.select_option(value=option.get_attribute("value") or "")
    expect(day.locator("option").first).to_be_disabled()
    next_day = day.locator("option").nth(1).get_attribute("value")
    expect(day).to_have_value(next_day or "")
    _fits(page, "fixes_other_doctor_next_day")

    # the route sheet from the menu: a neutral hint and an empty choice, no red error
    page.click("nav.menu >> text=Маршрутный лист")
    expect(page.locator("#sheet-error")).to_have_count(0)
    expect(page.locator("#sheet-hint")).to_have_text(
        "Выберите врача и дату, затем нажмите «Показать»."
    )
    expect(page.locator("#sheet-doctor")).to_have_value("")
    expect(page.locator("#sheet-date")).to_have_value(mo_today(db).isoformat())
    screenshot(page, "fixes_route_sheet_from_menu")


def test_browser_desk_says_sms_go_to_the_local_journal(page: Page, live_server: LiveServer) -> None:
    assert live_server.settings.sms_gateway == "journal"  # the development default
    make_user(live_server.db, "s-disp", "dispatcher")
    login(page, live_server, "s-disp")
    expect(page.locator("#sms-journal")).to_have_text(
        "SMS не отправляются: включён локальный журнал"
    )
    expect(page.locator("#dead-letters-count")).to_be_hidden()
    _fits(page, "fixes_sms_journal_note")
