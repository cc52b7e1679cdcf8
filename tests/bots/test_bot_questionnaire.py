"""The desk's reason-code questionnaire in the bot: buttons, «Назад», red-flag exits, stale taps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bots import keyboards
from bots.settings import BotSettings
from dispatcher.storage import tables
from dispatcher.storage.dispatch_tables import CallServiceCard
from intake_core.questionnaire import load_questionnaire
from tests.bots.conftest import BotStarter
from tests.bots.dialogs import (
    DANGER,
    complaints,
    emergency_recorded,
    make_call,
    onboard,
    up_to_complaints,
)
from tests.bots.fake_telegram import FakeTelegram, Recorded
from tests.bots.harness import BotHarness, ChatDriver
from tests.conftest import WorkerRunner

# answer ids of «температура 39, кашель» for an adult at home in the tree: only «no» to the
# red-flag question was asked, the rest the address, the birth date and the complaint answered
FEVER_PATH = ["home", "no", "adult", "fever", "yes"]


def _desk_transcript() -> list[dict[str, str]]:
    """What the desk writes into the card for the same answers."""
    return load_questionnaire().walk(FEVER_PATH).transcript()


async def _confirmed_and_accepted(chat: ChatDriver, worker: WorkerRunner) -> None:
    """«Нет» to the red-flag question, the summary sent, the worker run, «Вызов принят»."""
    await chat.press("Нет", await chat.expect(DANGER))
    summary = await chat.expect("Проверьте вызов")
    await chat.press("Отправить", summary)
    await chat.expect("Заявка отправлена")
    worker.drain()
    await chat.expect("Вызов принят: Карта вызова №")


def _card(bot: BotHarness) -> tuple[CallServiceCard, tables.CallRow]:
    with bot.db.session() as session:
        call = session.scalars(select(tables.CallRow)).one()
        card = session.get(CallServiceCard, call.id)
        assert card is not None, "the call was stored without the patient's reason code"
        session.expunge_all()
    return card, call


async def _answers(bot: BotHarness, query: dict[str, Any], count: int) -> list[Recorded]:
    """The bot's first `count` answerCallbackQuery requests to one callback query id."""
    found: list[Recorded] = []
    start = 0
    while len(found) < count:
        index, answer = await bot.fake.wait_for(
            lambda r: (
                r.method == "answerCallbackQuery"
                and str(r.params.get("callback_query_id")) == query["callback_query"]["id"]
            ),
            start,
        )
        found.append(answer)
        start = index + 1
    return found


async def test_bot_questionnaire_walk_codes_the_stored_call_like_the_desk(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(8101)
    await onboard(chat)
    await make_call(chat)  # «температура 39, кашель»: a high fever in an adult
    worker.drain()
    await chat.expect("Вызов принят: Карта вызова №")  # the card is written before the notice
    card, call = _card(bot)
    tree = load_questionnaire()
    assert (card.questionnaire_id, card.questionnaire_version) == (tree.id, tree.version)
    assert (card.branch, card.reason_code, card.reason_letter) == ("adult_fever_high", "61Т", "Т")
    assert (card.reason_text, card.urgency) == (
        "Высокая или затяжная температура у взрослого",
        "urgent",
    )
    assert card.answers == _desk_transcript()
    assert card.coded_by_user_id is None and card.coded_at is not None
    assert call.complaints["reason_code"] == "61Т"


async def test_bot_questionnaire_back_button_undoes_the_last_answer(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(8102)
    await onboard(chat)
    await up_to_complaints(chat)
    await chat.press("Давление")
    await chat.press("Нет", await chat.expect(DANGER))
    await chat.press("Нет", await chat.expect("Давление выше 180"))  # what about is implied
    await chat.press("Назад", await chat.expect("снижается обычными лекарствами"))
    await chat.press("Назад", await chat.expect("Давление выше 180"))
    # past the reason the complaint gave and the age the birth date gave
    await chat.press("Назад", await chat.expect(DANGER))
    await chat.expect("Что беспокоит?")
    await complaints(chat)  # another complaint: its own questions
    await _confirmed_and_accepted(chat, worker)
    card, _ = _card(bot)
    assert card.answers == _desk_transcript()  # the pressure answers were taken back
    assert card.branch == "adult_fever_high"
    assert not [m for m in chat.messages() if "Сколько лет пациенту?" in m]


async def test_bot_questionnaire_back_from_the_first_question_returns_to_complaints(
    bot: BotHarness,
) -> None:
    chat = bot.chat(8103)
    await onboard(chat)
    await up_to_complaints(chat)
    await complaints(chat)
    await chat.press("Назад", await chat.expect(DANGER))
    await chat.press("Слабость", await chat.expect("Что беспокоит?"))
    await chat.expect(DANGER)
    assert not [m for m in chat.messages() if "Где сейчас находится пациент?" in m]


async def test_bot_questionnaire_red_flag_exit_stops_and_records_the_emergency(
    bot: BotHarness,
) -> None:
    chat = bot.chat(8104)
    await onboard(chat)
    await up_to_complaints(chat)
    await complaints(chat)
    await chat.press("Да", await chat.expect(DANGER))
    stop = await chat.expect("СРОЧНО ЗВОНИТЕ 103 ИЛИ 112")
    assert "Экстренные показания" in stop.text and "НЕ оформлен" in stop.text
    intakes, topics, calls = await emergency_recorded(bot)
    assert [i.state for i in intakes] == ["emergency"]
    flag = {"code": "questionnaire:red_flag", "reason": "Экстренные показания"}
    assert flag in intakes[0].red_flags
    assert topics == ["intake.emergency"] and calls == 0
    await chat.send("/help")  # the dialog is over
    await chat.expect("Команды:")


async def test_bot_questionnaire_ignores_a_double_tap_a_redelivery_and_a_foreign_button(
    bot: BotHarness,
) -> None:
    chat = bot.chat(8105)
    await onboard(chat)
    await up_to_complaints(chat)
    await complaints(chat)
    first = await chat.expect(DANGER)
    no = next(data for text, data in first.buttons() if text == "Нет")
    tap = await bot.fake.callback(chat.user_id, no, 1)
    again = await bot.fake.callback(chat.user_id, no, 1)  # a double tap
    await bot.fake.inject({"callback_query": tap["callback_query"]})  # redelivered
    foreign = keyboards.Reply(key="00000000", step=1, index=0).pack()
    other = await bot.fake.callback(chat.user_id, foreign, 1)
    stale = "Эта кнопка уже неактуальна."
    [taken] = await _answers(bot, tap, 1)
    assert taken.params.get("text") is None
    for query in (again, other):
        assert [a.params.get("text") for a in await _answers(bot, query, 1)] == [stale]
    await chat.expect("Проверьте вызов")
    assert len([m for m in chat.messages() if m.startswith("Проверьте вызов")]) == 1
    # the redelivered query (the same id) is dropped before any handler: answered once
    tap_id = tap["callback_query"]["id"]
    answered = [
        r
        for r in bot.fake.requests
        if r.method == "answerCallbackQuery" and str(r.params.get("callback_query_id")) == tap_id
    ]
    assert len(answered) == 1


@pytest.fixture
async def bot_off(
    bot_settings: BotSettings, fake_telegram: FakeTelegram, start_bot: BotStarter
) -> AsyncIterator[BotHarness]:
    """The bot of an MO that switched the questionnaire off (BOT_QUESTIONNAIRE=false)."""
    live = bot_settings.model_copy(
        update={"telegram_api_url": fake_telegram.base, "bot_questionnaire": False}
    )
    async with start_bot(live) as harness:
        yield harness


async def test_bot_skips_the_questionnaire_when_the_mo_switched_it_off(
    bot_off: BotHarness,
    worker: WorkerRunner,
) -> None:
    chat = bot_off.chat(8106)
    await onboard(chat)
    await up_to_complaints(chat)
    await complaints(chat)
    await _confirmed_and_accepted(chat, worker)  # the one red-flag question of the bot's own
    assert len([m for m in chat.messages() if DANGER in m]) == 1
    with bot_off.db.session() as session:
        assert session.scalars(select(CallServiceCard)).all() == []


async def test_bot_questionnaire_coding_keeps_a_card_already_written_and_runs_once(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(8107)
    await onboard(chat)
    await make_call(chat)
    worker.drain()
    await chat.expect("Вызов принят: Карта вызова №")
    card, call = _card(bot)
    coding = bot.ctx.coding
    assert coding is not None
    created = {"type": "call.status_changed", "action": "create", "call_id": call.id}
    with bot.db.session() as session:
        intake_id = session.scalars(select(tables.Intake.id)).one()
    assert coding.client.get(coding.key_of(intake_id)) is None  # taken once the card was written
    pressure = ["home", "no", "adult", "pressure", "no", "yes"]  # another outcome, 63Т
    assert load_questionnaire().walk(pressure).outcome is not None
    coding.remember(intake_id, pressure, bot.ctx.clock())
    coding.apply(created)  # a redelivered event, or a card an operator wrote meanwhile
    again, _ = _card(bot)
    assert (again.reason_code, again.branch, again.coded_at) == (
        card.reason_code,
        card.branch,
        card.coded_at,
    )
