"""The assign, transfer, doctor and route sheet pages over HTTP."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatcher.desk.doctor_accounts import doctor_of_user, link_doctor
from dispatcher.desk.transfer_targets import set_works_until
from dispatcher.launcher import _load_demo
from dispatcher.settings import Settings
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from tests.desk.conftest import http_login, make_user
from tests.desk.forms_calls import assign as assign_call
from tests.desk.forms_calls import mo_id, mo_today, store_demo_call


def _as_user(
    client: TestClient, db: Database, login: str, role: str, doctor: str | None = None
) -> str:
    """Sign in as a new user of the demo MO (linked to `doctor`); returns the CSRF token."""
    make_user(db, login, role)
    if doctor is not None:
        with db.session() as session:
            user = session.scalar(select(tables.User).where(tables.User.login == login))
            assert user is not None
            link_doctor(session, user.id, doctor)
    return http_login(client, login, landing="/desk/doctor" if doctor else "/desk/calls/new")


@pytest.fixture
def desk(client: TestClient) -> TestClient:
    return client


def _status(db: Database, call_id: int) -> tuple[str, int | None]:
    with db.session() as session:
        row = session.get(tables.CallRow, call_id)
        assert row is not None
        return row.status, row.doctor_id


def test_assign_dialog_lists_doctors_and_assigns_in_one_click(
    desk: TestClient, db: Database
) -> None:
    csrf = _as_user(desk, db, "disp", "dispatcher")
    call_id = store_demo_call(db, "Назначаемый", house="13")  # odd house: district T2
    page = desk.get(f"/desk/calls/{call_id}/assign")
    assert page.status_code == 200
    html = page.text
    assert "Карта вызова №" in html and "Назначаемый Иван" in html
    assert html.index("Врачи участка") < html.index("Тестов Б. И.") < html.index("Другие врачи")
    with db.session() as session:
        d002 = session.scalar(select(tables.Doctor.id).where(tables.Doctor.code == "D002"))
        d001 = session.scalar(select(tables.Doctor.id).where(tables.Doctor.code == "D001"))
    tomorrow = html.split('name="day" value="')[2].split('"')[0]
    answer = desk.post(
        f"/desk/calls/{call_id}/assign",
        data={"doctor_id": str(d001), "day": tomorrow, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert _status(db, call_id) == ("active", d001)
    refused = desk.post(
        f"/desk/calls/{call_id}/assign",
        data={"doctor_id": str(d002), "day": "2020-01-01", "csrf_token": csrf},
    )
    assert refused.status_code == 422
    assert "Назначить можно на сегодня или на завтра" in refused.text


def test_assign_dialog_answers_404_for_another_mos_call(desk: TestClient, db: Database) -> None:
    call_id = store_demo_call(db, "Чужой")
    make_user(db, "kras", "dispatcher", "DEMO-KRASNOGORSK")
    http_login(desk, "kras")
    assert desk.get(f"/desk/calls/{call_id}/assign").status_code == 404
    assert desk.get(f"/desk/calls/{call_id}/transfer").status_code == 404


def test_transfer_dialog_moves_the_call_to_another_mo(desk: TestClient, db: Database) -> None:
    csrf = _as_user(desk, db, "disp", "dispatcher")
    taldom, krasnogorsk = mo_id(db, "DEMO-TALDOM"), mo_id(db, "DEMO-KRASNOGORSK")
    with db.session() as session:
        set_works_until(session, taldom, datetime(2018, 4, 30).date())
    call_id = store_demo_call(db, "Передаваемый")
    page = desk.get(f"/desk/calls/{call_id}/transfer")
    assert "работает до 30.04.2018г" in page.text and "ул. Пушкинская, 1" in page.text
    missing = desk.post(
        f"/desk/calls/{call_id}/transfer",
        data={"to_mo": "DEMO-KRASNOGORSK", "csrf_token": csrf},
    )
    assert missing.status_code == 422 and "Укажите причину" in missing.text
    done = desk.post(
        f"/desk/calls/{call_id}/transfer",
        data={
            "to_mo": "DEMO-KRASNOGORSK",
            "reason": "Пациент живёт в Красногорске",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _status(db, call_id)[0] == "transferred"
    with db.session() as session:
        copy = session.scalar(
            select(tables.CallRow).where(tables.CallRow.origin_call_id == call_id)
        )
        assert copy is not None and copy.status == "new"
        assert copy.mo_id == krasnogorsk
        history = session.scalars(
            select(tables.CallHistory.reason).where(tables.CallHistory.call_id == copy.id)
        ).all()
    assert any("Пациент живёт в Красногорске" in (h or "") for h in history)


def test_doctor_serves_an_assigned_call(desk: TestClient, db: Database) -> None:
    csrf = _as_user(desk, db, "vrach", "doctor", doctor="D001")
    call_id = store_demo_call(db, "Лечимый")
    assign_call(db, call_id, "D001", mo_today(db))  # the doctor's list is of the MO's real today
    listing = desk.get("/desk/doctor")
    assert listing.status_code == 200 and "Лечимый Иван" in listing.text
    page = desk.get(f"/desk/doctor/calls/{call_id}")
    assert "Обработка" in page.text or "Вызов врача на дом" in page.text
    bad = desk.post(
        f"/desk/doctor/calls/{call_id}",
        data={"diagnosis": "Ж99", "result": "left_at_home", "csrf_token": csrf},
    )
    assert bad.status_code == 422 and "Неверный код МКБ-10" in bad.text
    assert 'value="Ж99"' in bad.text  # nothing typed is lost
    done = desk.post(
        f"/desk/doctor/calls/{call_id}",
        data={
            "diagnosis": "J06.9",
            "result": "left_at_home",
            "department": "ADULT",
            "note": "ок",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    with db.session() as session:
        row = session.get(tables.CallRow, call_id)
        assert row is not None
        assert (row.status, row.diagnoses, row.result) == ("served", ["J06.9"], "left_at_home")
        assert row.department_id is not None


def test_doctor_cannot_open_another_doctors_call(desk: TestClient, db: Database) -> None:
    _as_user(desk, db, "vrach", "doctor", doctor="D001")
    call_id = store_demo_call(db, "Чужого врача")
    assign_call(db, call_id, "D002", mo_today(db))
    assert desk.get(f"/desk/doctor/calls/{call_id}").status_code == 404


def test_route_sheet_page_and_pdf_have_the_14_columns(desk: TestClient, db: Database) -> None:
    _as_user(desk, db, "disp", "dispatcher")
    called = datetime(2026, 3, 4, 7, 30, tzinfo=UTC)  # a Wednesday, 10:30 in Moscow
    today = date(2026, 3, 4)
    for name, house in (("Маршрутов", "20"), ("Листов", "22")):
        assign_call(db, store_demo_call(db, name, house=house, now=called), "D001", today, called)
    with db.session() as session:
        d001 = session.scalar(select(tables.Doctor.id).where(tables.Doctor.code == "D001"))
    query = f"?doctor={d001}&date={today.isoformat()}"
    page = desk.get("/desk/route-sheet" + query)
    assert page.status_code == 200
    for column in ("Дата вызова", "№ Карты", "Код домофона", "Причина вызова", "Время посещения"):
        assert column in page.text
    assert "Отчет по состоянию на" in page.text and "@media print" in page.text
    pdf = desk.get("/desk/route-sheet.pdf" + query)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "Маршрутный лист назначенных вызовов на врача" in text
    assert "Маршрутов" in text and "Листов" in text  # names wrap inside narrow cells
    assert "Демидова Алла Петровна (D001)" in text
    info = subprocess.run(
        ["pdfinfo", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE), info


def test_demo_doctor_user_is_a_real_demo_doctor(settings: Settings, db: Database) -> None:
    _load_demo(settings, db)
    _load_demo(settings, db)  # twice: idempotent
    with db.session() as session:
        user = session.scalar(select(tables.User).where(tables.User.login == "doctor"))
        assert user is not None
        found = doctor_of_user(session, user.id)
        assert found is not None and found.code == "D001"
