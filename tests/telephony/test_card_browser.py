"""The caller card in headless Chromium: the agent's desk shows it when their phone answers,
and «Новый вызов» opens the form prefilled (PostgreSQL, a live server, the real AMI client)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from playwright.sync_api import Page, expect

from dispatcher.services import accounts
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from tests.desk.conftest import (  # noqa: F401  (fixtures)
    DEMO_MO,
    PASSWORD,
    LiveServer,
    browser,
    live_server,
    login,
    page,
    screenshot,
)
from tests.telephony.test_desk_link import (  # noqa: F401
    CALLER,
    Pbx,
    add_known_caller,
    pbx,
    redis_client,
)


@pytest.fixture
def settings(settings: Settings, redis_client: redis.Redis) -> Iterator[Settings]:  # noqa: F811
    """The live server's settings with this test's own card channel and command stream."""
    tag = uuid.uuid4().hex[:8]
    yield settings.model_copy(
        update={
            "phone_cards_channel": f"test-cards-{tag}",
            "telephony_commands_stream": f"test-telephony-commands-{tag}",
        }
    )
    redis_client.delete(f"test-telephony-commands-{tag}")


@pytest.fixture
def link_settings(settings: Settings) -> Settings:
    return settings


@pytest.fixture
def agent(db: Database) -> str:
    with db.session() as session:
        accounts.create_user(
            session, "agent101", PASSWORD, "agent", DEMO_MO, "Иванова Анна", "PJSIP/101"
        )
    add_known_caller(db)
    return "agent101"


def test_card_browser_desk_shows_card_and_opens_prefilled_form(
    agent: str,
    live_server: LiveServer,  # noqa: F811
    pbx: Pbx,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    login(page, live_server, agent)
    page.goto(f"{live_server.url}/desk")
    expect(page.locator("#live")).to_have_class("live on", timeout=5000)
    pbx.server.play("answered_call")
    pbx.start()  # type: ignore[attr-defined]

    card = page.locator("#caller-card")

    expect(card).to_be_visible(timeout=5000)
    expect(card).to_contain_text(CALLER)
    expect(card).to_contain_text("Звонкова Мария Ивановна")
    screenshot(page, "caller-card")
    card.locator(".card-patient-new").click()
    page.wait_for_load_state()
    expect(page.locator("input[name=last_name]")).to_have_value("Звонкова")
    expect(page.locator("input[name=phone]")).to_have_value(CALLER)
    expect(page.locator("input[name=address]")).to_have_value("Химки, ул. Молодежная, д. 12, кв. 5")
    expect(page.locator("#linkedid")).to_have_value("1795354378.0")
