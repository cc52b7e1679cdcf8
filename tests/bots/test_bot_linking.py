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


async def _started(bot: BotHarness, user_id: int, phone: str) -> ChatDriver:
    """/start and the own contact shared: the bot offers to add a patient."""
    chat = bot.chat(user_id)
    await chat.send("/start")
    await chat.share_contact(phone)
    await chat.expect("Добавим пациента")
    return chat


async def _typed(chat: ChatDriver, turns: tuple[tuple[str, str], ...]) -> None:
    """Each message typed in turn, and what the bot answers it."""
    for typed, answer in turns:
        await chat.send(typed)
        await chat.expect(answer)


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
    await _typed(
        chat,
        (
            ("Тестова", "Нужны хотя бы фамилия и имя"),  # the first name is missing
            ("тестова анна игоревна", "Дата рождения"),
            ("31.02.2016", "ДД.ММ.ГГГГ"),
            ("12.04.2016", "Пациент добавлен: Тестова А. И., 12.04.2016"),
        ),
    )
    assert _linked(bot, 5101) == [("Тестова", "Анна", "Игоревна", "7752601815908306")]


async def test_bot_finds_the_registry_card_when_e_is_typed_for_yo(bot: BotHarness) -> None:
    chat = await _started(bot, 5102, "+79000000112")
    await _by_name(chat, "Тестов Петр Игоревич", "02.11.1958")
    await chat.expect("Пациент добавлен: Тестов П. И., 02.11.1958")
    assert _linked(bot, 5102) == [("Тестов", "Пётр", "Игоревич", "7716613186091393")]


async def test_bot_holds_several_people_and_plans_a_child_in_the_childrens_district(
    bot: BotHarness,
) -> None:
    chat = await _started(bot, 5103, "+79000000113")
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
    chat = await _started(bot, 5104, "+79000000114")
    await chat.press("По полису")
    await chat.expect("16 цифр")
    await _typed(
        chat,
        (
            ("7716613186091394", "не сходится контрольная цифра"),  # the check digit is wrong
            ("7716 6131 8609 1393", "Дата рождения"),
            ("02.11.1958", "Пациент добавлен: Тестов П. И., 02.11.1958"),
        ),
    )
