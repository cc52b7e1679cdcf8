"""Every free text is triaged as it arrives, at any step; what is known is not asked again.

The bot's clock starts on a fixed Wednesday morning (WORKING_DAY): the infants' birth dates
below make them two and six months old on that day, whatever today's date is.
"""

from __future__ import annotations

import pytest

from bots import texts
from bots.handlers.typed import is_free_text, typed_answer
from dispatcher.nlp_analyzer import NlpAnalyzer
from tests.bots.dialogs import (
    ADDRESS,
    DANGER,
    emergency_recorded,
    link_relative,
    onboard,
    up_to_complaints,
)
from tests.bots.harness import BotHarness, ChatDriver

STOP = "СРОЧНО ЗВОНИТЕ 103 ИЛИ 112"


@pytest.mark.parametrize(
    ("typed", "free"),
    [
        ("у мамы перекосило лицо", True),
        ("нет", True),
        ("Химки, ул. Молодежная, д. 10, кв. 5", True),
        ("/call", False),
        (texts.MENU_CALL, False),
        ("+7 900 000-01-02", False),
        ("7716 6131 8609 1393", False),
        ("02.11.1958", False),
        ("3", False),
        ("", False),
    ],
)
def test_bot_free_text_is_typed_words_not_commands_buttons_or_numbers(
    typed: str, free: bool
) -> None:
    assert is_free_text(typed) is free


PLACE = ("Дома, по адресу вызова", "Не дома: на улице, на работе, в магазине")


@pytest.mark.parametrize(
    ("typed", "labels", "index"),
    [
        ("да", ("Да", "Нет"), 0),
        ("Нет.", ("Да", "Нет"), 1),
        ("  НЕТ ", ("Да", "Нет"), 1),
        ("дома", PLACE, 0),
        ("не дома", PLACE, 1),
        ("дома, по адресу вызова", PLACE, 0),
        ("наверное", ("Да", "Нет"), None),
        ("да нет", ("Да", "Нет"), None),
        ("", ("Да", "Нет"), None),
    ],
)
def test_bot_typed_answer_names_one_button(
    typed: str, labels: tuple[str, ...], index: int | None
) -> None:
    assert typed_answer(typed, labels) == index


@pytest.mark.parametrize(
    "typed",
    [
        "Химки, ул. Молодежная, д. 10, кв. 5",
        "Иванова Мария Петровна",
        "Малышева Анна",
        "нет",
        "да",
        "Нет, спасибо",
        "болит горло",
        "кашель, удушья нет",
        "передумали, уже лучше",
        "врач уже не нужен",
    ],
)
def test_bot_ordinary_step_answers_carry_no_red_flag(analyzer: NlpAnalyzer, typed: str) -> None:
    """What people type into the steps (addresses, names, «нет») must not stop the dialog."""
    assert analyzer.complaints(typed, None).red_flags == ()
    assert analyzer.complaints(typed, 2 / 12).red_flags == ()


async def _stopped(chat: ChatDriver, bot: BotHarness, reason: str) -> dict[str, object]:
    """The 103/112 answer was the bot's last word, and the emergency is recorded: the intake."""
    stop = await chat.expect(STOP)
    assert reason in stop.text
    intakes, topics, calls = await emergency_recorded(bot)
    # nothing asked after it; a «Да» answer may only be taken back
    assert chat.messages()[-1] in {stop.text, texts.MISTAKEN}
    assert [i.state for i in intakes] == ["emergency"]
    assert topics == ["intake.emergency"] and calls == 0
    return {"payload": intakes[0].payload, "red_flags": intakes[0].red_flags}


async def _child_up_to_complaints(chat: ChatDriver, who: str) -> None:
    await chat.send("/call")
    await chat.press(who, await chat.expect("Кому нужен врач?"))
    await chat.expect("Куда прийти врачу")
    await chat.send(ADDRESS)
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


@pytest.mark.parametrize("throttle_limit", [5])
async def test_bot_answers_a_red_flag_even_from_a_flooding_chat(bot: BotHarness) -> None:
    chat = bot.chat(7009)
    await onboard(chat)
    for _ in range(8):
        await chat.send("/help")
    await chat.expect("Слишком много сообщений")
    await chat.send("папа задыхается, губы синие")  # over the limit, still read
    await chat.expect(STOP, within=15)  # after the flood of /help before it


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
    await chat.press("Кашель, насморк")
    danger = await chat.expect(DANGER)
    await chat.send("да, задыхается")
    stopped = await _stopped(chat, bot, "Тяжёлое нарушение дыхания")
    payload = stopped["payload"]
    assert isinstance(payload, dict)
    assert payload["complaints"] == "Кашель, насморк, боль в горле, да, задыхается"
    assert not [m for m in chat.messages() if m.startswith("Проверьте вызов")]
    await chat.press("Нет", danger)  # the question's button is stale now
    answers = await bot.fake.wait_for(lambda r: r.method == "answerCallbackQuery", chat.cursor)
    assert answers[1].params.get("text") == texts.STALE_BUTTON


async def test_bot_stops_an_infant_with_fever_on_the_complaint_message_itself(
    bot: BotHarness,
) -> None:
    chat = bot.chat(7004)
    await onboard(chat)
    await link_relative(chat, "Малышева Анна Петровна", "09.01.2026")  # two months old
    await _child_up_to_complaints(chat, "Малышева А. П.")
    await chat.send("температура 38.5")
    stopped = await _stopped(chat, bot, "Температура у младенца до 3 месяцев")
    flags = stopped["red_flags"]
    assert isinstance(flags, list) and [f["code"] for f in flags] == ["infant_fever"]
    assert not [m for m in chat.messages() if DANGER in m]


async def test_bot_questionnaire_takes_an_infants_age_and_fever_from_what_is_known(
    bot: BotHarness,
) -> None:
    """Six months, 38.5 in the complaint: not a triage red flag, but the questionnaire's exit
    for a baby under one year with fever, reached without asking the age or the temperature."""
    chat = bot.chat(7005)
    await onboard(chat)
    await link_relative(chat, "Малышев Иван Петрович", "05.09.2025")
    await _child_up_to_complaints(chat, "Малышев И. П.")
    await chat.send("температура 38.5, плохо ест")
    await chat.press("Нет", await chat.expect(DANGER))
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
    await chat.press("Нет", await chat.expect(DANGER))
    await chat.expect("Проверьте вызов")
    asked = "\n".join(chat.messages())
    assert "Сколько лет пациенту?" not in asked and "Температура 39 и выше" not in asked
    assert "Где сейчас находится" not in asked and "Что беспокоит пациента" not in asked


async def test_bot_takes_typed_answers_to_its_questions_and_a_typed_yes_stops(
    bot: BotHarness,
) -> None:
    chat = bot.chat(7007)
    await onboard(chat)
    await up_to_complaints(chat)
    await chat.press("Слабость")
    await chat.expect(DANGER)
    await chat.send("что?")
    await chat.expect(texts.ANSWER_WITH_BUTTON)
    await chat.expect(DANGER)  # asked again, with its buttons
    await chat.send("и кружится голова")  # more of the complaint, kept
    await chat.expect(texts.ALSO_NOTED)
    await chat.expect(DANGER)
    await chat.send("Да.")
    stopped = await _stopped(chat, bot, "Экстренные показания")
    flags = stopped["red_flags"]
    assert isinstance(flags, list)
    assert {"code": "questionnaire:red_flag", "reason": "Экстренные показания"} in flags


async def test_bot_takes_a_typed_yes_to_a_follow_up_question_as_the_red_flag(
    bot: BotHarness,
) -> None:
    chat = bot.chat(7008)
    await onboard(chat)
    await up_to_complaints(chat)
    await chat.press("Давление")
    await chat.expect(DANGER)
    await chat.send("нет")
    await chat.expect("Давление выше 180, или боль в груди")
    await chat.send("да")
    stopped = await _stopped(chat, bot, "Экстренные показания")
    flags = stopped["red_flags"]
    assert isinstance(flags, list)
    assert {"code": "questionnaire:red_flag", "reason": "Экстренные показания"} in flags


def test_bot_emergency_text_gives_the_patient_the_sign_not_the_agents_question() -> None:
    text = texts.emergency(
        ["Возможен экстренный случай: боль в груди — уточните характер боли", "Судороги"]
    )
    assert "Причина: Возможен экстренный случай: боль в груди, Судороги." in text
    assert "уточните" not in text
