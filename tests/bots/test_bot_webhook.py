"""Webhook mode: the route checks the secret, drops redeliveries, stores before the 200; the bot
sets its webhook and answers what Telegram pushes, including what was stored while it was down."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator

import aiohttp
import pytest
import redis
from fastapi.testclient import TestClient

from bots import webhook
from bots.process import serve
from bots.settings import BotSettings
from dispatcher.services.messenger.updates import UpdateInbox
from dispatcher.settings import Settings
from dispatcher.storage.bot_tables import ProcessedUpdate
from dispatcher.storage.database import Database
from tests.bots.conftest import WEBHOOK_SECRET, BotStarter, WebhookApi
from tests.bots.dialogs import make_call, onboard
from tests.bots.fake_telegram import FakeTelegram
from tests.bots.harness import BotHarness
from tests.conftest import WorkerRunner

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
    return TestClient(webhook.app_for(hook, UpdateInbox(bot_db, client)))


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


async def test_bot_in_webhook_mode_sets_its_webhook_and_answers_pushed_updates(
    webhook_bot: BotHarness, webhook_api: WebhookApi, worker: WorkerRunner
) -> None:
    fake = webhook_bot.fake
    _, hook = await fake.wait_for(lambda r: r.method == "setWebhook")
    assert hook.params["url"] == webhook_api.bot_settings.bot_webhook_url
    assert hook.params["secret_token"] == WEBHOOK_SECRET
    chat = webhook_bot.chat(9101)
    await onboard(chat)
    await make_call(chat)
    worker.drain()
    await chat.expect("Вызов принят: Карта вызова №")
    assert fake.pushes and {status for _, status in fake.pushes} == {200}
    assert not fake.sent(method="getUpdates")  # nothing was polled


async def test_bot_in_webhook_mode_handles_a_redelivered_update_once(
    webhook_bot: BotHarness, webhook_api: WebhookApi, redis_client: redis.Redis
) -> None:
    chat = webhook_bot.chat(9102)
    update = await webhook_bot.fake.message(9102, "/help")
    await chat.expect("Команды:")
    assert await webhook_bot.fake.push(update) == 200  # Telegram did not see our first 200
    await chat.send("/cancel")
    await chat.expect("Сейчас нечего отменять")
    assert redis_client.xlen(webhook_api.bot_settings.bot_updates_stream) == 2
    assert len([m for m in chat.messages() if m.startswith("Команды:")]) == 1


async def test_bot_handles_updates_stored_while_it_was_down(
    webhook_api: WebhookApi, fake_telegram: FakeTelegram, start_bot: BotStarter
) -> None:
    hook = webhook_api.bot_settings
    fake_telegram.webhook_url = hook.bot_webhook_url  # set by an earlier run of the bot
    fake_telegram.webhook_secret = hook.bot_webhook_secret
    await fake_telegram.message(9103, "/help")
    assert fake_telegram.pushes[-1][1] == 200  # acknowledged to Telegram: it will not resend
    async with start_bot(hook) as started:
        await started.chat(9103).expect("Команды:")


async def test_bot_process_serves_its_webhook_receiver_while_the_runner_runs(
    bot_db: Database, redis_client: redis.Redis, hook_settings: BotSettings
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    web = webhook.receiver(
        webhook.app_for(hook_settings, UpdateInbox(bot_db, redis_client)), "127.0.0.1", port
    )
    answers: list[int] = []

    class Runner:
        """Stands for the bot: posts one update to the receiver, then stops."""

        async def run(self, handle_signals: bool = True) -> None:
            for _ in range(1000):  # the receiver starts beside the runner
                if web.started:
                    break
                await asyncio.sleep(0.01)
            url = f"http://127.0.0.1:{port}{hook_settings.bot_webhook_path}"
            headers = {webhook.SECRET_HEADER: SECRET}
            async with (
                aiohttp.ClientSession() as session,
                session.post(url, json=UPDATE, headers=headers) as response,
            ):
                answers.append(response.status)

    await asyncio.wait_for(serve(Runner(), web), 15)
    assert answers == [200]
    assert redis_client.xlen(hook_settings.bot_updates_stream) == 1
    with socket.socket() as sock:  # stopped with the runner: the port is free again
        sock.bind(("127.0.0.1", port))
