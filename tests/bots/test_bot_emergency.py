"""Red flags end the dialog with «Срочно звоните 103 или 112», recorded, and no visit created."""

from __future__ import annotations

from tests.bots.dialogs import DANGER, emergency_recorded, onboard, up_to_complaints
from tests.bots.harness import BotHarness


async def test_bot_stops_and_records_an_emergency_when_the_red_flag_answer_is_yes(
    bot: BotHarness,
) -> None:
    chat = bot.chat(6001)
    await onboard(chat)
    await up_to_complaints(chat)
    await chat.press("Кашель")
    await chat.press("Да", await chat.expect(DANGER))
    stop = await chat.expect("СРОЧНО ЗВОНИТЕ 103 ИЛИ 112")
    assert "Экстренные показания" in stop.text
    intakes, topics, calls = await emergency_recorded(bot)
    assert [i.state for i in intakes] == ["emergency"]
    assert "questionnaire:red_flag" in {f["code"] for f in intakes[0].red_flags}
    assert topics == ["intake.emergency"] and calls == 0
    await chat.send("/help")  # the dialog is over: the next message is handled afresh
    await chat.expect("Команды:")


async def test_bot_stops_an_emergency_found_by_triage_in_the_complaint_text(
    bot: BotHarness,
) -> None:
    chat = bot.chat(6002)
    await onboard(chat)
    await up_to_complaints(chat)
    await chat.send("час назад потерял сознание")  # answered on the message itself
    stop = await chat.expect("Срочно звоните 103 или 112")
    assert "Потеря сознания" in stop.text
    intakes, topics, calls = await emergency_recorded(bot)
    assert [i.state for i in intakes] == ["emergency"] and topics == ["intake.emergency"]
    assert calls == 0
    assert not [m for m in chat.messages() if DANGER in m]


async def test_bot_does_not_stop_when_the_complaint_text_negates_a_red_flag(
    bot: BotHarness,
) -> None:
    chat = bot.chat(6003)
    await onboard(chat)
    await up_to_complaints(chat)
    await chat.send("кашель, удушья нет")
    await chat.press("Нет", await chat.expect(DANGER))
    await chat.press("Нет", await chat.expect("Тяжело дышать в покое"))  # the cough's own
    await chat.expect("Проверьте вызов")
