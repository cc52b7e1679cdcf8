"""End-to-end: the real bot polling the fake Bot API, through the intake spine and the worker."""

from __future__ import annotations

from sqlalchemy import select

from dispatcher.storage import tables
from dispatcher.storage.bot_tables import TelegramUser
from tests.bots.dialogs import PHONE, make_call, onboard
from tests.bots.harness import BotHarness
from tests.conftest import WorkerRunner


async def test_bot_dialog_creates_a_call_when_the_worker_formalizes_it(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(5001)
    await onboard(chat)
    await make_call(chat)
    worker.drain()  # RQ installs signal handlers: the main thread, briefly blocking the loop
    accepted = await chat.expect("Вызов принят: Карта вызова №")
    with bot.db.session() as session:
        call = session.scalars(select(tables.CallRow)).one()
        channels = session.scalars(select(tables.CallChannel)).all()
        assert (call.source, call.phone, call.last_name) == ("telegram", PHONE, "Тестов")
        assert call.address["entrance"] == "2" and call.address["floor"] == "3"
        assert call.complaints["raw"] == "температура 39, кашель"
        assert ("telegram_chat", "5001") in {(c.kind, c.value) for c in channels}
    assert f"№ {call.number}" in accepted.text
    assert f"{call.planned_date:%d.%m.%Y}" in accepted.text
    assert "температура" not in accepted.text and "кашель" not in accepted.text


async def test_bot_refuses_a_contact_that_is_not_the_senders_own(bot: BotHarness) -> None:
    chat = bot.chat(5002)
    await chat.send("/start")
    await chat.expect("Поделиться номером")
    await chat.share_contact("+79000000199", owner_id=777)
    await chat.expect("Это чужой контакт")
    with bot.db.session() as session:
        assert session.get(TelegramUser, 5002) is None
