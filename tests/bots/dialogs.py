"""Scripted patient dialogs shared by the bot's end-to-end tests."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from dispatcher.storage import tables
from tests.bots.harness import BotHarness, ChatDriver

POLICY = "7716613186091393"  # Тестов Пётр Игоревич, 02.11.1958, in the demo registry
PHONE = "+79000000102"
ADDRESS = "Химки, ул. Молодежная, д. 10, кв. 5"


async def onboard(chat: ChatDriver, phone: str = PHONE) -> None:
    """/start, the own contact, and a patient linked by ЕНП + birth date."""
    await chat.send("/start")
    await chat.expect("Что умеет бот")
    await chat.share_contact(phone)
    await chat.expect("номер сохранён")
    await chat.expect("Добавим пациента")
    await chat.press("По полису")
    await chat.expect("16 цифр")
    await chat.send(POLICY)
    await chat.expect("Дата рождения")
    await chat.send("02.11.1958")
    await chat.expect("Пациент добавлен: Тестов П. И., 02.11.1958")


async def up_to_complaints(chat: ChatDriver, saved: bool = False) -> None:
    await chat.send("/call")
    await chat.expect("Кого вызываем врача?")
    await chat.press("Тестов П. И.")
    if saved:
        await chat.expect("Выберите адрес")
        await chat.press("Молодежная")
        card = await chat.expect("Это верно?")
        await chat.press("Да, верно", card)
        await chat.expect("Код домофона?")
        await chat.press("Пропустить")
    else:
        await chat.expect("Адрес, куда прийти врачу")
        await chat.send(ADDRESS)
        card = await chat.expect("Это верно?")
        assert "Участок: Терапевтический участок №1" in card.text
        await chat.press("Да, верно", card)
        await chat.expect("Подъезд")
        await chat.send("2")
        await chat.expect("Этаж")
        await chat.send("3")
        await chat.expect("Код домофона?")
        await chat.press("Пропустить")
    await chat.expect("Что беспокоит?")


async def complaints(chat: ChatDriver, text: str = "болит горло") -> None:
    """Two chips and a free-text line, then «Готово»."""
    keyboard = chat.last
    await chat.press("Температура", keyboard)
    await chat.press("Кашель", keyboard)
    await chat.send(text)
    noted = await chat.expect("Записал:")
    assert f"Температура, Кашель, {text}" in noted.text
    await chat.press("Готово", noted)


# (a fragment of the question, the button pressed): an adult at home with a mild fever; the
# age is not asked, the linked birth date gives it
ADULT_FEVER = (
    ("Где сейчас находится пациент?", "Дома"),
    ("Есть ли сейчас что-то из этого", "Нет"),
    ("Что беспокоит пациента?", "Температура, простуда"),
    ("Температура 39 и выше", "Нет"),
)


async def answer_questions(chat: ChatDriver, path: tuple[tuple[str, str], ...]) -> None:
    for question, answer in path:
        await chat.expect(question)
        await chat.press(answer)


async def reason_questionnaire(chat: ChatDriver) -> None:
    """The shipped questionnaire walked to «Температура, ОРВИ у взрослого» (60Т)."""
    await chat.expect("Ответьте, пожалуйста, на несколько вопросов")
    await answer_questions(chat, ADULT_FEVER)
    await chat.expect("Повод вызова: Температура, ОРВИ у взрослого")


# a fragment of each safety question, in the order the bot asks them
SAFETY_QUESTIONS = (
    "Трудно дышать",
    "боль или давление в груди",
    "сознание",
    "речь",
    "судороги",
    "кровотечение",
)


async def safety_all_no(chat: ChatDriver) -> None:
    """The questionnaire after the complaints, then «Нет» to every safety question."""
    await reason_questionnaire(chat)
    await chat.expect("Несколько коротких вопросов")
    for question in SAFETY_QUESTIONS:
        await chat.expect(question)
        await chat.press("Нет")


async def make_call(chat: ChatDriver, saved: bool = False) -> None:
    """From /call to «Заявка отправлена»."""
    await up_to_complaints(chat, saved)
    await complaints(chat)
    await safety_all_no(chat)
    summary = await chat.expect("Проверьте вызов")
    await chat.press("Подтвердить", summary)
    await chat.expect("Заявка отправлена")


async def emergency_recorded(bot: BotHarness) -> tuple[list[tables.Intake], list[str], int]:
    """The stored intakes, events and calls once the emergency is recorded (after the reply)."""
    for _ in range(100):
        with bot.db.session() as session:
            intakes = list(session.scalars(select(tables.Intake)))
            topics = [e.topic for e in session.scalars(select(tables.OutboxEvent))]
            calls = len(session.scalars(select(tables.CallRow)).all())
        if topics and all(i.state != "queued" for i in intakes):  # one snapshot of both
            break
        await asyncio.sleep(0.05)
    return intakes, topics, calls
