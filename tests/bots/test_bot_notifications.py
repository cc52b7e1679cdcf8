"""Status notifications from the event stream, and the bot's manners with 429, 5xx and 403."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import cast

import pytest
import redis
from sqlalchemy import select

from dispatcher.services.intake import submit
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.settings import Settings
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import TelegramUser
from intake_core.call import ServiceResult
from tests.bots.conftest import MO_PHONES
from tests.bots.dialogs import PHONE, make_call, onboard
from tests.bots.harness import BotHarness
from tests.conftest import WorkerRunner

OPERATOR = Actor("operator1", None)
# the desk's words a patient should not read: «МО», «Обслуженный», «Передан в другую МО»
# (a polyclinic's own name, «ГБУЗ МО «…»», is said as it is)
DESK_WORDS = re.compile(r"(?<!ГБУЗ )\bМО\b|обслужен", re.IGNORECASE)


def _plain(messages: list[str]) -> None:
    for message in messages:
        assert not DESK_WORDS.search(message), message


def _doctor_id(bot: BotHarness, code: str = "D001") -> int:
    with bot.db.session() as session:
        return int(
            session.scalars(select(tables.Doctor.id).where(tables.Doctor.code == code)).one()
        )


def _only_call(bot: BotHarness) -> tables.CallRow:
    with bot.db.session() as session:
        return session.scalars(select(tables.CallRow)).one()


async def test_bot_notifies_assigned_and_served_without_medical_text(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(8001)
    await onboard(chat)
    await make_call(chat)
    worker.drain()
    await chat.expect("Вызов принят")
    call = _only_call(bot)
    with bot.db.session() as session:
        CallLifecycle(session, OPERATOR).assign(call.id, _doctor_id(bot), call.planned_date)
    await bot.relay_events()
    assigned = await chat.expect(f"По вызову № {call.number} назначен врач: Демидова А. П.")
    assert f"{call.planned_date:%d.%m.%Y}" in assigned.text
    assert ".." not in assigned.text  # «Демидова А. П.», not «Демидова А. П..»
    if call.planned_date.weekday() < 5:  # her schedule: пн-пт 08:00-20:00
        assert "с 08:00 по 20:00" in assigned.text
    with bot.db.session() as session:
        CallLifecycle(session, OPERATOR).serve(
            call.id, ServiceResult.LEFT_AT_HOME, ["J06.9"], "ОРВИ, постельный режим"
        )
    await bot.relay_events()
    await chat.expect(f"Вызов № {call.number} выполнен")
    notices = [m for m in chat.messages() if f"№ {call.number}" in m]
    for forbidden in ("температура", "кашель", "j06", "орви"):  # the complaint, the diagnosis
        assert not [m for m in notices if forbidden in m.casefold()], forbidden
    await chat.send("/my")
    listing = await chat.expect("Ваши вызовы:")
    assert f"№ {call.number} · Тестов П. И. · " in listing.text and "врач был" in listing.text
    _plain(chat.messages())


async def test_bot_notifies_a_call_made_by_phone_for_the_shared_number(
    bot: BotHarness, settings: Settings, worker: WorkerRunner, intake_token: str
) -> None:
    chat = bot.chat(8002)
    await onboard(chat)
    with bot.db.session() as session:
        client_id = session.scalars(
            select(tables.ApiClient.id).where(tables.ApiClient.name == "portal")
        ).one()
    body = {
        "source": "call_center",
        "patient": {"last_name": "Тестова", "first_name": "Анна", "birth_date": "2016-04-12"},
        "phone": PHONE,
        "address": "Химки, ул. Молодежная, д. 12, кв. 5",
        "complaints": "температура",
    }
    submitted = submit(bot.db, client_id, "", "phone-1", body, datetime.now(UTC))
    bot.ctx.submission.queue.enqueue(submitted.intake_id)
    worker.drain()
    accepted = await chat.expect("Вызов принят: Карта вызова №")
    assert f"№ {_only_call(bot).number}" in accepted.text


async def test_bot_waits_out_429_and_backs_off_on_5xx(bot: BotHarness) -> None:
    chat = bot.chat(8003)
    bot.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await chat.send("/help")
    await chat.expect("Команды:")
    tries = [r for r in bot.fake.sent(8003) if "Команды:" in r.text]
    assert len(tries) == 2 and tries[1].at - tries[0].at >= 0.95
    bot.fake.fail_next("sendMessage", 502, "Bad Gateway", times=2)
    await chat.send("/help")
    await chat.expect("Команды:")
    tries = [r for r in bot.fake.sent(8003) if "Команды:" in r.text][2:]
    assert len(tries) == 3
    assert tries[2].at - tries[1].at > tries[1].at - tries[0].at  # exponential


async def test_bot_stops_sending_to_a_chat_that_blocked_it(
    bot: BotHarness,
    worker: WorkerRunner,
    settings: Settings,
    bot_settings: object,
    redis_client: redis.Redis,
) -> None:
    chat = bot.chat(8004)
    await onboard(chat)
    await make_call(chat)
    worker.drain()
    await chat.expect("Вызов принят")
    call = _only_call(bot)
    bot.fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with bot.db.session() as session:
        CallLifecycle(session, OPERATOR).assign(call.id, _doctor_id(bot), call.planned_date)
    await bot.relay_events()
    for _ in range(100):
        with bot.db.session() as session:
            user = session.get(TelegramUser, 8004)
            assert user is not None
            if not user.active:
                break
        await asyncio.sleep(0.05)
    user = cast(TelegramUser, user)  # the loop above saw it
    assert not user.active and user.blocked_at is not None
    group = bot.ctx.bot_settings.bot_group
    for _ in range(50):
        pending = redis_client.xpending(settings.events_stream, group)
        if pending["pending"] == 0:
            break
        await asyncio.sleep(0.05)
    assert pending["pending"] == 0  # acknowledged: a blocked chat is not retried
    with bot.db.session() as session:
        CallLifecycle(session, OPERATOR).serve(call.id, ServiceResult.LEFT_AT_HOME, [], None)
    await bot.relay_events()
    await asyncio.sleep(0.5)
    assert not [m for m in chat.messages() if "выполнен" in m]


@pytest.mark.parametrize("throttle_limit", [5])
async def test_bot_throttles_a_flood_from_one_chat(bot: BotHarness) -> None:
    chat = bot.chat(8005)
    other = bot.chat(8006)
    for _ in range(12):
        await chat.send("/help")
    await chat.expect("Слишком много сообщений")
    await other.send("/help")
    await other.expect("Команды:")
    await asyncio.sleep(0.3)
    helps = [m for m in chat.messages() if m.startswith("Команды:")]
    warnings = [m for m in chat.messages() if m.startswith("Слишком много")]
    assert (len(helps), len(warnings)) == (5, 1)


async def test_bot_notifies_a_cancel_by_the_operator_and_a_transfer_with_the_new_number(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(8007)
    await onboard(chat, phone="+79000000171")
    await make_call(chat)
    worker.drain()
    await chat.expect("Вызов принят")
    call = _only_call(bot)
    with bot.db.session() as session:
        CallLifecycle(session, OPERATOR).transfer(call.id, "DEMO-KRASNOGORSK", "по прописке")
    await bot.relay_events()
    moved = await chat.expect(f"Вызов № {call.number} передан в другую поликлинику")
    with bot.db.session() as session:
        copy = session.scalars(
            select(tables.CallRow).where(tables.CallRow.origin_call_id == call.id)
        ).one()
    assert "Красногорская поликлиника (демо)" in moved.text
    assert f"Новый номер вызова: {copy.number}" in moved.text
    with bot.db.session() as session:
        CallLifecycle(session, OPERATOR).cancel(copy.id, "пациент госпитализирован")
    await bot.relay_events()
    cancelled = await chat.expect(f"Вызов № {copy.number} отменён")
    assert "госпитализирован" not in cancelled.text  # the operator's reason may be medical
    assert MO_PHONES["DEMO-KRASNOGORSK"] in cancelled.text  # where to ask why: the new MO
    await chat.send("/my")
    listing = await chat.expect("Ваши вызовы:")
    assert f"№ {copy.number}" in listing.text and "отменён" in listing.text
    assert "передан в другую поликлинику" in listing.text  # the first call
    _plain(chat.messages())
