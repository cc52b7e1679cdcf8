"""Every free text is triaged as it arrives, at any step; what is known is not asked again.

The bot's clock is frozen on a Wednesday morning: the infants' ages are counted from it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bots import texts
from tests.bots.dialogs import (
    ADDRESS,
    answer_questions,
    emergency_recorded,
    onboard,
    up_to_complaints,
)
from tests.bots.harness import BotHarness, ChatDriver

STOP = "СРОЧНО ЗВОНИТЕ 103 ИЛИ 112"


@pytest.fixture
def clock_start() -> datetime:
    """Wednesday, 11 March 2026, 09:00 in Moscow: a working day before the 13:00 cutoff."""
    return datetime(2026, 3, 11, 6, 0, tzinfo=UTC)


async def _stopped(chat: ChatDriver, bot: BotHarness, reason: str) -> dict[str, object]:
    """The 103/112 answer was the bot's last word, and the emergency is recorded: the intake."""
    stop = await chat.expect(STOP)
    assert reason in stop.text
    intakes, topics, calls = await emergency_recorded(bot)
    assert chat.messages()[-1] == stop.text  # nothing asked after it
    assert [i.state for i in intakes] == ["emergency"]
    assert topics == ["intake.emergency"] and calls == 0
    return {"payload": intakes[0].payload, "red_flags": intakes[0].red_flags}


async def _link_by_name(chat: ChatDriver, full_name: str, born: str) -> None:
    await chat.send("/link")
    await chat.press("По ФИО и дате рождения", await chat.expect("Добавим пациента"))
    await chat.expect("Фамилия, имя и отчество")
    await chat.send(full_name)
    await chat.expect("Дата рождения")
    await chat.send(born)
    await chat.expect("Пациент добавлен")


async def _child_up_to_complaints(chat: ChatDriver, who: str) -> None:
    await chat.send("/call")
    await chat.press(who, await chat.expect("Кого вызываем врача?"))
    await chat.expect("Адрес, куда прийти врачу")
    await chat.send(ADDRESS)
    await chat.press("Да, верно", await chat.expect("Это верно?"))
    await chat.expect("Подъезд")
    await chat.send("2")
    await chat.expect("Этаж")
    await chat.send("3")
    await chat.press("Пропустить", await chat.expect("Код домофона?"))
    await chat.expect("Что беспокоит?")


async def test_bot_answers_a_red_flag_typed_at_the_menu_at_once(bot: BotHarness) -> None:
    chat = bot.chat(7001)
    await onboard(chat)
    await chat.send("нет")  # an ordinary word is not an emergency
    await chat.expect(texts.MENU)
    await chat.send("у мамы перекосило лицо и не говорит")
    stopped = await _stopped(chat, bot, "Признаки инсульта")
    payload = stopped["payload"]
    assert isinstance(payload, dict)
    assert payload["complaints"] == "у мамы перекосило лицо и не говорит"
    assert payload["channel_ref"] == str(chat.user_id) and payload["phone"] == "+79000000102"
    assert "patient" not in payload  # nobody was chosen yet: the intake says only what was said
    assert chat.messages().count(texts.MENU) == 1  # the answer to «нет» only


async def test_bot_answers_a_red_flag_typed_while_linking(bot: BotHarness) -> None:
    chat = bot.chat(7002)
    await onboard(chat)
    await chat.send("/link")
    await chat.press("По ФИО и дате рождения", await chat.expect("Добавим пациента"))
    await chat.expect("Фамилия, имя и отчество")
    await chat.send("ребёнок посинел и не дышит")
    await _stopped(chat, bot, "Тяжёлое нарушение дыхания")
    await chat.send("Иванова Мария")  # the linking dialog is over: a name now goes to the menu
    await chat.expect(texts.MENU)


async def test_bot_answers_a_red_flag_typed_mid_questionnaire_before_the_next_question(
    bot: BotHarness,
) -> None:
    chat = bot.chat(7003)
    await onboard(chat)
    await up_to_complaints(chat)
    await chat.press("Кашель")
    await chat.press("Готово")
    await answer_questions(chat, (("Где сейчас находится пациент?", "Дома"),))
    danger = await chat.expect("Вопрос 2. Есть ли сейчас")
    await chat.send("да, задыхается")
    stopped = await _stopped(chat, bot, "Тяжёлое нарушение дыхания")
    payload = stopped["payload"]
    assert isinstance(payload, dict)
    assert payload["complaints"] == "Кашель, да, задыхается"
    assert not [m for m in chat.messages() if m.startswith("Вопрос 3")]
    await chat.press("Нет", danger)  # the question's button is stale now
    answers = await bot.fake.wait_for(lambda r: r.method == "answerCallbackQuery", chat.cursor)
    assert answers[1].params.get("text") == texts.STALE_BUTTON


async def test_bot_stops_an_infant_with_fever_on_the_complaint_message_itself(
    bot: BotHarness,
) -> None:
    chat = bot.chat(7004)
    await onboard(chat)
    await _link_by_name(chat, "Малышева Анна Петровна", "09.01.2026")  # two months old
    await _child_up_to_complaints(chat, "Малышева А. П.")
    await chat.send("температура 38.5")
    stopped = await _stopped(chat, bot, "Температура у младенца до 3 месяцев")
    flags = stopped["red_flags"]
    assert isinstance(flags, list) and [f["code"] for f in flags] == ["infant_fever"]
    assert not [m for m in chat.messages() if m.startswith("Записал:")]


async def test_bot_questionnaire_takes_an_infants_age_and_fever_from_what_is_known(
    bot: BotHarness,
) -> None:
    """Six months, 38.5 in the complaint: not a triage red flag, but the questionnaire's exit
    for a baby under one year with fever, reached without asking the age or the temperature."""
    chat = bot.chat(7005)
    await onboard(chat)
    await _link_by_name(chat, "Малышев Иван Петрович", "05.09.2025")
    await _child_up_to_complaints(chat, "Малышев И. П.")
    await chat.send("температура 38.5, плохо ест")
    await chat.press("Готово", await chat.expect("Записал:"))
    await answer_questions(chat, (("Вопрос 1. Где сейчас", "Дома"), ("Вопрос 2. Есть ли", "Нет")))
    stopped = await _stopped(chat, bot, "Температура у ребёнка до года")
    flags = stopped["red_flags"]
    assert isinstance(flags, list)
    assert {
        "code": "questionnaire:infant_fever_exit",
        "reason": "Температура у ребёнка до года",
    } in flags
    asked = "\n".join(chat.messages())
    assert "Сколько лет пациенту?" not in asked and "температура 38 и выше" not in asked


async def test_bot_does_not_ask_the_age_or_a_temperature_the_complaint_gave(
    bot: BotHarness,
) -> None:
    chat = bot.chat(7006)
    await onboard(chat)  # Тестов П. И., born 02.11.1958
    await up_to_complaints(chat)
    await chat.send("температура 39.5 второй день")
    await chat.press("Готово", await chat.expect("Записал:"))
    await answer_questions(
        chat,
        (
            ("Вопрос 1. Где сейчас", "Дома"),
            ("Вопрос 2. Есть ли", "Нет"),
            ("Вопрос 3. Что беспокоит пациента?", "Температура, простуда"),
        ),
    )
    await chat.expect("Повод вызова: Высокая или затяжная температура у взрослого")
    await chat.expect("Несколько коротких вопросов")
    asked = "\n".join(chat.messages())
    assert "Сколько лет пациенту?" not in asked and "Температура 39 и выше" not in asked
