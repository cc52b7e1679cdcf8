"""Saved addresses are one tap; the address card, from the summary's «Изменить», re-matches the
district when any part is edited."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from dispatcher.storage import tables
from dispatcher.storage.bot_tables import SavedAddress
from tests.bots.dialogs import complaints, make_call, onboard, safety_all_no
from tests.bots.harness import BotHarness, ChatDriver
from tests.conftest import WorkerRunner


async def _fix(chat: ChatDriver, field: str, value: str) -> str:
    """«Исправить» on the card, the field, the new value; the new card's text."""
    await chat.press("Исправить")
    await chat.expect("Что исправить?")
    await chat.press(field)
    await chat.expect(f"{field}: введите новое значение")
    await chat.send(value)
    card = await chat.expect("Это верно?")
    return card.text


async def _summary(chat: ChatDriver) -> None:
    await complaints(chat)
    await safety_all_no(chat)
    await chat.expect("Проверьте вызов")


async def _change(chat: ChatDriver, part: str) -> None:
    """«Изменить» on the summary, then what to change."""
    await chat.press("Изменить")
    await chat.press(part, await chat.expect("Что изменить?"))


async def _send(chat: ChatDriver) -> None:
    """«Отправить» on the summary (waited for unless it is the last message seen)."""
    summary = chat.last
    if summary is None or not summary.text.startswith("Проверьте вызов"):
        summary = await chat.expect("Проверьте вызов")
    await chat.press("Отправить", summary)
    await chat.expect("Заявка отправлена")


async def test_bot_edits_address_parts_and_matches_the_district_again(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(5201)
    await onboard(chat, phone="+79000000121")
    await chat.send("/call")
    await chat.expect("Кому нужен врач?")
    await chat.press("Тестов П. И.")
    await chat.expect("Куда прийти врачу")
    await chat.send("Химки, ул. Молодежная, д. 10, кв. 5")
    await chat.expect("Что беспокоит?")
    await _summary(chat)
    await _change(chat, "Адрес")
    card = await chat.expect("Это верно?")
    assert "Дом: 10" in card.text and "Участок: Терапевтический участок №1" in card.text
    assert "Улица: Молодежная" in card.text  # not «улица улица Молодежная»
    card_text = await _fix(chat, "Дом", "11")  # odd houses are the other district
    assert "Дом: 11" in card_text and "Участок: Терапевтический участок №2" in card_text
    card_text = await _fix(chat, "Квартира", "7")
    assert "Квартира: 7" in card_text and "Дом: 11" in card_text
    await chat.press("Да, верно")
    summary = await chat.expect("Проверьте вызов")
    assert "Терапевтический участок №2" in summary.text
    await _change(chat, "Подъезд, этаж, домофон")
    await chat.expect("Подъезд, этаж и код домофона")
    await chat.send("домофон 17К")
    await _send(chat)
    worker.drain()
    await chat.expect("Вызов принят")
    with bot.db.session() as session:
        call = session.scalars(select(tables.CallRow)).one()
        district = session.get(tables.District, call.district_id)
    assert (call.address["house"], call.address["flat"]) == ("11", "7")
    assert call.address["intercom"] == "17К"
    assert district is not None and district.code == "T2"


async def test_bot_offers_saved_addresses_and_keeps_an_edited_one_apart(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(5202)
    await onboard(chat, phone="+79000000122")
    await make_call(chat)
    worker.drain()
    await chat.expect("Вызов принят")
    await chat.send("/call")
    await chat.expect("Кому нужен врач?")
    await chat.press("Тестов П. И.")
    offer = await chat.expect("Нажмите адрес или напишите новый")
    assert [text for text, _ in offer.buttons()] == [
        "Химки, улица Молодежная, д. 10, кв. 5",
        "« Назад",
    ]
    await chat.press("Молодежная", offer)
    await chat.expect("Что беспокоит?")  # a saved address is not checked again
    await _summary(chat)
    await _change(chat, "Адрес")
    card = await chat.expect("Это верно?")
    assert "Квартира: 5" in card.text and "Участок: Терапевтический участок №1" in card.text
    card_text = await _fix(chat, "Квартира", "9")
    assert "Квартира: 9" in card_text
    await chat.press("Да, верно")
    summary = await chat.expect("Проверьте вызов")
    assert "Подъезд 2, этаж 3" in summary.text  # entrance and floor came with the saved address
    await _send(chat)
    await chat.send("/call")
    await chat.expect("Кому нужен врач?")
    await chat.press("Тестов П. И.")
    offer = await chat.expect("Нажмите адрес или напишите новый")
    assert [text for text, _ in offer.buttons()] == [
        "Химки, улица Молодежная, д. 10, кв. 9",
        "Химки, улица Молодежная, д. 10, кв. 5",
        "« Назад",
    ]


async def test_bot_tells_the_patient_why_the_polyclinic_rejected_the_call(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(5203)
    await onboard(chat, phone="+79000000123")
    # saved by an earlier version of the bot, which took any entrance text
    components = {
        "city": "Химки",
        "street": "Молодежная",
        "street_type": "улица",
        "house": "10",
        "flat": "5",
        "entrance": "2а",
        "floor": "3",
    }
    with bot.db.session() as session:
        session.add(
            SavedAddress(
                user_id=5203,
                label="Химки, улица Молодежная, д. 10, кв. 5",
                components=components,
                used_at=datetime.now(UTC),
            )
        )
    await chat.send("/call")
    await chat.expect("Кому нужен врач?")
    await chat.press("Тестов П. И.")
    await chat.expect("Нажмите адрес")
    await chat.press("Молодежная")
    await chat.expect("Что беспокоит?")
    await _summary(chat)
    await _send(chat)
    worker.drain()
    refused = await chat.expect("поликлиника не смогла принять вызов")
    assert "Подъезд: только цифры" in refused.text
    assert "/call" in refused.text and "103 или 112" in refused.text
    with bot.db.session() as session:
        intake = session.scalars(select(tables.Intake)).one()
        calls = session.scalars(select(tables.CallRow)).all()
    assert intake.state == "rejected" and not calls
