"""MO admin: edit a user (name, role, telephony interface), reset a password, deactivate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.desk_tables import DeskSession
from tests.desk.conftest import PASSWORD, csrf_of, http_login, make_user


@pytest.fixture
def other(client: TestClient) -> Iterator[TestClient]:
    """A second browser on the same app: the edited user's own session."""
    with TestClient(client.app) as second:
        yield second


def _user(db: Database, login: str) -> tables.User:
    with db.session() as session:
        found = session.scalar(select(tables.User).where(tables.User.login == login))
        assert found is not None
        session.expunge(found)
        return found


def _sessions(db: Database, login: str) -> int:
    user_id = _user(db, login).id
    with db.session() as session:
        return len(session.scalars(select(DeskSession).where(DeskSession.user_id == user_id)).all())


def _login_status(client: TestClient, login: str, password: str) -> int:
    form = client.get("/desk/login")
    answer = client.post(
        "/desk/login",
        data={"login": login, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    return answer.status_code


def _admin(client: TestClient, db: Database) -> str:
    make_user(db, "mo-admin", "admin")
    return http_login(client, "mo-admin", landing="/desk/admin")


def test_admin_edits_name_role_and_interface(client: TestClient, db: Database) -> None:
    csrf = _admin(client, db)
    make_user(db, "operator7", "registry")
    user_id = _user(db, "operator7").id
    page = client.get(f"/desk/admin/users/{user_id}")
    assert page.status_code == 200 and "Пользователь operator7" in page.text
    saved = client.post(
        f"/desk/admin/users/{user_id}",
        data={
            "full_name": "Операторова Ольга",
            "role": "agent",
            "interface": "PJSIP/102",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    changed = _user(db, "operator7")
    assert (changed.full_name, changed.role, changed.interface) == (
        "Операторова Ольга",
        "agent",
        "PJSIP/102",
    )
    listing = client.get("/desk/admin").text
    assert "PJSIP/102" in listing and "Оператор колл-центра" in listing


@pytest.mark.parametrize(
    ("interface", "message"),
    [("102", "в виде PJSIP/102"), ("PJSIP/ 1", "в виде PJSIP/102"), ("PJSIP/101", "уже закреплён")],
)
def test_admin_interface_refused_with_reason(
    client: TestClient, db: Database, interface: str, message: str
) -> None:
    csrf = _admin(client, db)
    make_user(db, "holder", "agent")
    with db.session() as session:
        holder = session.scalar(select(tables.User).where(tables.User.login == "holder"))
        assert holder is not None
        holder.interface = "PJSIP/101"
    make_user(db, "operator8", "agent")
    user_id = _user(db, "operator8").id
    refused = client.post(
        f"/desk/admin/users/{user_id}",
        data={"full_name": "X", "role": "agent", "interface": interface, "csrf_token": csrf},
    )
    assert refused.status_code == 422 and message in refused.text
    assert f'value="{interface}"' in refused.text  # what was typed stays in the field
    assert _user(db, "operator8").interface is None


def test_admin_cannot_change_own_role_or_switch_self_off(client: TestClient, db: Database) -> None:
    csrf = _admin(client, db)
    me = _user(db, "mo-admin").id
    role = client.post(
        f"/desk/admin/users/{me}", data={"role": "registry", "full_name": "", "csrf_token": csrf}
    )
    assert role.status_code == 422 and "Свою роль изменить нельзя" in role.text
    off = client.post(f"/desk/admin/users/{me}/active", data={"active": "0", "csrf_token": csrf})
    assert off.status_code == 422 and "Нельзя отключить самого себя" in off.text
    assert _user(db, "mo-admin").role == "admin" and _user(db, "mo-admin").active


def test_password_reset_ends_sessions_and_only_the_new_password_works(
    client: TestClient, other: TestClient, db: Database
) -> None:
    csrf = _admin(client, db)
    make_user(db, "forgetful", "registry")
    http_login(other, "forgetful")
    user_id = _user(db, "forgetful").id
    short = client.post(
        f"/desk/admin/users/{user_id}/password", data={"password": "short", "csrf_token": csrf}
    )
    assert short.status_code == 422 and "не короче 8 символов" in short.text
    assert _sessions(db, "forgetful") == 1
    done = client.post(
        f"/desk/admin/users/{user_id}/password",
        data={"password": "new-secret-42", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _sessions(db, "forgetful") == 0
    gone = other.get("/desk/calls/new", headers={"accept": "text/html"}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/desk/login")
    assert _login_status(other, "forgetful", PASSWORD) == 401
    assert _login_status(other, "forgetful", "new-secret-42") == 303


def test_deactivated_user_is_signed_out_and_cannot_log_in_until_reactivated(
    client: TestClient, other: TestClient, db: Database
) -> None:
    csrf = _admin(client, db)
    make_user(db, "leaver", "dispatcher")
    http_login(other, "leaver", landing="/desk")
    user_id = _user(db, "leaver").id
    off = client.post(
        f"/desk/admin/users/{user_id}/active",
        data={"active": "0", "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "Пользователь отключён" in off.text and 'id="user-state">отключён' in off.text
    assert _sessions(db, "leaver") == 0
    gone = other.get("/desk", headers={"accept": "text/html"}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/desk/login")
    assert _login_status(other, "leaver", PASSWORD) == 401
    api = other.post("/api/v1/auth/login", json={"login": "leaver", "password": PASSWORD})
    assert api.status_code == 422
    on = client.post(
        f"/desk/admin/users/{user_id}/active",
        data={"active": "1", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert on.status_code == 303
    assert _login_status(other, "leaver", PASSWORD) == 303


def test_admin_sees_only_own_mo_users_and_others_are_refused(
    client: TestClient, other: TestClient, db: Database
) -> None:
    csrf = _admin(client, db)
    make_user(db, "stranger", "admin", "DEMO-KRASNOGORSK")
    stranger = _user(db, "stranger").id
    assert client.get(f"/desk/admin/users/{stranger}").status_code == 404
    hidden = client.post(
        f"/desk/admin/users/{stranger}/active", data={"active": "0", "csrf_token": csrf}
    )
    assert hidden.status_code == 404 and _user(db, "stranger").active
    make_user(db, "plain", "dispatcher")
    plain_csrf = http_login(other, "plain", landing="/desk")
    me = _user(db, "mo-admin").id
    refused = other.post(
        f"/desk/admin/users/{me}/active", data={"active": "0", "csrf_token": plain_csrf}
    )
    assert refused.status_code == 403 and "только администратору МО" in refused.text


@pytest.mark.parametrize("action", ["deactivate", "password"])
def test_open_live_socket_of_a_signed_out_user_is_closed(
    client: TestClient, other: TestClient, db: Database, action: str
) -> None:
    csrf = _admin(client, db)
    make_user(db, "watcher", "dispatcher")
    http_login(other, "watcher", landing="/desk")
    user_id = _user(db, "watcher").id
    with other.websocket_connect("/desk/ws") as ws:
        assert ws.receive_json()["type"] == "hello"
        if action == "deactivate":
            path, data = "active", {"active": "0", "csrf_token": csrf}
        else:
            path, data = "password", {"password": "new-secret-42", "csrf_token": csrf}
        done = client.post(f"/desk/admin/users/{user_id}/{path}", data=data, follow_redirects=False)
        assert done.status_code == 303
        while ws.receive_json()["type"] != "signed_out":  # skips other tests' shared events
            pass
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4401
    with pytest.raises(WebSocketDisconnect) as again, other.websocket_connect("/desk/ws"):
        pass
    assert again.value.code == 4401
