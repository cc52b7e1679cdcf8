"""The MAX bot on the wire: 429 and 5xx ridden out, the webhook route's secret and duplicates,
webhook mode end to end, and both messengers running side by side for one MO."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
import redis
from aiogram.types import InlineKeyboardButton
from aiogram.types import InlineKeyboardMarkup as Markup
from fastapi.testclient import TestClient
from sqlalchemy import select

from bots import texts
from bots.ids import MAX_BASE, to_dialog
from bots.max import webhook as max_webhook
from bots.max.api import MaxApi
from bots.max.runner import build_max_bot
from bots.max.settings import MaxSettings
from bots.settings import BotSettings
from dispatcher.services.messenger.updates import UpdateInbox
from dispatcher.settings import Settings
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import ProcessedUpdate, TelegramUser
from dispatcher.storage.database import Database
from tests.bots.dialogs import make_call, onboard
from tests.bots.fake_max import TOKEN, FakeMax
from tests.bots.harness import BotHarness
from tests.bots.max_harness import MAX_WEBHOOK_SECRET, MaxBotStarter, MaxHarness, MaxWebhookApi
from tests.conftest import WorkerRunner
from tests.loopback import free_port

pytest_plugins = ["tests.bots.max_fixtures"]  # the MAX bot's fixtures

MESSAGE = {
    "update_type": "message_created",
    "timestamp": 1_767_000_000_000,
    "message": {
        "sender": {"user_id": 31, "first_name": "Пациент", "is_bot": False},
        "recipient": {"chat_id": 70_000_031, "chat_type": "dialog"},
        "timestamp": 1_767_000_000_000,
        "body": {"mid": "mid.webhook-1", "seq": 1, "text": "/help"},
    },
}


async def test_max_bot_waits_out_429_and_backs_off_on_5xx(max_bot: MaxHarness) -> None:
    chat = max_bot.chat(8201)
    max_bot.fake.fail_next("POST /messages", 429, retry_after=1)
    await chat.send("/help")
    await chat.expect(texts.HELP[:15])
    tries = [r for r in max_bot.fake.requests if r.route == "POST /messages"]
    assert [r.failed for r in tries] == [True, False]
    assert tries[1].at - tries[0].at >= 0.95  # the Retry-After of the 429
    max_bot.fake.fail_next("POST /messages", 503, times=2)
    await chat.send("/help")
    await chat.expect(texts.HELP[:15])
    tries = [r for r in max_bot.fake.requests if r.route == "POST /messages"][2:]
    assert [r.failed for r in tries] == [True, True, False]


async def test_max_bot_keeps_polling_after_the_updates_call_fails(max_bot: MaxHarness) -> None:
    max_bot.fake.fail_next("GET /updates", 502, times=2)
    await max_bot.fake.message(8299, "/help")  # ends the long poll at hand: then two fail
    index, _ = await max_bot.fake.wait_for(lambda r: r.route == "GET /updates" and r.failed)
    await max_bot.fake.wait_for(lambda r: r.route == "GET /updates" and r.failed, index + 1, 15)
    chat = max_bot.chat(8202)
    await chat.send("/help")
    await chat.expect(texts.HELP[:15])


async def test_max_bot_sets_its_commands_and_reply_buttons_become_max_buttons(
    max_bot: MaxHarness,
) -> None:
    assert {c["name"] for c in max_bot.fake.commands} >= {"call", "my", "help"}
    chat = max_bot.chat(8203)
    await chat.send("/start")
    welcome = await chat.expect(texts.WELCOME[:20])
    kinds = {(b["type"], b["text"]) for b in welcome.buttons()}
    assert ("request_contact", texts.SHARE_CONTACT) in kinds


def _app(settings: Settings, db: Database, client: redis.Redis, hook: MaxSettings) -> TestClient:
    return TestClient(max_webhook.app_for(hook, UpdateInbox(db, client)))


def _hook(redis_client: redis.Redis) -> MaxSettings:
    return MaxSettings(
        max_bot_token="t",
        max_webhook_url="https://bot.example/max/webhook",
        max_webhook_secret=MAX_WEBHOOK_SECRET,
        max_updates_stream=f"max-updates-{uuid.uuid4().hex[:8]}",
    )


def test_max_webhook_refuses_a_request_without_the_secret(
    settings: Settings, bot_db: Database, redis_client: redis.Redis
) -> None:
    hook = _hook(redis_client)
    with _app(settings, bot_db, redis_client, hook) as client:
        assert client.post("/max/webhook", json=MESSAGE).status_code == 401
        wrong = {max_webhook.SECRET_HEADER: "not-the-secret-at-all"}
        assert client.post("/max/webhook", json=MESSAGE, headers=wrong).status_code == 401
    assert redis_client.xlen(hook.max_updates_stream) == 0


def test_max_webhook_stores_an_update_once_and_drops_redeliveries(
    settings: Settings, bot_db: Database, redis_client: redis.Redis
) -> None:
    hook = _hook(redis_client)
    headers = {max_webhook.SECRET_HEADER: MAX_WEBHOOK_SECRET}
    try:
        with _app(settings, bot_db, redis_client, hook) as client:
            first = client.post("/max/webhook", json=MESSAGE, headers=headers)
            again = client.post("/max/webhook", json=MESSAGE, headers=headers)
        assert (first.status_code, first.json()["duplicate"]) == (200, False)
        assert (again.status_code, again.json()["duplicate"]) == (200, True)
        assert redis_client.xlen(hook.max_updates_stream) == 1  # stored before the 200
        with bot_db.session() as session:
            stored = session.get(ProcessedUpdate, max_webhook.stored_id(MESSAGE))
            assert stored is not None and stored.payload["message"] == MESSAGE["message"]
            assert stored.update_id >= MAX_BASE  # never a Telegram update id
    finally:
        redis_client.delete(hook.max_updates_stream)


def test_max_webhook_answers_503_and_keeps_nothing_while_the_queue_is_down(
    settings: Settings, bot_db: Database, redis_client: redis.Redis
) -> None:
    """Nothing is acknowledged unless it is stored: MAX delivers it again, and then it is new."""
    hook = _hook(redis_client)
    headers = {max_webhook.SECRET_HEADER: MAX_WEBHOOK_SECRET}
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    try:
        with _app(settings, bot_db, down, hook) as client:
            refused = client.post("/max/webhook", json=MESSAGE, headers=headers)
        assert refused.status_code == 503
        with bot_db.session() as session:
            assert session.get(ProcessedUpdate, max_webhook.stored_id(MESSAGE)) is None
        with _app(settings, bot_db, redis_client, hook) as client:
            again = client.post("/max/webhook", json=MESSAGE, headers=headers)
        assert (again.status_code, again.json()["duplicate"]) == (200, False)
        assert redis_client.xlen(hook.max_updates_stream) == 1
    finally:
        down.close()
        redis_client.delete(hook.max_updates_stream)


def test_max_webhook_route_is_absent_when_not_configured(
    settings: Settings, bot_db: Database, redis_client: redis.Redis
) -> None:
    with _app(settings, bot_db, redis_client, MaxSettings(max_bot_token="t")) as client:
        assert client.post("/max/webhook", json=MESSAGE).status_code == 404


async def test_max_bot_in_webhook_mode_answers_what_max_pushes(
    max_webhook_api: MaxWebhookApi,
    fake_max: FakeMax,
    start_max_bot: MaxBotStarter,
    worker: WorkerRunner,
) -> None:
    async with start_max_bot(max_webhook_api.settings) as bot:
        [subscription] = fake_max.subscriptions
        assert subscription["url"] == max_webhook_api.settings.max_webhook_url
        assert subscription["secret"] == MAX_WEBHOOK_SECRET
        chat = bot.chat(8204)
        await onboard(chat)  # type: ignore[arg-type]
        await make_call(chat)  # type: ignore[arg-type]
        worker.drain()
        await chat.expect("Вызов принят")
    assert all(status == 200 for _seq, status in fake_max.pushes)
    assert not [r for r in fake_max.requests if r.route == "GET /updates"]


async def test_max_bot_in_webhook_mode_handles_a_redelivered_update_once(
    max_webhook_api: MaxWebhookApi,
    fake_max: FakeMax,
    start_max_bot: MaxBotStarter,
    redis_client: redis.Redis,
) -> None:
    """MAX did not see the first 200 and pushes the same message again: answered once."""
    async with start_max_bot(max_webhook_api.settings) as bot:
        chat = bot.chat(8208)
        update = {
            "update_type": "message_created",
            "timestamp": 1_767_000_000_000,
            "message": fake_max.incoming(8208, {"text": "/help"}),
        }
        assert await fake_max.push(1001, update) == 200
        await chat.expect(texts.HELP[:15])
        assert await fake_max.push(1001, update) == 200
        await chat.send("/cancel")
        await chat.expect("Сейчас нечего отменять")
    assert redis_client.xlen(max_webhook_api.settings.max_updates_stream) == 2
    assert len([m for m in chat.messages() if m.startswith(texts.HELP[:15])]) == 1


async def test_max_and_telegram_bots_run_side_by_side_each_answering_its_own_patients(
    bot: BotHarness,
    max_bot: MaxHarness,
    worker: WorkerRunner,
) -> None:
    """One MO runs both bots: the same number in each messenger is two patients' chats, and
    the status message goes back only through the messenger the call came from."""
    on_max, on_telegram = max_bot.chat(8205), bot.chat(8205)
    await onboard(on_max)  # type: ignore[arg-type]
    await make_call(on_max)  # type: ignore[arg-type]
    worker.drain()
    accepted = await on_max.expect("Вызов принят")
    with bot.db.session() as session:
        users = {u.id: u.chat_id for u in session.scalars(select(TelegramUser))}
        call = session.scalars(select(tables.CallRow)).one()
    assert users == {to_dialog(8205): to_dialog(8205)}
    assert f"№ {call.number}" in accepted.text
    await bot.relay_events()
    assert not bot.fake.sent()  # the Telegram bot sent nothing: not its patient
    await on_telegram.send("/start")
    await on_telegram.expect(texts.WELCOME[:20])
    assert not [r for r in max_bot.fake.sent() if r.user_id != 8205]  # nor MAX for Telegram's


async def test_max_client_keeps_under_the_rate_limit(fake_max: FakeMax) -> None:
    """A burst of sends is spread to the configured requests per second instead of earning
    429s: ten sends at five per second take at least a second."""
    api = MaxApi(TOKEN, fake_max.base, rate=5)
    try:
        body = {"text": "проверка"}
        await asyncio.gather(
            *(api.request("POST", "/messages", {"user_id": 8206}, body) for _ in range(10))
        )
    finally:
        await api.close()
    sent = [r.at for r in fake_max.requests if r.route == "POST /messages"]
    assert len(sent) == 10 and sent[-1] - sent[0] >= 0.9


# (settings, why they are refused)
REFUSED_SETTINGS = [
    ({"max_mode": "webhook"}, "webhook mode needs MAX_WEBHOOK_URL"),
    (
        {"max_mode": "webhook", "max_webhook_url": "https://bot.example/max/webhook"},
        "webhook mode needs MAX_WEBHOOK_URL",
    ),
    ({"max_webhook_secret": "short"}, "16+ characters"),
    ({"max_webhook_secret": "пароль-на-русском-языке"}, "16+ characters"),
]


@pytest.mark.parametrize(("values", "reason"), REFUSED_SETTINGS)
def test_max_settings_refuse_a_webhook_without_its_address_or_a_weak_secret(
    values: dict[str, str], reason: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        MaxSettings(max_bot_token="t", **values)  # type: ignore[arg-type]


def test_max_settings_share_the_dialogs_knobs_and_keep_their_own_wiring() -> None:
    shared = BotSettings(bot_token="1:telegram", bot_throttle_limit=7, bot_group="telegram-bot")
    dialog = MaxSettings(max_bot_token="t").dialog(shared)
    assert dialog.bot_throttle_limit == 7
    assert (dialog.bot_group, dialog.bot_client_name) == ("max-bot", "max-bot")
    assert (dialog.bot_updates_stream, dialog.bot_token) == ("max-updates", "")


async def test_max_session_changing_only_the_buttons_keeps_the_text(
    fake_max: FakeMax,
) -> None:
    """MAX edits a message as a whole: an edit of the keyboard alone sends the text along."""
    settings = MaxSettings(max_bot_token=TOKEN, max_api_url=fake_max.base)
    bot, _api, _translator = build_max_bot(settings)
    try:
        chat = to_dialog(8207)
        first = [[InlineKeyboardButton(text="Да", callback_data="yn:1")]]
        sent = await bot.send_message(
            chat, "Есть температура?", reply_markup=Markup(inline_keyboard=first)
        )
        second = [[InlineKeyboardButton(text="✔ Да", callback_data="yn:1")]]
        await bot.edit_message_reply_markup(
            chat_id=chat, message_id=sent.message_id, reply_markup=Markup(inline_keyboard=second)
        )
    finally:
        await bot.session.close()
    [edit] = [r for r in fake_max.requests if r.route == "PUT /messages"]
    assert edit.text == "Есть температура?"
    assert [b["text"] for b in edit.buttons()] == ["✔ Да"]
    assert fake_max.messages[edit.query["message_id"]]["body"]["text"] == "Есть температура?"
