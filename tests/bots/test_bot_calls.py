"""Duplicates merged, a double tap on «Отправить», /my and cancelling, the visit day and why."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from bots.keyboards import CancelPick
from dispatcher.storage import tables
from dispatcher.storage.calls import add_channel, channels_of
from intake_core.status import CallStatus
from tests.bots.conftest import WORKING_DAY, moscow_on
from tests.bots.dialogs import (
    DANGER,
    complaints,
    link_relative,
    make_call,
    onboard,
    safety_all_no,
    up_to_complaints,
)
from tests.bots.harness import BotHarness, ChatDriver
from tests.conftest import WorkerRunner


def _calls(bot: BotHarness) -> list[tables.CallRow]:
    with bot.db.session() as session:
        return list(session.scalars(select(tables.CallRow).order_by(tables.CallRow.id)))


async def _accepted_call(
    bot: BotHarness, worker: WorkerRunner, user_id: int
) -> tuple[ChatDriver, tables.CallRow]:
    """A new patient's chat and the one call it made, accepted and told to the chat."""
    chat = bot.chat(user_id)
    await onboard(chat)
    await make_call(chat)
    worker.drain()
    await chat.expect("Вызов принят")
    [call] = _calls(bot)
    return chat, call


async def test_bot_tells_the_existing_number_when_the_second_call_is_a_duplicate(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(7001)
    await onboard(chat)
    await make_call(chat)
    worker.drain()
    await chat.expect("Вызов принят")
    await make_call(chat, saved=True)
    worker.drain()
    merged = await chat.expect("уже оформлен ранее")
    [call] = _calls(bot)
    assert f"Карта вызова № {call.number}" in merged.text
    with bot.db.session() as session:
        flags = [i.merged for i in session.scalars(select(tables.Intake))]
    assert sorted(flags) == [False, True]


async def test_bot_makes_one_call_when_confirm_is_tapped_twice(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(7002)
    await onboard(chat)
    await up_to_complaints(chat)
    await complaints(chat)
    await safety_all_no(chat)
    summary = await chat.expect("Проверьте вызов")
    await chat.press("Отправить", summary)
    await chat.press("Отправить", summary)
    await chat.expect("Заявка отправлена")
    worker.drain()
    await chat.expect("Вызов принят")
    assert len(_calls(bot)) == 1
    await bot.fake.wait_for(
        lambda r: (
            r.method == "answerCallbackQuery"
            and r.params.get("text")
            == "Эта заявка уже отправлена — номер вызова придёт сообщением."
        )
    )


async def test_bot_submission_is_idempotent_per_dialog_key(bot: BotHarness) -> None:
    from bots.draft import CallDraft
    from bots.dto import AddressDraft, Person

    draft = CallDraft(
        key="k-1",
        patient=Person(id=1, last_name="Тестов", first_name="Пётр", birth_date="1958-11-02"),
        address=AddressDraft(city="Химки", street="Молодежная", street_type="улица", house="10"),
        chips=[0],
    )
    first = bot.ctx.submission.submit(draft, "+79000000102", 1)
    second = bot.ctx.submission.submit(draft, "+79000000102", 1)
    assert (first, second) == (True, False)
    with bot.db.session() as session:
        assert len(session.scalars(select(tables.Intake)).all()) == 1


async def test_bot_cancels_a_call_from_my_calls_through_the_lifecycle(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat, call = await _accepted_call(bot, worker, 7003)
    await chat.send("/my")
    listing = await chat.expect("Ваши вызовы:")
    assert f"№ {call.number}" in listing.text and "принят" in listing.text
    await chat.press(f"Отменить № {call.number}")
    await chat.expect("Почему отменяете")
    await chat.press("Стало лучше")
    await chat.expect(f"Вызов № {call.number} отменён.")
    with bot.db.session() as session:
        row = session.get(tables.CallRow, call.id)
        history = session.scalars(
            select(tables.CallHistory).where(tables.CallHistory.call_id == call.id)
        ).all()
    assert row is not None and row.status == CallStatus.CANCELLED.value
    assert history[-1].actor == "Telegram-бот"
    assert "Стало лучше" in (history[-1].reason or "")
    await bot.relay_events()
    await chat.send("/my")
    listing = await chat.expect("Ваши вызовы:")
    assert "отменён" in listing.text
    # the chat that cancelled is not told a second time by the notifier
    assert not [m for m in chat.messages() if "Если врач всё ещё нужен" in m]


async def test_bot_keeps_the_call_when_cancelling_is_taken_back(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat, call = await _accepted_call(bot, worker, 7010)
    await chat.send("/my")
    await chat.press(f"Отменить № {call.number}", await chat.expect("Ваши вызовы:"))
    await chat.expect("Почему отменяете")
    await chat.send("пациент уехал к дочери на дачу, " * 20)  # a reason is never cut unseen
    await chat.press("Назад", await chat.expect("Сообщение очень длинное (639 знаков)"))
    await chat.expect(f"Хорошо, вызов № {call.number} не отменён.")
    await chat.send("нет")  # no longer read as the reason
    await chat.expect("Выберите действие в меню")
    [kept] = _calls(bot)
    assert kept.status == CallStatus.NEW.value


async def test_bot_cancel_withdraws_only_its_request_when_the_portal_asked_too(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat, call = await _accepted_call(bot, worker, 7008)
    with bot.db.session() as session:  # the same patient's portal request merged into it
        add_channel(session, call.id, "portal_request", "portal-77", call.created_at)
    await chat.send("/my")
    await chat.expect("Ваши вызовы:")
    await chat.press(f"Отменить № {call.number}")
    await chat.expect("Почему отменяете")
    await chat.press("Стало лучше")
    answer = await chat.expect(f"вызов № {call.number} не отменён")
    assert "регистратуру" in answer.text
    with bot.db.session() as session:
        row = session.get(tables.CallRow, call.id)
        kept = channels_of(session, call.id)
    assert row is not None and row.status == CallStatus.NEW.value
    assert kept == [("portal_request", "portal-77")]


async def test_bot_grandfather_and_granddaughter_at_one_address_get_two_calls(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    chat = bot.chat(7020)
    await onboard(chat)
    await make_call(chat)  # the grandfather, Тестов П. И.
    worker.drain()
    await chat.expect("Вызов принят")
    await link_relative(chat, "Тестова Анна Петровна", "12.05.2019")
    await chat.send("/call")
    await chat.press("Тестова А. П.", await chat.expect("Кому нужен врач?"))
    await chat.expect("Нажмите адрес")
    await chat.press("Молодежная")  # the same saved address, the same phone
    chips = await chat.expect("Что беспокоит?")
    await chat.press("Кашель, насморк", chips)  # the child's reason, not asked again
    await chat.press("Нет", await chat.expect(DANGER))
    await chat.press("Отправить", await chat.expect("Проверьте вызов"))
    await chat.expect("Заявка отправлена")
    worker.drain()
    accepted = await chat.expect("Вызов принят")
    grandfather, granddaughter = _calls(bot)
    assert f"№ {granddaughter.number}" in accepted.text
    assert (grandfather.last_name, granddaughter.last_name) == ("Тестов", "Тестова")
    assert granddaughter.status == CallStatus.NEW.value  # queued, not merged away
    with bot.db.session() as session:
        notes = session.scalars(
            select(tables.CallHistory.reason).where(tables.CallHistory.call_id == granddaughter.id)
        ).all()
    assert any(
        f"Одна семья/один адрес: открытый вызов № {grandfather.number}" in (n or "") for n in notes
    )


# (when the bot's clock stands, in Moscow; what the summary says of the visit day)
VISIT_DAYS = (
    (moscow_on(WORKING_DAY, 9), "Врач придёт сегодня (среда, 11.03)."),
    (
        moscow_on(WORKING_DAY, 15),
        "Заявки после 13:00 врач посещает на следующий рабочий день: четверг, 12.03.",
    ),
    (
        moscow_on(date(2026, 12, 6), 9),  # a Sunday morning
        "Заявки в выходные и праздники врач посещает в ближайший рабочий день: понедельник, 07.12.",
    ),
)


@pytest.mark.parametrize(("clock_start", "said"), VISIT_DAYS)
async def test_bot_summary_says_when_the_doctor_comes_and_why(bot: BotHarness, said: str) -> None:
    chat = bot.chat(7004)
    await onboard(chat)
    await up_to_complaints(chat)
    await complaints(chat)
    await safety_all_no(chat)
    summary = await chat.expect("Проверьте вызов")  # no separate notice to tap through
    assert said in summary.text
    await chat.press("Отправить", summary)
    await chat.expect("Заявка отправлена")


@pytest.mark.parametrize("clock_start", [moscow_on(WORKING_DAY, 12)])
async def test_bot_summary_takes_the_cutoff_from_the_mos_setting(bot: BotHarness) -> None:
    with bot.db.session() as session:
        session.execute(update(tables.MedicalOrganization).values(cutoff="11:30"))
    bot.ctx.addresses.refresh()  # as after an admin's change, once the cache has lapsed
    try:
        chat = bot.chat(7009)
        await onboard(chat)
        await up_to_complaints(chat)
        await complaints(chat)
        await safety_all_no(chat)
        summary = await chat.expect("Проверьте вызов")
        assert "Заявки после 11:30 врач посещает на следующий рабочий день: четверг, 12.03." in (
            summary.text
        )
    finally:
        with bot.db.session() as session:
            session.execute(update(tables.MedicalOrganization).values(cutoff="13:00"))


async def test_bot_cancel_command_leaves_a_dialog_midway(bot: BotHarness) -> None:
    chat = bot.chat(7005)
    await onboard(chat)
    await chat.send("/call")
    await chat.expect("Кому нужен врач?")
    await chat.press("Тестов П. И.")
    await chat.expect("Куда прийти врачу")
    await chat.send("/cancel")
    await chat.expect("Хорошо, отменено")
    await chat.send("Химки, ул. Молодежная, д. 10, кв. 5")  # no longer read as the address
    await chat.expect("Выберите действие в меню")
    await chat.send("/cancel")
    await chat.expect("Сейчас нечего отменять")
    assert not [m for m in chat.messages() if "Что беспокоит?" in m]


async def test_bot_refuses_to_cancel_a_call_of_another_account(
    bot: BotHarness, worker: WorkerRunner
) -> None:
    owner = bot.chat(7006)
    await onboard(owner)
    await make_call(owner)
    worker.drain()
    await owner.expect("Вызов принят")
    [call] = _calls(bot)
    stranger = bot.chat(7007)
    await onboard(stranger, phone="+79000000177")
    await bot.fake.callback(7007, CancelPick(call_id=call.id).pack(), 1)  # a forged button
    await stranger.expect("Вызов не найден")
    [after] = _calls(bot)
    assert after.status == CallStatus.NEW.value
