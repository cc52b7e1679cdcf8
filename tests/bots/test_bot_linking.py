"""Linking people to one account by full name + birth date, found in the registry or not."""

from __future__ import annotations

from sqlalchemy import select

from dispatcher.storage.bot_tables import LinkedPatient
from tests.bots.harness import BotHarness, ChatDriver


def _linked(bot: BotHarness, user_id: int) -> list[tuple[str, str, str | None, str | None]]:
    with bot.db.session() as session:
        rows = session.scalars(
            select(LinkedPatient).where(LinkedPatient.user_id == user_id).order_by(LinkedPatient.id)
        )
        return [(r.last_name, r.first_name, r.middle_name, r.policy_number) for r in rows]


async def _by_name(chat: ChatDriver, full_name: str, born: str) -> None:
    await chat.press("По ФИО и дате рождения")
    await chat.expect("Фамилия, имя и отчество")
    await chat.send(full_name)
    await chat.expect("Дата рождения")
    await chat.send(born)


async def test_bot_links_by_name_and_birth_date_and_takes_the_policy_from_the_registry(
    bot: BotHarness,
) -> None:
    chat = bot.chat(5101)
    await chat.send("/start")
    await chat.expect("Что умеет бот")
    await chat.share_contact("+79000000111")
    await chat.expect("Добавим пациента")
    await chat.press("По ФИО и дате рождения")
    await chat.expect("Фамилия, имя и отчество")
    await chat.send("Тестова")  # the first name is missing
    await chat.expect("Нужны хотя бы фамилия и имя")
    await chat.send("тестова анна игоревна")
    await chat.expect("Дата рождения")
    await chat.send("31.02.2016")
    await chat.expect("ДД.ММ.ГГГГ")
    await chat.send("12.04.2016")
    await chat.expect("Пациент добавлен: Тестова А. И., 12.04.2016")
    assert _linked(bot, 5101) == [("Тестова", "Анна", "Игоревна", "7752601815908306")]


async def test_bot_finds_the_registry_card_when_e_is_typed_for_yo(bot: BotHarness) -> None:
    chat = bot.chat(5102)
    await chat.send("/start")
    await chat.share_contact("+79000000112")
    await chat.expect("Добавим пациента")
    await _by_name(chat, "Тестов Петр Игоревич", "02.11.1958")
    await chat.expect("Пациент добавлен: Тестов П. И., 02.11.1958")
    assert _linked(bot, 5102) == [("Тестов", "Пётр", "Игоревич", "7716613186091393")]


async def test_bot_holds_several_people_and_plans_a_child_in_the_childrens_district(
    bot: BotHarness,
) -> None:
    chat = bot.chat(5103)
    await chat.send("/start")
    await chat.share_contact("+79000000113")
    await chat.expect("Добавим пациента")
    await _by_name(chat, "Тестов Пётр Игоревич", "02.11.1958")
    await chat.expect("Пациент добавлен: Тестов П. И.")
    await chat.send("/link")
    await chat.expect("Добавим пациента")
    await _by_name(chat, "Новикова Ольга Сергеевна", "01.02.2020")  # not in the registry
    await chat.expect("Пациент добавлен: Новикова О. С., 01.02.2020")
    assert _linked(bot, 5103)[1] == ("Новикова", "Ольга", "Сергеевна", None)
    await chat.send("/call")
    who = await chat.expect("Кому нужен врач?")
    labels = [text for text, _ in who.buttons()]
    assert labels == [
        "Тестов П. И., 02.11.1958",
        "Новикова О. С., 01.02.2020",
        "➕ Другой человек",
        "« Назад",
    ]
    await chat.press("Новикова О. С.")
    await chat.expect("Куда прийти врачу")
    await chat.send("Химки, ул. Молодежная, д. 10, кв. 5")
    await chat.send("кашель и насморк")
    await chat.press("Нет", await chat.expect("Есть ли сейчас что-то из этого"))
    summary = await chat.expect("Проверьте вызов")
    assert "Педиатрический участок №1" in summary.text


async def test_bot_checks_the_policy_number_before_asking_the_birth_date(bot: BotHarness) -> None:
    chat = bot.chat(5104)
    await chat.send("/start")
    await chat.share_contact("+79000000114")
    await chat.expect("Добавим пациента")
    await chat.press("По полису")
    await chat.expect("16 цифр")
    await chat.send("7716613186091394")  # the check digit is wrong
    await chat.expect("не сходится контрольная цифра")
    await chat.send("7716 6131 8609 1393")
    await chat.expect("Дата рождения")
    await chat.send("02.11.1958")
    await chat.expect("Пациент добавлен: Тестов П. И., 02.11.1958")
