"""One table of patient journeys, run against both messengers: the Telegram bot on the fake Bot
API and the MAX bot on the fake MAX Bot API. The journeys are the Telegram tests' own dialog
helpers (`tests/bots/dialogs.py`), which read what the bot says and press buttons by their
labels, so both messengers are held to one dialog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import pytest
from sqlalchemy import select

from bots import texts
from bots.ids import to_dialog
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import TelegramUser
from intake_core.status import CallStatus
from tests.bots.dialogs import PHONE, emergency_recorded, make_call, onboard
from tests.bots.harness import BotHarness, ChatDriver
from tests.bots.max_harness import MaxHarness
from tests.conftest import WorkerRunner

pytest_plugins = ["tests.bots.max_fixtures"]  # the MAX bot's fixtures


@dataclass(frozen=True, slots=True)
class Patient:
    """A patient in one messenger: their chat, as the dialog helpers drive it, and their id in
    the bot's tables."""

    messenger: str
    harness: BotHarness | MaxHarness
    chat: ChatDriver
    dialog_id: int


@pytest.fixture(params=["telegram", "max"])
def messenger(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def patient_of(messenger: str, request: pytest.FixtureRequest) -> Callable[[int], Patient]:
    harness: Any = request.getfixturevalue("bot" if messenger == "telegram" else "max_bot")

    def make(user_id: int) -> Patient:
        chat = cast(ChatDriver, harness.chat(user_id))  # MaxChat has ChatDriver's methods
        dialog_id = to_dialog(user_id) if messenger == "max" else user_id
        return Patient(messenger, harness, chat, dialog_id)

    return make


async def start_with_own_number(patient: Patient, worker: WorkerRunner) -> None:
    """/start with the personal-data note, the own number shared, a patient linked."""
    await onboard(patient.chat)
    with patient.harness.db.session() as session:
        user = session.get(TelegramUser, patient.dialog_id)
        assert user is not None and user.phone == PHONE and user.chat_id == patient.dialog_id


async def someone_elses_number_is_refused(patient: Patient, worker: WorkerRunner) -> None:
    await patient.chat.send("/start")
    await patient.chat.expect(texts.SHARE_CONTACT.split()[-1])
    await patient.chat.share_contact("+79000000199", owner_id=777)
    await patient.chat.expect(texts.FOREIGN_CONTACT[:20])
    with patient.harness.db.session() as session:
        assert session.get(TelegramUser, patient.dialog_id) is None


async def call_a_doctor(patient: Patient, worker: WorkerRunner) -> None:
    """The whole call dialog, then «Вызов принят» back in the same messenger."""
    await onboard(patient.chat)
    await make_call(patient.chat)
    worker.drain()
    accepted = await patient.chat.expect("Вызов принят: Карта вызова №")
    with patient.harness.db.session() as session:
        call = session.scalars(select(tables.CallRow)).one()
        channels = {(c.kind, c.value) for c in session.scalars(select(tables.CallChannel))}
    assert ("telegram_chat", str(patient.dialog_id)) in channels
    assert call.source == patient.messenger  # the desk shows «MAX» or «Telegram»
    assert f"№ {call.number}" in accepted.text and "горло" not in accepted.text


async def emergency_text(patient: Patient, worker: WorkerRunner) -> None:
    """A red flag typed at the menu: 103/112 at once, recorded, no visit."""
    await onboard(patient.chat)
    await patient.chat.send("мама без сознания, не дышит")
    await patient.chat.expect("103 или 112")
    intakes, topics, calls = await emergency_recorded(patient.harness)  # type: ignore[arg-type]
    assert [i.payload["source"] for i in intakes] == [patient.messenger]
    assert [i.state for i in intakes] == ["emergency"] and calls == 0
    assert topics == ["intake.emergency"]


async def my_calls_cancel(patient: Patient, worker: WorkerRunner) -> None:
    """/my lists the call, «Отменить №…» with a reason cancels it."""
    await onboard(patient.chat)
    await make_call(patient.chat)
    worker.drain()
    await patient.chat.expect("Вызов принят")
    with patient.harness.db.session() as session:
        call = session.scalars(select(tables.CallRow)).one()
    await patient.chat.send("/my")
    await patient.chat.expect("Ваши вызовы:")
    await patient.chat.press(f"Отменить № {call.number}")
    await patient.chat.expect("Почему отменяете")
    await patient.chat.press("Стало лучше")
    await patient.chat.expect(f"Вызов № {call.number} отменён.")
    with patient.harness.db.session() as session:
        row = session.get(tables.CallRow, call.id)
        history = session.scalars(
            select(tables.CallHistory).where(tables.CallHistory.call_id == call.id)
        ).all()
    assert row is not None and row.status == CallStatus.CANCELLED.value
    bot = {"telegram": "Telegram-бот", "max": "MAX-бот"}[patient.messenger]
    assert history[-1].actor == bot


Journey = Callable[[Patient, WorkerRunner], Awaitable[None]]

JOURNEYS: dict[str, Journey] = {
    "start, own number, a linked patient": start_with_own_number,
    "someone else's number refused": someone_elses_number_is_refused,
    "call a doctor, told it is accepted": call_a_doctor,
    "emergency typed at the menu": emergency_text,
    "/my and cancelling": my_calls_cancel,
}


@pytest.mark.parametrize("journey", list(JOURNEYS))
async def test_max_journeys_end_alike_in_both_messengers(
    journey: str, patient_of: Callable[[int], Patient], worker: WorkerRunner
) -> None:
    await JOURNEYS[journey](patient_of(8101), worker)
