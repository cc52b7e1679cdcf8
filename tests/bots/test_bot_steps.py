"""The common paths are short and predictable: taps and messages counted against the goals.

A patient's action is a tap, a typed message or the shared contact; the bot's messages are
those it sent the chat. A question whose answer is known (the age, that the patient is at home,
what the complaint is about, the temperature) or asked twice would break these counts.
"""

from __future__ import annotations

from sqlalchemy import select

from dispatcher.storage import tables
from tests.bots.conftest import MO_PHONES
from tests.bots.dialogs import (
    ADDRESS_WITH_DETAILS,
    DANGER,
    PHONE,
    POLICY,
    answer_questions,
    emergency_recorded,
    link_relative,
    make_call,
    onboard,
)
from tests.bots.harness import BotHarness, ChatDriver

LINKED_GOAL = 6  # a linked patient with a saved address
FIRST_TIME_GOAL = 12  # contact, link, address, complaint

# what the bot must never ask on these paths: the answer is known or was asked already
NEVER_ASKED = (
    "Где сейчас находится пациент",  # the bot calls a doctor home
    "Сколько лет",  # the birth date is linked
    "Что беспокоит пациента",  # the complaint says it
    "Что беспокоит ребёнка",
    "Температура 39 и выше",  # the complaint gives the temperature
    "Трудно дышать",  # the red flags are one question
    "Это верно?",
    "Подъезд (номер)",
    "Код домофона",
)


def _asked_once(chat: ChatDriver, since: int) -> None:
    sent = chat.messages()[since:]
    for question in NEVER_ASKED:
        assert not [m for m in sent if question in m], question
    assert len([m for m in sent if m.startswith("Что беспокоит?")]) == 1
    assert len([m for m in sent if DANGER in m]) == 1


async def _call_saved(chat: ChatDriver, who: str, complaint: str) -> None:
    await chat.send("🩺 Вызвать врача")
    await answer_questions(chat, (("Кому нужен врач?", who), ("Нажмите адрес", "Молодежная")))
    await chat.expect("Что беспокоит?")
    await chat.send(complaint)
    await answer_questions(chat, ((DANGER, "Нет"), ("Проверьте вызов", "Отправить")))
    await chat.expect("Заявка отправлена")


async def _calling(bot: BotHarness, user_id: int) -> ChatDriver:
    """A linked patient's /call: the patient tapped and the address typed, the complaint next."""
    chat = bot.chat(user_id)
    await onboard(chat)
    await chat.send("/call")
    await chat.press("Тестов П. И.", await chat.expect("Кому нужен врач?"))
    await chat.send(ADDRESS_WITH_DETAILS)
    return chat


async def test_bot_linked_patient_with_a_saved_address_calls_in_six_steps(
    bot: BotHarness,
) -> None:
    chat = bot.chat(9201)
    await onboard(chat)
    await make_call(chat)  # the first call saves the address
    before, seen = chat.tally(), len(chat.messages())
    await _call_saved(chat, "Тестов П. И.", "температура 39, кашель")
    spent = chat.tally() - before
    assert spent.actions <= LINKED_GOAL, spent
    assert spent.messages <= LINKED_GOAL, spent
    _asked_once(chat, seen)
    # as /start promises: the complaint is shown once, in the summary, and echoed nowhere else
    echoed = [m for m in chat.messages()[seen:] if "температура 39, кашель" in m]
    assert len(echoed) == 1 and echoed[0].startswith("Проверьте вызов")


async def test_bot_first_timer_calls_a_doctor_in_twelve_steps(bot: BotHarness) -> None:
    chat = bot.chat(9202)
    await chat.send("/start")
    await chat.expect("Что умеет бот")
    await chat.share_contact(PHONE)
    await chat.press("По полису", await chat.expect("Добавим пациента"))
    await chat.expect("16 цифр")
    await chat.send(POLICY)
    await chat.expect("Дата рождения")
    await chat.send("02.11.1958")
    await chat.expect("Пациент добавлен")
    await chat.send("🩺 Вызвать врача")
    await chat.press("Тестов П. И.", await chat.expect("Кому нужен врач?"))
    await chat.expect("Куда прийти врачу?")
    await chat.send(ADDRESS_WITH_DETAILS)
    await chat.send("болит горло, температура 39")
    await chat.press("Нет", await chat.expect(DANGER))
    summary = await chat.expect("Проверьте вызов")
    assert "Подъезд 2, этаж 3" in summary.text
    assert "Кому: Тестов Пётр Игоревич, 02.11.1958" in summary.text
    await chat.press("Отправить", summary)
    await chat.expect("Заявка отправлена")
    spent = chat.tally()
    assert spent.actions <= FIRST_TIME_GOAL, spent
    _asked_once(chat, 0)


async def test_bot_calls_for_a_linked_relative_in_six_steps(bot: BotHarness) -> None:
    chat = bot.chat(9203)
    await onboard(chat)
    await make_call(chat)
    await link_relative(chat, "Тестова Анна Петровна", "12.05.2019")
    before, seen = chat.tally(), len(chat.messages())
    await _call_saved(chat, "Тестова А. П.", "кашель и насморк")
    spent = chat.tally() - before
    assert spent.actions <= LINKED_GOAL, spent
    _asked_once(chat, seen)


async def test_bot_offers_back_on_every_step_of_a_call(bot: BotHarness) -> None:
    chat = bot.chat(9204)
    await onboard(chat)
    await chat.send("/call")
    who = await chat.expect("Кому нужен врач?")
    await chat.press("Тестов П. И.", who)
    where = await chat.expect("Куда прийти врачу?")
    await chat.press("Назад", where)
    await chat.press("Тестов П. И.", await chat.expect("Кому нужен врач?"))
    await chat.send(ADDRESS_WITH_DETAILS)
    what = await chat.expect("Что беспокоит?")
    await chat.press("Назад", what)
    await chat.expect("Куда прийти врачу?")
    await chat.send(ADDRESS_WITH_DETAILS)
    await answer_questions(
        chat,
        (
            ("Что беспокоит?", "Слабость"),
            (DANGER, "Назад"),
            ("Что беспокоит?", "Давление"),
            (DANGER, "Нет"),
            # «Давление» says what it is about, not how high: those two questions are asked
            ("Давление выше 180", "Нет"),
            ("снижается обычными лекарствами", "Да"),
        ),
    )
    summary = await chat.expect("Проверьте вызов")
    assert "Что беспокоит: Давление" in summary.text
    await chat.press("Назад", summary)
    await answer_questions(
        chat,
        (
            ("снижается обычными лекарствами", "Назад"),
            ("Давление выше 180", "Нет"),
            ("снижается обычными лекарствами", "Да"),
            ("Проверьте вызов", "Изменить"),
            ("Что изменить?", "Подъезд, этаж, домофон"),
        ),
    )
    await chat.expect("Подъезд, этаж и код домофона")
    await chat.send("подъезд 4, этаж 9, домофон 12К")
    summary = await chat.expect("Проверьте вызов")
    assert "Подъезд 4, этаж 9, домофон 12К" in summary.text
    await chat.press("Отправить", summary)
    await chat.expect("Заявка отправлена")
    # whatever step a question with buttons came from, it had its «Назад»
    asked = [r for r in bot.fake.sent(9204) if any(data for _, data in r.buttons())]
    assert len(asked) >= 10
    for message in asked:
        assert "« Назад" in [label for label, _ in message.buttons()], message.text


async def test_bot_answers_a_voice_message_a_photo_or_a_sticker_within_the_step(
    bot: BotHarness,
) -> None:
    chat = await _calling(bot, 9205)
    await chat.expect("Что беспокоит?")
    await chat.send_media("voice")
    voice = await chat.expect("Голосовые сообщения бот не слушает")
    assert "напишите текстом" in voice.text.casefold()
    assert MO_PHONES["DEMO-KHIMKI"] in voice.text  # the registry of the address's MO
    await chat.send_media("photo")
    photo = await chat.expect("Фото и картинки бот не смотрит")
    assert "Вызов не прерван" in photo.text
    await chat.send_media("sticker")
    await chat.expect("Вызов не прерван")
    await chat.send("температура 39, кашель")  # the step was kept: this is the complaint
    await chat.expect(DANGER)
    assert not [m for m in chat.messages() if "Выберите действие в меню" in m]


async def test_bot_asks_to_shorten_a_very_long_complaint_instead_of_cutting_it(
    bot: BotHarness,
) -> None:
    chat = await _calling(bot, 9206)
    await chat.expect("Что беспокоит?")
    await chat.send(("слабость и ломота в теле, " * 200)[:5000])
    await chat.expect("Сообщение очень длинное (5000 знаков)")
    await chat.send("слабость и ломота в теле")
    await chat.press("Нет", await chat.expect(DANGER))
    summary = await chat.expect("Проверьте вызов")
    assert "Что беспокоит: слабость и ломота в теле\n" in summary.text


async def test_bot_triages_the_whole_of_a_long_message(bot: BotHarness) -> None:
    chat = await _calling(bot, 9207)
    await chat.expect("Что беспокоит?")
    await chat.send("кашель " * 300 + "и час назад потерял сознание")
    await chat.expect("СРОЧНО ЗВОНИТЕ 103")


async def test_bot_handles_a_message_delivered_twice_once(bot: BotHarness) -> None:
    chat = await _calling(bot, 9208)
    await chat.expect("Что беспокоит?")
    update = await chat.send("слабость с утра")
    await bot.fake.deliver_again(update)
    await chat.press("Нет", await chat.expect(DANGER))
    summary = await chat.expect("Проверьте вызов")
    assert "слабость с утра, слабость с утра" not in summary.text
    await chat.send("/my")  # answered after the redelivery was dropped
    await chat.expect("нет вызовов")
    assert len([m for m in chat.messages() if DANGER in m]) == 1


async def test_bot_complaint_buttons_are_plain_and_the_dialog_speaks_plainly(
    bot: BotHarness,
) -> None:
    chat = await _calling(bot, 9209)
    chips = await chat.expect("Что беспокоит?")
    labels = [text for text, _ in chips.buttons()]
    assert "Температура" in labels and "« Назад" in labels
    assert not [label for label in labels if "смерт" in label.casefold()]
    for message in chat.messages():
        assert "Кого вызываем" not in message and ".." not in message


async def test_bot_takes_back_a_yes_tapped_by_mistake_and_keeps_the_emergency_recorded(
    bot: BotHarness,
) -> None:
    chat = await _calling(bot, 9210)
    await chat.send("температура 39, кашель")
    await chat.press("Да", await chat.expect(DANGER))
    await chat.expect("СРОЧНО ЗВОНИТЕ 103 ИЛИ 112")
    intakes, _, _ = await emergency_recorded(bot)
    assert [i.state for i in intakes] == ["emergency"]
    await chat.press("вернуться", await chat.expect("по ошибке"))
    await chat.press("Нет", await chat.expect(DANGER))  # the same call, nothing typed again
    summary = await chat.expect("Проверьте вызов")
    assert "Что беспокоит: температура 39, кашель" in summary.text
    await chat.press("Отправить", summary)
    await chat.expect("Заявка отправлена")
    with bot.db.session() as session:
        states = sorted(i.state for i in session.scalars(select(tables.Intake)))
    assert states[0] == "emergency" and len(states) == 2  # the first «Да» stays on record


async def test_bot_offers_back_on_every_step_of_linking(bot: BotHarness) -> None:
    chat = bot.chat(9211)
    await onboard(chat)
    await chat.send("/link")
    await answer_questions(
        chat,
        (
            ("Добавим пациента", "По полису"),
            ("16 цифр", "Назад"),
            ("Добавим пациента", "По ФИО и дате рождения"),
        ),
    )
    await chat.send("Новикова Ольга Сергеевна")
    await chat.press("Назад", await chat.expect("Дата рождения"))
    await chat.expect("Фамилия, имя и отчество")
    await chat.send("Новикова Ольга Сергеевна")
    await chat.send("01.02.2020")
    await chat.expect("Пациент добавлен: Новикова О. С., 01.02.2020")
    await chat.send("/link")
    await chat.press("Назад", await chat.expect("Добавим пациента"))
    await chat.expect("Хорошо, отменено")
