"""Desk fixtures: signed-in HTTP clients, and (below) a live server with headless Chromium."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from dispatcher.services import accounts
from dispatcher.storage.database import Database

DEMO_MO = "DEMO-KHIMKI"
PASSWORD = "secret-pass-1"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(db: Database, login: str, role: str, mo_code: str = DEMO_MO) -> None:
    """A desk user with the test password."""
    with db.session() as session:
        accounts.create_user(session, login, PASSWORD, role, mo_code, f"Тестов {login}")


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def http_login(
    client: TestClient, login: str, password: str = PASSWORD, landing: str = "/desk/calls/new"
) -> str:
    """Sign in through the login form; returns the session's CSRF token (from `landing`)."""
    form = client.get(f"/desk/login?next={landing}")
    response = client.post(
        "/desk/login",
        data={
            "login": login,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": landing,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == landing
    return csrf_of(client.get(landing).text)
