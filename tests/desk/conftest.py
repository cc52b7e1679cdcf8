"""Desk fixtures: signed-in HTTP clients, and (below) a live server with headless Chromium."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

from dispatcher.app import create_app
from dispatcher.services import accounts
from dispatcher.settings import PROJECT_ROOT, Settings
from dispatcher.storage.database import Database
from tests.loopback import free_port, serving

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


# --- browser: a live server and headless Chromium (Debian's binary, driven by Playwright) ---

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A real uvicorn serving `create_app` over the test database and Redis, relay running;
    `app.dependency_overrides` take effect from the next request on."""

    url: str
    db: Database
    settings: Settings
    app: FastAPI


@pytest.fixture
def live_server(
    db: Database, settings: Settings, redis_client: redis.Redis
) -> Iterator[LiveServer]:
    """The whole app on a free loopback port; PostgreSQL only (one browser walk, the real DB)."""
    if settings.is_sqlite:
        pytest.skip("browser tests run once, on PostgreSQL")
    app = create_app(settings, db, redis_client, run_relay=True)
    with serving(app, free_port(), "desk-live-server") as url:
        yield LiveServer(url, db, settings, app)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; skips without it unless CI (REQUIRE_POSTGRES=1) demands it.

    One per module, not per session: Playwright's sync API keeps an event loop running in this
    thread while it is open, which would break every asyncio test that runs after it.
    """
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install -y chromium): browser tests skipped"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (its own cookies) at 1366×768."""
    context = browser.new_context(viewport=VIEWPORT, locale="ru-RU")
    yield context.new_page()
    context.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """More pages, each in its own context (another user at another desk)."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(viewport=VIEWPORT, locale="ru-RU")
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def login(page: Page, server: LiveServer, user: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form and land on the desk."""
    page.goto(f"{server.url}/desk/login")
    page.fill("#login", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def screenshot(page: Page, name: str) -> Path:
    """Save a screenshot as a test artifact under var/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
