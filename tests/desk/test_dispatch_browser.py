"""Headless Chromium: the reason-code questionnaire run from the keyboard in the new call form,
the «эвакуатор» suggestion following the substitution chain, and the dispatch code."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from dispatcher.storage import tables
from dispatcher.storage.dispatch_tables import CallServiceCard
from tests.desk.conftest import VIEWPORT, LiveServer, login, make_user, screenshot
from tests.desk.forms_calls import store_demo_call

ALWAYS = "пн-вс 00:00-24:00"  # the demo doctors work whenever the test runs


def _fits(page: Page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"{name}: the page is {width} px wide"
    screenshot(page, name)


def _keys(page: Page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)


def test_browser_questionnaire_codes_the_call_and_the_assign_dialog_follows_the_chain(
    page: Page, live_server: LiveServer
) -> None:
    db = live_server.db
    with db.session() as session:
        session.execute(update(tables.Doctor).values(schedule=ALWAYS))
    make_user(db, "q-disp", "dispatcher")
    login(page, live_server, "q-disp")
    url = live_server.url

    # both therapists are done for the day: the chain Т → В → ЖДИТЕ goes on to В
    page.goto(f"{url}/desk/doctors/states")
    for name in ("Демидова А. П.", "Тестов Б. И."):
        row = page.locator("tr", has_text=name)
        row.locator("select[name=state]").select_option("done")
        row.locator("button").click()
        expect(page.locator("tr", has_text=name)).to_contain_text("Закончил работу")
    screenshot(page, "dispatch_doctor_states")

    page.goto(f"{url}/desk/calls/new")
    page.fill("#last_name", "Опросная")
    page.fill("#first_name", "Анна")
    page.fill("#birth_date", "12.04.1961")
    page.fill("#phone", "8 916 555 43 21")
    page.fill("#address", "мос обл химки ул молодежная д63 к2 кв 5")
    page.fill("#complaints", "температура 38, кашель")
    expect(page.locator("#district_code")).to_have_value("T2")

    # keyboard only: digits answer, Backspace steps back
    expect(page.locator("#qn-question")).to_have_text("Где сейчас находится пациент?")
    page.locator(".qn-answer").first.focus()
    _keys(page, "1", "1")  # at home; a red flag: yes
    expect(page.locator("#qn-exit")).to_contain_text("Экстренные показания")
    expect(page.locator("#emergency-banner")).to_be_visible()
    expect(page.locator("#btn-save")).to_be_disabled()
    _fits(page, "dispatch_questionnaire_red_flag")
    _keys(page, "Backspace")
    expect(page.locator("#btn-save")).to_be_enabled()
    expect(page.locator("#emergency-banner")).to_be_hidden()
    _keys(page, "2", "1")  # no red flag; (adult: from the birth date, not asked) fever
    expect(page.locator("#qn-question")).to_have_text(
        "Температура 39 и выше или держится больше 3 дней?"
    )
    _keys(page, "Tab", "Enter")  # Tab to «Нет», Enter presses it
    expect(page.locator("#qn-code")).to_have_text("60Т")
    expect(page.locator("#qn-outcome")).to_contain_text("В течение дня")
    expect(page.locator("#qn-trail li")).to_have_count(5)
    _fits(page, "dispatch_questionnaire_outcome")

    page.click("#btn-save-assign")
    expect(page.locator("h1")).to_have_text("Назначение вызова на врача")
    panel = page.locator("#evacuator")
    expect(panel.locator("#evac-reason")).to_have_text("60Т")
    expect(panel.locator(".chain li.tried")).to_have_text(["Т"])
    expect(panel.locator(".chain li.chosen")).to_have_text(["В"])
    expect(panel.locator("#evac-headline")).to_contain_text(
        "Направьте: Образцова В. Н. (В, подмена)"
    )
    _fits(page, "dispatch_assign_suggestion")

    page.click("#btn-evac-confirm")  # one click confirms the table's choice
    expect(page.locator("#call-status")).to_have_text("Активный")
    expect(page.locator("#doctor")).to_contain_text("Образцова")
    page.click("#service-card-link")
    expect(page.locator("#dispatch-code")).to_have_text("60ТВ·")
    expect(page.locator("#coded-by")).to_contain_text("q-disp")
    expect(page.locator("#mismatches")).to_contain_text("нехватка")
    _fits(page, "dispatch_service_card")

    with db.session() as session:
        card = session.scalar(select(CallServiceCard))
        assert card is not None
        assert (card.reason_code, card.sent_letter, card.override_reason) == ("60Т", "В", None)
        assert card.branch == "adult_fever_home" and len(card.answers) == 5


def test_browser_questionnaire_gives_back_the_triage_banner_it_took_over(
    page: Page, live_server: LiveServer
) -> None:
    make_user(live_server.db, "q-agent", "agent")
    login(page, live_server, "q-agent")
    page.goto(f"{live_server.url}/desk/calls/new")
    page.fill("#complaints", "мама потеряла сознание")  # the complaint triage raises the banner
    expect(page.locator("#emergency-banner")).to_be_visible()
    expect(page.locator("#btn-save")).to_be_disabled()
    flags = page.locator("#emergency-flags").inner_text()
    page.locator(".qn-answer").first.focus()
    _keys(page, "1", "1")
    expect(page.locator("#emergency-flags")).to_contain_text("Экстренные показания")
    _keys(page, "Backspace")
    expect(page.locator("#emergency-banner")).to_be_visible()  # still the triage's
    expect(page.locator("#emergency-flags")).to_have_text(flags)
    expect(page.locator("#btn-save")).to_be_disabled()


def test_browser_red_flag_exit_on_a_stored_call_is_recorded(
    page: Page, live_server: LiveServer
) -> None:
    db = live_server.db
    call_id = store_demo_call(db, "Экстренцев", house="13")
    make_user(db, "q-exit", "dispatcher")
    login(page, live_server, "q-exit")
    page.goto(f"{live_server.url}/desk/calls/{call_id}/reason")
    expect(page.locator("#emergency-banner")).to_be_hidden()
    page.locator(".qn-answer").first.focus()
    _keys(page, "1", "1")  # at home; a red flag: yes
    expect(page.locator("#emergency-banner")).to_be_visible()
    expect(page.locator("#btn-reason")).to_be_disabled()
    page.click("#btn-record-exit")
    expect(page.locator("#emergency-recorded")).to_contain_text("Записано в вызов №")
    expect(page.locator("#emergency-flags")).to_have_text("Экстренные показания")
    _fits(page, "dispatch_reason_red_flag_recorded")
    page.click("#emergency-recorded a")
    expect(page.locator("dd.flag")).to_have_text("Экстренные показания")
    expect(page.locator("#history")).to_contain_text("Опросник: Экстренные показания")
