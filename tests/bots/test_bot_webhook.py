"""The webhook route: secret token checked, redeliveries dropped, stored before the 200."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from bots import webhook
from bots.settings import BotSettings
from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.storage.bot_tables import ProcessedUpdate
from dispatcher.storage.database import Database

SECRET = "s3cret-token-for-the-webhook"
UPDATE = {"update_id": 4242, "message": {"message_id": 1, "date": 0, "text": "/start"}}


@pytest.fixture
def hook_settings(redis_client: redis.Redis) -> Iterator[BotSettings]:
    settings = BotSettings(
        bot_token="1:x",
        bot_webhook_url="https://bot.example/telegram/webhook",
        bot_webhook_secret=SECRET,
        bot_updates_stream=f"bot-updates-{uuid.uuid4().hex[:8]}",
    )
    yield settings
    redis_client.delete(settings.bot_updates_stream)


def _app(
    settings: Settings, bot_db: Database, client: redis.Redis, hook: BotSettings
) -> TestClient:
    app = create_app(settings, bot_db, client, run_relay=False)
    webhook.install(app, hook)
    return TestClient(app)


def test_bot_webhook_refuses_a_request_without_the_secret_token(
    settings: Settings, bot_db: Database, redis_client: redis.Redis, hook_settings: BotSettings
) -> None:
    with _app(settings, bot_db, redis_client, hook_settings) as client:
        assert client.post("/telegram/webhook", json=UPDATE).status_code == 401
        wrong = {webhook.SECRET_HEADER: "not-the-secret-at-all"}
        assert client.post("/telegram/webhook", json=UPDATE, headers=wrong).status_code == 401
    assert redis_client.xlen(hook_settings.bot_updates_stream) == 0


def test_bot_webhook_stores_an_update_once_and_drops_redeliveries(
    settings: Settings, bot_db: Database, redis_client: redis.Redis, hook_settings: BotSettings
) -> None:
    headers = {webhook.SECRET_HEADER: SECRET}
    with _app(settings, bot_db, redis_client, hook_settings) as client:
        first = client.post("/telegram/webhook", json=UPDATE, headers=headers)
        again = client.post("/telegram/webhook", json=UPDATE, headers=headers)
    assert (first.status_code, first.json()["duplicate"]) == (200, False)
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    assert redis_client.xlen(hook_settings.bot_updates_stream) == 1
    with bot_db.session() as session:
        stored = session.get(ProcessedUpdate, 4242)
        assert stored is not None and stored.payload == UPDATE


def test_bot_webhook_route_is_absent_when_not_configured(
    settings: Settings, bot_db: Database, redis_client: redis.Redis
) -> None:
    with _app(settings, bot_db, redis_client, BotSettings(bot_token="1:x")) as client:
        response = client.post("/telegram/webhook", json=UPDATE)
    assert response.status_code == 404
