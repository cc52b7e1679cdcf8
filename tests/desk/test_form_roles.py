"""Who may use which form: 403 pages with the reason in Russian, 404 and 409 pages for calls."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatcher.desk.doctor_accounts import link_doctor
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.desk_tables import AccessLogEntry
from tests.desk.conftest import http_login, make_user
from tests.desk.forms_calls import assign, doctor_id, mo_today, store_demo_call

OPERATORS_ONLY = "оформлять, назначать и передавать вызовы могут операторы"
DOCTORS_ONLY = "обслуживать вызовы может только врач"


def _doctor(client: TestClient, db: Database, login: str = "vrach") -> str:
    make_user(db, login, "doctor")
    with db.session() as session:
        user = session.scalar(select(tables.User).where(tables.User.login == login))
        assert user is not None
        link_doctor(session, user.id, "D001")
    return http_login(client, login, landing="/desk/doctor")


def _status(db: Database, call_id: int) -> str:
    with db.session() as session:
        row = session.get(tables.CallRow, call_id)
        assert row is not None
        return row.status


def test_doctor_cannot_open_or_use_the_operator_forms(client: TestClient, db: Database) -> None:
    csrf = _doctor(client, db)
    call_id = store_demo_call(db, "Запретов")
    for url in (
        "/desk/calls/new",
        f"/desk/calls/{call_id}/assign",
        f"/desk/calls/{call_id}/transfer",
    ):
        page = client.get(url)
        assert page.status_code == 403, url
        assert OPERATORS_ONLY in page.text and 'id="error-message"' in page.text
    posts = {
        f"/desk/calls/{call_id}/assign": {
            "doctor_id": str(doctor_id(db, "D001")),
            "day": "2030-01-01",
        },
        f"/desk/calls/{call_id}/transfer": {"to_mo": "DEMO-KRASNOGORSK", "reason": "проверка"},
        "/desk/calls/new": {"last_name": "Иванов", "first_name": "Иван", "address": "Химки"},
    }
    for url, data in posts.items():
        assert client.post(url, data=data | {"csrf_token": csrf}).status_code == 403, url
    assert _status(db, call_id) == "new"
    parsed = client.get("/desk/forms/address?text=Химки", headers={"Accept": "application/json"})
    assert parsed.status_code == 403 and OPERATORS_ONLY in parsed.json()["message"]


@pytest.mark.parametrize("role", ["registry", "agent", "dispatcher", "admin", "head"])
def test_only_a_doctor_serves_a_call(client: TestClient, db: Database, role: str) -> None:
    make_user(db, f"u-{role}", role)
    csrf = http_login(client, f"u-{role}", landing="/desk")
    call_id = store_demo_call(db, "Необслуженов")
    assign(db, call_id, "D001", mo_today(db))
    assert client.get("/desk/doctor").status_code == 403
    page = client.get(f"/desk/doctor/calls/{call_id}")
    assert page.status_code == 403 and DOCTORS_ONLY in page.text
    done = client.post(
        f"/desk/doctor/calls/{call_id}",
        data={"diagnosis": "J06.9", "result": "left_at_home", "csrf_token": csrf},
    )
    assert done.status_code == 403
    assert _status(db, call_id) == "active"


def test_head_cannot_create_assign_or_transfer(client: TestClient, db: Database) -> None:
    make_user(db, "nachalnik", "head")
    http_login(client, "nachalnik", landing="/desk")
    call_id = store_demo_call(db, "Руководимов")
    for url in (
        "/desk/calls/new",
        f"/desk/calls/{call_id}/assign",
        f"/desk/calls/{call_id}/transfer",
    ):
        assert client.get(url).status_code == 403, url


def test_unlinked_doctor_account_is_told_why(client: TestClient, db: Database) -> None:
    make_user(db, "bezvracha", "doctor")
    http_login(client, "bezvracha", landing="/desk/login")
    for url in ("/desk/doctor", "/desk/route-sheet"):
        page = client.get(url)
        assert page.status_code == 403, url
        assert "не связана с врачом" in page.text


def test_form_dialog_for_another_mos_call_is_a_logged_404_page(
    client: TestClient, db: Database
) -> None:
    call_id = store_demo_call(db, "Чужаков")
    make_user(db, "kras2", "dispatcher", "DEMO-KRASNOGORSK")
    http_login(client, "kras2")
    for url in (f"/desk/calls/{call_id}/assign", f"/desk/calls/{call_id}/transfer"):
        page = client.get(url)
        assert page.status_code == 404 and "<h1>Вызов не найден</h1>" in page.text, url
        assert "Чужаков" not in page.text
    with db.session() as session:
        outcomes = session.scalars(
            select(AccessLogEntry.outcome).where(
                AccessLogEntry.login == "kras2", AccessLogEntry.object_id == call_id
            )
        ).all()
    assert outcomes == ["denied", "denied"]


def test_assign_and_transfer_dialogs_refuse_a_closed_call(client: TestClient, db: Database) -> None:
    make_user(db, "disp3", "dispatcher")
    csrf = http_login(client, "disp3")
    call_id = store_demo_call(db, "Закрытов")
    assign(db, call_id, "D001", mo_today(db))
    with db.session() as session:
        row = session.get(tables.CallRow, call_id)
        assert row is not None
        row.status = "served"
    assign_page = client.get(f"/desk/calls/{call_id}/assign")
    assert assign_page.status_code == 409
    assert "Нельзя назначить врача вызов в статусе «Обслуженный»" in assign_page.text
    assert f'href="/desk/calls/{call_id}"' in assign_page.text
    transfer = client.post(
        f"/desk/calls/{call_id}/transfer",
        data={"to_mo": "DEMO-KRASNOGORSK", "reason": "ошибка", "csrf_token": csrf},
    )
    assert transfer.status_code == 409
    assert "Нельзя передать в другую МО вызов в статусе «Обслуженный»" in transfer.text
    assert _status(db, call_id) == "served"


def test_route_sheet_from_the_menu_asks_an_operator_to_pick_a_doctor(
    client: TestClient, db: Database
) -> None:
    make_user(db, "disp4", "dispatcher")
    http_login(client, "disp4", landing="/desk")
    page = client.get("/desk/route-sheet")
    assert page.status_code == 200
    assert 'id="sheet-picker"' in page.text and "Демидова А. П." in page.text
    assert 'id="route-table"' not in page.text
    missing = client.get("/desk/route-sheet?doctor=999999")
    assert missing.status_code == 404 and "Врач не найден" in missing.text


def test_call_card_action_refused_for_the_role_with_a_page(
    client: TestClient, db: Database
) -> None:
    csrf = _doctor(client, db, "vrach2")
    call_id = store_demo_call(db, "Неотменов")
    refused = client.post(f"/desk/calls/{call_id}/cancel", data={"reason": "x", "csrf_token": csrf})
    assert refused.status_code == 403
    assert (
        "роль «Врач» не может это сделать" in refused.text and 'id="error-message"' in refused.text
    )
    assert _status(db, call_id) == "new"
