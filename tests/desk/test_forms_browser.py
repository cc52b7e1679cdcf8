"""The desk's forms in headless Chromium at 1366×768: a call from the new call form to the route
sheet, a transfer, another MO's call, and the emergency banner that blocks saving."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from dispatcher.desk.doctor_accounts import link_doctor
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from tests.desk.conftest import VIEWPORT, LiveServer, login, make_user, screenshot

LIVE_LIMIT = 1.0  # seconds from saving the form to the row on another open desk
MESSY_ADDRESS = "мос обл химки ул молодежная д63 к2 кв 5"
COMPLAINTS = "темп 38,5 кашель 3 дня"


def _fits(page: Page, name: str) -> None:
    """Nothing runs off the right edge at 1366 px, and the screen is saved as an artifact."""
    screenshot(page, name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"{name}: the page is {width} px wide"
    bar = page.evaluate("(document.querySelector('.topbar') || {}).offsetHeight || 0")
    assert bar <= 44, f"{name}: the top bar wraps ({bar} px high)"


def _columns_hold_their_fields(page: Page) -> None:
    """No input of the form's two columns reaches past its column (they sat over each other)."""
    spill = page.evaluate(
        """() => [...document.querySelectorAll('.nc-col')].flatMap(col => {
            const edge = col.getBoundingClientRect().right + 1;
            return [...col.querySelectorAll('input, select, textarea')]
                .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > edge)
                .map(e => e.id || e.name);
        })"""
    )
    assert spill == [], f"fields past their column: {spill}"


def _wait_live(page: Page) -> None:
    expect(page.locator("#live")).to_have_class("live on", timeout=5000)


def _user_id(db: Database, login: str) -> int:
    with db.session() as session:
        found = session.scalar(select(tables.User.id).where(tables.User.login == login))
        assert found is not None
        return found


def _call(db: Database, call_id: int) -> tables.CallRow:
    with db.session() as session:
        row = session.get(tables.CallRow, call_id)
        assert row is not None
        session.expunge(row)
        return row


def _fill_patient(page: Page, last_name: str) -> None:
    page.fill("#last_name", last_name)
    page.fill("#first_name", "Анна")
    page.fill("#middle_name", "Петровна")
    page.fill("#birth_date", "12.04.1961")
    page.fill("#phone", "8 916 555 12 34")


def _call_id_of_notice(page: Page) -> int:
    link = page.locator("#nc-notice a")
    href = link.get_attribute("href") or ""
    found = re.search(r"/desk/calls/(\d+)$", href)
    assert found, href
    return int(found.group(1))


def test_browser_call_from_the_form_to_the_doctor_and_the_route_sheet(
    new_page: Callable[[], Page], live_server: LiveServer
) -> None:
    db = live_server.db
    make_user(db, "f-reg", "registry")
    make_user(db, "f-disp", "dispatcher")
    make_user(db, "f-vrach", "doctor")
    with db.session() as session:
        link_doctor(session, _user_id(db, "f-vrach"), "D002")  # T2: odd houses of Молодежная
    url = live_server.url
    desk, form = new_page(), new_page()
    login(desk, live_server, "f-disp")
    _wait_live(desk)
    login(form, live_server, "f-reg")
    form.goto(f"{url}/desk/calls/new")

    # the keyboard: the patient search has the focus, Tab walks the patient's fields in order
    expect(form.locator("#patient-search")).to_be_focused()
    form.keyboard.press("Tab")
    expect(form.locator("#last_name")).to_be_focused()
    form.keyboard.type("Формова")
    form.keyboard.press("Tab")
    expect(form.locator("#first_name")).to_be_focused()
    _fill_patient(form, "Формова")
    form.fill("#address", MESSY_ADDRESS)
    form.fill("#complaints", COMPLAINTS)
    parsed = form.locator("#address-parsed")
    expect(parsed.locator("[data-part=street] dd")).to_contain_text("Молодежная")
    expect(parsed.locator("[data-part=house] dd")).to_have_text("63")
    expect(parsed.locator("[data-part=korpus] dd")).to_have_text("2")
    expect(parsed.locator("[data-part=flat] dd")).to_have_text("5")
    expect(parsed.locator("[data-part=district] dd")).to_contain_text("T2")
    expect(form.locator("#district_code")).to_have_value("T2")
    expect(form.locator("#complaints-parsed [data-part=temperature]")).to_have_text("t° 38,5")
    symptoms = form.locator("#complaints-parsed [data-part=symptom]")
    expect(symptoms).to_contain_text(["Кашель", "Температура"])  # Russian names, not codes
    expect(form.locator("#emergency-banner")).to_be_hidden()
    _columns_hold_their_fields(form)
    _fits(form, "form_new_call_filled")

    # Enter in a field saves; the other desk shows the call within a second
    form.focus("#phone")
    form.keyboard.press("Enter")
    expect(form.locator("#nc-notice")).to_contain_text("сохранён")
    started = time.monotonic()
    expect(desk.locator("#rows")).to_contain_text("Формова Анна", timeout=3000)
    elapsed = time.monotonic() - started
    assert elapsed <= LIVE_LIMIT, f"the new call reached the other desk in {elapsed:.2f} s"
    call_id = _call_id_of_notice(form)
    _fits(form, "form_new_call_saved")
    _fits(desk, "form_desk_live_new_call")
    saved = _call(db, call_id)
    assert saved.status == "new" and (saved.address or {}).get("house") == "63"
    assert (saved.complaints or {}).get("temperature") == 38.5

    # the call card → «Назначить врача»: the district's doctor first, one click assigns
    desk.click(f"#call-{call_id} a")
    expect(desk.locator("#call-status")).to_have_text("Новый")
    _fits(desk, "form_call_card_new")
    desk.click("#assign")
    expect(desk.locator("h1")).to_have_text("Назначение вызова на врача")
    expect(desk.locator("#doctor-search")).to_be_focused()
    first_doctor = desk.locator("#doctor-table tr[data-doctor]").first
    expect(first_doctor).to_have_attribute("data-doctor", "D002")
    _fits(desk, "form_assign_dialog")
    desk.locator("tr[data-doctor=D002] button.load:enabled").first.click()
    expect(desk.locator("#call-status")).to_have_text("Активный")
    expect(desk.locator("#doctor")).to_contain_text("Тестов")
    assigned = _call(db, call_id)
    assert assigned.planned_date is not None

    # the doctor: their calls, the route sheet (page and PDF), «Вызов выполнен»
    doctor = new_page()
    login(doctor, live_server, "f-vrach")
    expect(doctor.locator("#doctor-view")).to_contain_text("Формова Анна")
    _fits(doctor, "form_doctor_calls")
    day = assigned.planned_date.isoformat()
    doctor.click(f"[data-day='{day}'] >> xpath=ancestor::section >> text=маршрутный лист")
    expect(doctor.locator("h1")).to_have_text("Маршрутный лист назначенных вызовов на врача")
    expect(doctor.locator("#route-table")).to_contain_text("Формова Анна")
    _fits(doctor, "form_route_sheet")
    pdf_url = doctor.locator("#pdf-link").get_attribute("href")
    pdf = doctor.request.get(f"{url}{pdf_url}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    if shutil.which("pdftotext") is not None:
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf.body(), capture_output=True, check=True
        ).stdout.decode()
        assert "Формова" in text and str(saved.number) in text
    doctor.goto(f"{url}/desk/doctor/calls/{call_id}")
    expect(doctor.locator("#diagnosis")).to_be_focused()
    doctor.fill("#diagnosis", "J06.9")
    doctor.select_option("#result", label="Оставлен дома")
    _fits(doctor, "form_doctor_serve")
    doctor.click("#btn-served")
    expect(doctor.locator("#notice")).to_have_text(f"Вызов № {saved.number} отмечен выполненным")
    expect(desk.locator("#call-status")).to_have_text("Активный")  # the card is not live
    desk.reload()
    expect(desk.locator("#call-status")).to_have_text("Обслуженный")
    served = _call(db, call_id)
    assert (served.status, served.diagnoses, served.result) == ("served", ["J06.9"], "left_at_home")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF text was not read")


def test_browser_transfer_from_the_form_and_the_target_mo_sees_it_but_not_the_original(
    new_page: Callable[[], Page], live_server: LiveServer
) -> None:
    db = live_server.db
    make_user(db, "t-reg", "registry")
    make_user(db, "t-kras", "dispatcher", "DEMO-KRASNOGORSK")
    url = live_server.url
    target = new_page()
    login(target, live_server, "t-kras")
    _wait_live(target)
    page = new_page()
    login(page, live_server, "t-reg")
    page.goto(f"{url}/desk/calls/new")
    _fill_patient(page, "Передаева")
    page.fill("#address", "г Красногорск ул Пушкинская д 5 кв 12")
    page.fill("#complaints", "давление 160/100, головная боль")
    expect(page.locator("#address-parsed [data-part=street]")).to_contain_text("Пушкинская")
    page.click("#btn-transfer")
    expect(page.locator("h1")).to_have_text("Передача вызова в другую медицинскую организацию")
    expect(page.locator("#mo-search")).to_be_focused()
    page.keyboard.type("красног")
    expect(page.locator("[data-mo=DEMO-TALDOM]")).to_be_hidden()
    page.check("[data-mo=DEMO-KRASNOGORSK] input")
    _fits(page, "form_transfer_dialog")
    page.click("#btn-transfer-submit")  # no reason: the browser keeps the dialog open
    expect(page.locator("#reason:invalid")).to_have_count(1)
    expect(page.locator("h1")).to_have_text("Передача вызова в другую медицинскую организацию")
    page.fill("#reason", "Адрес в зоне Красногорской поликлиники")
    page.click("#btn-transfer-submit")
    expect(page.locator("#call-status")).to_have_text("Передан в другую МО")
    _fits(page, "form_call_card_transferred")
    original = int(page.locator("#call-card").get_attribute("data-call-id") or 0)
    expect(target.locator("#rows")).to_contain_text("Передаева Анна", timeout=3000)
    _fits(target, "form_target_mo_desk")
    with db.session() as session:
        copy = session.scalar(
            select(tables.CallRow.status).where(tables.CallRow.origin_call_id == original)
        )
    assert copy == "new"

    # the original stays the sending MO's: another MO's call is a 404 page everywhere
    for path in (f"/desk/calls/{original}", f"/desk/calls/{original}/assign"):
        response = target.goto(f"{url}{path}")
        assert response is not None and response.status == 404, path
        expect(target.locator("h1")).to_have_text("Вызов не найден")
        expect(target.locator("body")).not_to_contain_text("Передаева")
    _fits(target, "form_foreign_call_404")


def test_browser_emergency_complaint_shows_the_banner_and_blocks_saving(
    page: Page, live_server: LiveServer
) -> None:
    db = live_server.db
    make_user(db, "e-agent", "agent")
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(tables.CallRow))
    login(page, live_server, "e-agent")
    page.goto(f"{live_server.url}/desk/calls/new")
    expect(page.locator("input[name=source][value=call_center]")).to_be_checked()  # an agent
    _fill_patient(page, "Экстренова")
    page.fill("#address", MESSY_ADDRESS)
    page.fill("#complaints", "потерял сознание, не дышит")
    banner = page.locator("#emergency-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("103 или 112")
    for button in ("#btn-save", "#btn-save-assign", "#btn-transfer"):
        expect(page.locator(button)).to_be_disabled()
    _fits(page, "form_emergency_banner")
    page.focus("#phone")
    page.keyboard.press("Enter")  # implicit submission has no enabled button: nothing is sent
    expect(page).to_have_url(f"{live_server.url}/desk/calls/new")
    expect(page.locator("#nc-notice")).to_have_count(0)

    # forcing the buttons open in the page does not help: the server refuses it too
    page.eval_on_selector_all(".save-btn", "els => els.forEach(e => e.disabled = false)")
    page.click("#btn-save")
    expect(page.locator("#emergency-banner")).to_be_visible()
    expect(page.locator("#emergency-flags")).not_to_be_empty()
    expect(page.locator("#last_name")).to_have_value("Экстренова")  # nothing typed is lost
    with db.session() as session:
        after = session.scalar(select(func.count()).select_from(tables.CallRow))
    assert after == before
    _fits(page, "form_emergency_refused")


def test_browser_form_by_keyboard_alone(page: Page, live_server: LiveServer) -> None:
    make_user(live_server.db, "k-reg", "registry")
    login(page, live_server, "k-reg")
    page.goto(f"{live_server.url}/desk/calls/new")
    expect(page.locator("#patient-search")).to_be_focused()
    order = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("(e => e.id || e.name || e.tagName)(document.activeElement)")
        order.append(focused)
        if focused == "btn-save":
            break
    expected = [
        "last_name",
        "first_name",
        "middle_name",
        "birth_date",
        "sex",
        "policy_series",
        "policy_number",
        "phone",
        "address",
        "district_code",
        "entrance",
        "floor",
        "intercom",
        "private_sector",
        "complaints",
        "caller_type",
        "caller_name",
        "caller_phone",
        "notes",
    ]
    walked = iter(order)
    assert all(name in walked for name in expected), order  # in this order, others between
    assert order.index("private_sector") + 1 == order.index("complaints"), order  # chips skipped
    assert "btn-save" in order, order
    page.focus("#last_name")
    page.keyboard.type("Клавишин")
    page.keyboard.press("Tab")
    page.keyboard.type("Пётр")
    page.focus("#phone")
    page.keyboard.type("+7 916 000 11 22")
    page.keyboard.press("Tab")
    page.keyboard.type("Химки, Юннатов 4, кв 1")
    page.focus("#complaints")
    page.keyboard.type("кашель, насморк")
    page.keyboard.press("Control+Enter")  # saves from the complaint text
    expect(page.locator("#nc-notice")).to_contain_text("сохранён")
    expect(page.locator("#patient-search")).to_be_focused()  # ready for the next caller
    _fits(page, "form_keyboard_saved")


def test_browser_roles_and_a_deactivated_user(
    new_page: Callable[[], Page], live_server: LiveServer
) -> None:
    db = live_server.db
    make_user(db, "r-admin", "admin")
    make_user(db, "r-vrach", "doctor")
    with db.session() as session:
        link_doctor(session, _user_id(db, "r-vrach"), "D001")
    url = live_server.url
    doctor = new_page()
    login(doctor, live_server, "r-vrach")
    expect(doctor.locator("#doctor-view")).to_be_visible()
    response = doctor.goto(f"{url}/desk/calls/new")
    assert response is not None and response.status == 403
    expect(doctor.locator("#error-message")).to_contain_text("могут операторы")
    _fits(doctor, "form_doctor_refused_403")

    admin = new_page()
    login(admin, live_server, "r-admin")
    admin.goto(f"{url}/desk/admin")
    _fits(admin, "admin_users")
    admin.click("#users tr[data-login=r-vrach] a")
    expect(admin.locator("#user-sessions")).to_have_text("1")
    admin.fill("#interface", "PJSIP/305")
    admin.click("#save-user")
    expect(admin.locator("#notice")).to_have_text("Изменения сохранены")
    expect(admin.locator("#interface")).to_have_value("PJSIP/305")
    admin.click("#deactivate")
    expect(admin.locator("#user-state")).to_have_text("отключён")
    expect(admin.locator("#user-sessions")).to_have_text("0")
    _fits(admin, "admin_user_deactivated")
    doctor.goto(f"{url}/desk/doctor")
    expect(doctor.locator("h1")).to_have_text("Вход в систему")  # signed out at once
    login(doctor, live_server, "r-vrach")
    expect(doctor.locator("#login-error")).to_have_text("Неверный логин или пароль")
    admin.click("#activate")
    expect(admin.locator("#user-state")).to_have_text("активен")
    login(doctor, live_server, "r-vrach")
    expect(doctor.locator("#doctor-view")).to_be_visible()

    # an open desk page of a user switched off goes to the login form by itself
    make_user(db, "r-disp", "dispatcher")
    desk = new_page()
    login(desk, live_server, "r-disp")
    desk.goto(f"{url}/desk")
    expect(desk.locator("#live")).to_have_text("обновления: в реальном времени")
    admin.goto(f"{url}/desk/admin/users/{_user_id(db, 'r-disp')}")
    admin.click("#deactivate")
    expect(admin.locator("#user-state")).to_have_text("отключён")
    expect(desk.locator("h1")).to_have_text("Вход в систему")


def test_browser_form_errors_patient_search_and_save_and_assign(
    page: Page, live_server: LiveServer
) -> None:
    make_user(live_server.db, "s-disp", "dispatcher")
    login(page, live_server, "s-disp")
    page.goto(f"{live_server.url}/desk/calls/new")
    page.fill("#birth_date", "31.02.2020")
    page.click("#btn-save")
    expect(page.locator("#form-errors")).to_be_visible()
    for name in ("last_name", "first_name", "address", "phone", "birth_date"):
        expect(page.locator(f"#err-{name}")).not_to_be_empty()
        expect(page.locator(f"#{name}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#birth_date")).to_have_value("31.02.2020")  # what was typed stays
    _columns_hold_their_fields(page)
    _fits(page, "form_new_call_errors")

    # a patient of the register fills the form; their calls are listed
    page.fill("#patient-search", "7716613186091393")
    found = page.locator("#patient-results .found")
    expect(found).to_contain_text("Тестов Пётр")
    found.click()
    expect(page.locator("#last_name")).to_have_value("Тестов")
    expect(page.locator("#birth_date")).to_have_value("02.11.1958")
    expect(page.locator("#address")).to_have_value(re.compile("Юннатов"))
    for name in ("last_name", "first_name", "address", "phone", "birth_date"):
        expect(page.locator(f"#err-{name}")).to_be_empty()  # filled, so no longer marked
    expect(page.locator("#sex input[value=М]")).to_be_checked()
    radio, label = page.locator("#sex input[value=М]"), page.locator("#sex label").first
    radio_box, label_box = radio.bounding_box(), label.bounding_box()
    assert radio_box and label_box and radio_box["width"] < 30, radio_box  # not stretched
    expect(page.locator("#complaints")).to_be_focused()
    page.keyboard.type("давление 150/90, слабость")
    expect(page.locator("#district_code")).to_have_value("T1")
    _fits(page, "form_patient_found")
    page.click("#btn-save-assign")
    expect(page.locator("h1")).to_have_text("Назначение вызова на врача")
    expect(page.locator("#doctor-table tr[data-doctor]").first).to_have_attribute(
        "data-doctor", "D001"
    )


def test_browser_note_is_triaged_and_the_questionnaire_skips_what_the_form_knows(
    page: Page, live_server: LiveServer
) -> None:
    db = live_server.db
    make_user(db, "n-reg", "registry")
    login(page, live_server, "n-reg")
    page.goto(f"{live_server.url}/desk/calls/new")
    _fill_patient(page, "Примечаева")  # born 12.04.1961: an adult
    page.fill("#address", MESSY_ADDRESS)
    page.fill("#complaints", "кашель, температура 37,5")
    expect(page.locator("#age-out")).to_contain_text("Взрослые")
    expect(page.locator("#complaints-parsed [data-part=temperature]")).to_have_text("t° 37,5")
    banner, flags = page.locator("#emergency-banner"), page.locator("#emergency-flags")
    expect(banner).to_be_hidden()

    # the note is triaged as it is typed: the same banner, saving off
    page.focus("#notes")
    page.keyboard.type("со слов соседки: не дышит, губы синие")
    expect(banner).to_be_visible()
    expect(flags).to_contain_text("дыхания")
    for button in ("#btn-save", "#btn-save-assign", "#btn-transfer"):
        expect(page.locator(button)).to_be_disabled()
    _fits(page, "form_note_emergency_banner")
    page.fill("#notes", "домофон не работает")
    expect(banner).to_be_hidden()
    expect(page.locator("#btn-save")).to_be_enabled()

    # the questionnaire: the age comes from the birth date and is not asked
    question, trail = page.locator("#qn-question"), page.locator("#qn-trail li")
    expect(question).to_have_text("Где сейчас находится пациент?")
    page.locator(".qn-answer").first.focus()
    page.keyboard.press("1")  # at home
    page.keyboard.press("2")  # no danger signs
    expect(question).to_have_text("Что беспокоит пациента?")
    expect(trail).to_have_count(3)
    expect(trail.nth(2)).to_contain_text("Сколько лет пациенту? — Взрослый (18 лет и старше)")
    expect(trail.nth(2)).to_contain_text("по дате рождения, не спрашивается")
    page.keyboard.press("1")  # fever: 37,5 does not tell «39 и выше или 3 дня», so it is asked
    expect(question).to_have_text("Температура 39 и выше или держится больше 3 дней?")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")  # back over the known age to the danger question
    expect(question).to_contain_text("Есть ли сейчас что-то из этого")
    page.keyboard.press("2")
    expect(question).to_have_text("Что беспокоит пациента?")

    # 39,5 typed into the complaint answers the fever question too
    page.fill("#complaints", "кашель, температура 39,5")
    expect(page.locator("#complaints-parsed [data-part=temperature]")).to_have_text("t° 39,5")
    page.locator(".qn-answer").first.focus()
    page.keyboard.press("1")
    expect(page.locator("#qn-code")).to_have_text("61Т")
    expect(trail.nth(4)).to_contain_text("по жалобе: t° 39,5")
    _fits(page, "form_questionnaire_known_answers")

    # left half-way, the questionnaire does not stop the saving; the notice says it is uncoded
    page.click("#qn-restart")
    page.keyboard.press("1")
    expect(question).to_contain_text("Есть ли сейчас что-то из этого")
    page.click("#btn-save")
    expect(page.locator("#nc-notice")).to_contain_text("без кода повода")
    expect(page.locator("#nc-code-later")).to_be_visible()
    _fits(page, "form_saved_uncoded")
    with db.session() as session:
        row = session.scalar(select(tables.CallRow).where(tables.CallRow.notes.is_not(None)))
        assert row is not None and row.notes == "домофон не работает"


def test_browser_operator_confirms_a_possible_emergency_and_saves(
    page: Page, live_server: LiveServer
) -> None:
    db = live_server.db
    make_user(db, "p-agent", "agent")
    login(page, live_server, "p-agent")
    page.goto(f"{live_server.url}/desk/calls/new")
    _fill_patient(page, "Грудинина")
    page.fill("#address", MESSY_ADDRESS)
    page.fill("#complaints", "боли в грудной клетке")
    banner, confirm = page.locator("#emergency-banner"), page.locator("#not-emergency")
    expect(banner).to_be_visible()
    expect(banner).to_have_class("nc-emergency nc-possible")
    expect(page.locator("#emergency-flags")).to_contain_text("уточните характер, силу и давность")
    expect(page.locator("#btn-save")).to_be_disabled()
    confirm.check()
    expect(page.locator("#btn-save")).to_be_enabled()
    _fits(page, "form_possible_emergency")

    # a certain sign added takes the confirmation away; back to the possible one, it is asked anew
    page.fill("#complaints", "боли в грудной клетке, не дышит")
    expect(page.locator("#possible-confirm")).to_be_hidden()
    expect(page.locator("#btn-save")).to_be_disabled()
    page.fill("#complaints", "боли в грудной клетке")
    expect(confirm).to_be_visible()
    expect(confirm).not_to_be_checked()
    expect(page.locator("#btn-save")).to_be_disabled()

    confirm.check()
    page.click("#btn-save")
    expect(page.locator("#nc-notice")).to_contain_text("сохранён")
    row = _call(db, _call_id_of_notice(page))
    assert [f["possible"] for f in row.complaints["red_flags"]] == [True]
    with db.session() as session:
        actions = session.scalars(
            select(tables.CallHistory.action).where(tables.CallHistory.call_id == row.id)
        ).all()
    assert "not_emergency_confirmed" in actions
