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
    """/call, the patient, the address (a saved one tapped, or a new one typed with its
    entrance and floor), up to «Что беспокоит?»."""
    await chat.send("/call")
    await chat.expect("Кому нужен врач?")
    await chat.press("Тестов П. И.")
    if saved:
        await chat.expect("Нажмите адрес")
        await chat.press("Молодежная")
    else:
        await chat.expect("Куда прийти врачу?")
        await chat.send(ADDRESS_WITH_DETAILS)
    await chat.expect("Что беспокоит?")


async def link_relative(chat: ChatDriver, full_name: str, born: str) -> None:
    """/link another patient by full name and birth date, up to «Пациент добавлен»."""
    await chat.send("/link")
    await chat.press("По ФИО и дате рождения", await chat.expect("Добавим пациента"))
    await chat.expect("Фамилия, имя и отчество")
    await chat.send(full_name)
    await chat.expect("Дата рождения")
    await chat.send(born)
    await chat.expect("Пациент добавлен")


ADDRESS_WITH_DETAILS = f"{ADDRESS}, подъезд 2, этаж 3"
COMPLAINT = "температура 39, кашель"


async def complaints(chat: ChatDriver, text: str = COMPLAINT) -> None:
    """The complaint in one message."""
    await chat.send(text)


async def answer_questions(chat: ChatDriver, path: tuple[tuple[str, str], ...]) -> None:
    for question, answer in path:
        await chat.expect(question)
        await chat.press(answer)


# the one red-flag question the questionnaire asks first
DANGER = "Есть ли сейчас что-то из этого"


async def safety_all_no(chat: ChatDriver) -> None:
    """«Нет» to the one red-flag question; the rest the complaint and the birth date answer."""
    await chat.expect(DANGER)
    await chat.press("Нет")


async def make_call(chat: ChatDriver, saved: bool = False) -> None:
    """From /call to «Заявка отправлена»."""
    await up_to_complaints(chat, saved)
    await complaints(chat)
    await safety_all_no(chat)
    summary = await chat.expect("Проверьте вызов")
    await chat.press("Отправить", summary)
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
