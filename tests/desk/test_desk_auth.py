"""Desk sign-in over HTTP: argon2 passwords, the session cookie, CSRF, logout, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatcher.desk.sessions import COOKIE_NAME, SessionStore
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.desk_tables import DeskSession
from tests.desk.conftest import csrf_of, http_login, make_user


def test_login_sets_http_only_lax_session_cookie(client: TestClient, db: Database) -> None:
    make_user(db, "disp1", "dispatcher")
    form = client.get("/desk/login")
    response = client.post(
        "/desk/login",
        data={"login": "disp1", "password": "secret-pass-1", "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE_NAME}=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    with db.session() as session:
        stored = session.scalars(select(DeskSession)).all()
    raw = cookie.split(";")[0].split("=", 1)[1]
    assert len(stored) == 1 and raw.split(".")[0] not in stored[0].id_hash


def test_login_answers_russian_error_when_password_wrong(client: TestClient, db: Database) -> None:
    make_user(db, "disp2", "dispatcher")
    form = client.get("/desk/login")
    response = client.post(
        "/desk/login",
        data={"login": "disp2", "password": "wrong-pass-1", "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 401
    assert "Неверный логин или пароль" in response.text
    assert COOKIE_NAME not in client.cookies


def test_login_refused_when_form_has_no_csrf(client: TestClient, db: Database) -> None:
    make_user(db, "disp3", "dispatcher")
    client.get("/desk/login")
    response = client.post("/desk/login", data={"login": "disp3", "password": "secret-pass-1"})
    assert response.status_code == 403
    assert "Обновите страницу" in response.text


def test_desk_pages_redirect_to_login_when_signed_out(client: TestClient) -> None:
    response = client.get(
        "/desk/calls/new", headers={"accept": "text/html"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/desk/login?next=/desk/calls/new"
    assert client.get("/desk/forms/age", headers={"accept": "application/json"}).status_code == 401


def test_post_without_csrf_token_is_rejected(client: TestClient, db: Database) -> None:
    make_user(db, "disp4", "dispatcher")
    token = http_login(client, "disp4")
    assert client.post("/desk/logout", follow_redirects=False).status_code == 403
    wrong = client.post("/desk/logout", data={"csrf_token": token[::-1]}, follow_redirects=False)
    assert wrong.status_code == 403
    by_header = client.post("/desk/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert by_header.status_code == 303


def test_logout_ends_session_so_old_cookie_is_worthless(client: TestClient, db: Database) -> None:
    make_user(db, "disp5", "dispatcher")
    token = http_login(client, "disp5")
    old_cookie = client.cookies[COOKIE_NAME]
    response = client.post("/desk/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/desk/login"
    client.cookies.set(COOKIE_NAME, old_cookie)
    again = client.get("/desk/calls/new", headers={"accept": "text/html"}, follow_redirects=False)
    assert again.status_code == 303
    with db.session() as session:
        assert session.scalars(select(DeskSession)).all() == []


def test_session_refused_when_tampered_idle_or_expired(db: Database) -> None:
    store = SessionStore("k" * 32, timedelta(hours=12), timedelta(minutes=120))
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with db.session() as session:
        make_user(db, "disp6", "dispatcher")
        user = session.scalar(select(tables.User).where(tables.User.login == "disp6"))
        assert user is not None
        cookie = store.create(session, user, start)
    with db.session() as session:
        assert store.find(session, cookie, start + timedelta(minutes=5)) is not None
        flipped = "1" if cookie.endswith("0") else "0"  # a changed signature, never the same one
        assert store.find(session, cookie[:-1] + flipped, start) is None
        assert store.find(session, "x" + cookie, start) is None
        other_key = SessionStore("z" * 32, timedelta(hours=1), timedelta(hours=1))
        assert other_key.find(session, cookie, start) is None
    with db.session() as session:
        assert store.find(session, cookie, start + timedelta(minutes=130)) is None
    with db.session() as session:
        assert session.scalars(select(DeskSession)).all() == []  # idle one removed
        fresh = store.create(session, user, start)
    with db.session() as session:
        late = start + timedelta(hours=12, minutes=1)
        assert store.find(session, fresh, late) is None
