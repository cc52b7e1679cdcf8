"""Red flags end the dialog with «Срочно звоните 103 или 112», recorded, and no visit created."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from dispatcher.storage import tables
from tests.bots.dialogs import onboard, up_to_complaints
from tests.bots.harness import BotHarness


async def _recorded(bot: BotHarness) -> tuple[list[tables.Intake], list[str], int]:
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


async def test_bot_stops_and_records_an_emergency_when_a_safety_answer_is_yes(
    bot: BotHarness,
) -> None:
    chat = bot.chat(6001)
    await onboard(chat)
    await up_to_complaints(chat)
    await chat.press("Кашель")
    await chat.press("Готово")
    await chat.expect("Трудно дышать")
    await chat.press("Да")
    stop = await chat.expect("СРОЧНО ЗВОНИТЕ 103 ИЛИ 112")
    assert "затруднённое дыхание" in stop.text
    intakes, topics, calls = await _recorded(bot)
    assert [i.state for i in intakes] == ["emergency"]
    assert {"code": "bot_breathing", "reason": "затруднённое дыхание"} in intakes[0].red_flags
    assert topics == ["intake.emergency"] and calls == 0
    await chat.send("/help")  # the dialog is over: the next message is handled afresh
    await chat.expect("Команды:")


async def test_bot_stops_an_emergency_found_by_triage_in_the_complaint_text(
    bot: BotHarness,
) -> None:
    chat = bot.chat(6002)
    await onboard(chat)
    await up_to_complaints(chat)
    await chat.send("час назад потерял сознание")
    noted = await chat.expect("Записал:")
    await chat.press("Готово", noted)
    stop = await chat.expect("Срочно звоните 103 или 112")
    assert "Потеря сознания" in stop.text
    intakes, topics, calls = await _recorded(bot)
    assert [i.state for i in intakes] == ["emergency"] and topics == ["intake.emergency"]
    assert calls == 0
    assert not [m for m in chat.messages() if "Несколько коротких вопросов" in m]


async def test_bot_does_not_stop_when_the_complaint_text_negates_a_red_flag(
    bot: BotHarness,
) -> None:
    chat = bot.chat(6003)
    await onboard(chat)
    await up_to_complaints(chat)
    await chat.send("кашель, удушья нет")
    noted = await chat.expect("Записал:")
    await chat.press("Готово", noted)
    await chat.expect("Несколько коротких вопросов")
