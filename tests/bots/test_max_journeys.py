"""One table of patient journeys, run against both messengers: the Telegram bot on the fake Bot
API and the MAX bot on the fake MAX Bot API. The journeys are the Telegram tests' own dialog
helpers (`tests/bots/dialogs.py`), which read what the bot says and press buttons by their
labels, so both messengers are held to one dialog: /start with the personal-data notice, the
own number shared and a stranger's refused, linking people, a call with its address parsed and
its questionnaire coded, a red flag stopped at once, /my with cancelling, and every status
change told in the messenger the call came from, without the complaint or the diagnosis."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import pytest
from sqlalchemy import select

from bots import texts
from bots.ids import to_dialog
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import LinkedPatient, TelegramUser
from dispatcher.storage.dispatch_tables import CallServiceCard
from intake_core.call import ServiceResult
from intake_core.status import CallStatus
from tests.bots.dialogs import (
    DANGER,
    PHONE,
    complaints,
    emergency_recorded,
    link_relative,
    make_call,
    onboard,
    up_to_complaints,
)
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


def only_call(patient: Patient) -> tables.CallRow:
    with patient.harness.db.session() as session:
        return session.scalars(select(tables.CallRow)).one()


async def start_with_own_number(patient: Patient, worker: WorkerRunner) -> None:
    """/start with the personal-data note, the own number shared, a patient linked."""
    await onboard(patient.chat)
    [welcome] = [m for m in patient.chat.messages() if m.startswith("Здравствуйте!")]
    assert "Персональные данные" in welcome and "152-ФЗ" in welcome
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


async def link_a_relative(patient: Patient, worker: WorkerRunner) -> None:
    """/link a second person by full name and birth date; /call offers both."""
    await onboard(patient.chat)
    await link_relative(patient.chat, "тестова анна игоревна", "12.04.2016")
    with patient.harness.db.session() as session:
        linked = session.scalars(
            select(LinkedPatient)
            .where(LinkedPatient.user_id == patient.dialog_id)
            .order_by(LinkedPatient.id)
        ).all()
        names = [(p.last_name, p.first_name, p.policy_number) for p in linked]
    assert names == [
        ("Тестов", "Пётр", "7716613186091393"),
        ("Тестова", "Анна", "7752601815908306"),  # the policy from the registry
    ]
    await patient.chat.send("/call")
    await patient.chat.press("Тестова А. И.", await patient.chat.expect("Кому нужен врач?"))
    await patient.chat.expect("Куда прийти врачу?")


async def call_a_doctor(patient: Patient, worker: WorkerRunner) -> None:
    """The whole call dialog, the address parsed, then «Вызов принят» in the same messenger."""
    await onboard(patient.chat)
    await make_call(patient.chat)  # «…, подъезд 2, этаж 3» typed, «Нет» to the red flags
    worker.drain()
    accepted = await patient.chat.expect("Вызов принят: Карта вызова №")
    call = only_call(patient)
    with patient.harness.db.session() as session:
        channels = {(c.kind, c.value) for c in session.scalars(select(tables.CallChannel))}
    assert ("telegram_chat", str(patient.dialog_id)) in channels
    assert call.source == patient.messenger  # the desk shows «MAX» or «Telegram»
    parsed = {k: call.address.get(k) for k in ("street", "house", "flat", "entrance", "floor")}
    assert parsed == {
        "street": "Молодежная",
        "house": "10",
        "flat": "5",
        "entrance": "2",
        "floor": "3",
    }
    assert call.complaints["raw"] == "температура 39, кашель"
    assert f"№ {call.number}" in accepted.text
    assert "температура" not in accepted.text and "кашель" not in accepted.text


async def questionnaire_with_back(patient: Patient, worker: WorkerRunner) -> None:
    """A complaint button, the questions answered by buttons, one «Назад»: the call is coded
    as the desk codes it."""
    chat = patient.chat
    await onboard(chat)
    await up_to_complaints(chat)
    await chat.press("Давление")
    await chat.press("Нет", await chat.expect(DANGER))
    await chat.press("Нет", await chat.expect("Давление выше 180"))
    await chat.press("Назад", await chat.expect("снижается обычными лекарствами"))
    await chat.press("Нет", await chat.expect("Давление выше 180"))
    await chat.press("Да", await chat.expect("снижается обычными лекарствами"))
    await chat.press("Отправить", await chat.expect("Проверьте вызов"))
    await chat.expect("Заявка отправлена")
    worker.drain()
    await chat.expect("Вызов принят")
    with patient.harness.db.session() as session:
        card = session.get(CallServiceCard, only_call(patient).id)
        assert card is not None
        assert (card.reason_code, card.branch) == ("63Т", "adult_pressure_home")


async def emergency_text(patient: Patient, worker: WorkerRunner) -> None:
    """A red flag typed at the menu: 103/112 at once, recorded, no visit."""
    await onboard(patient.chat)
    await patient.chat.send("мама без сознания, не дышит")
    await patient.chat.expect("103 или 112")
    intakes, topics, calls = await emergency_recorded(patient.harness)  # type: ignore[arg-type]
    assert [i.payload["source"] for i in intakes] == [patient.messenger]
    assert [i.state for i in intakes] == ["emergency"] and calls == 0
    assert topics == ["intake.emergency"]


async def red_flag_in_the_questionnaire(patient: Patient, worker: WorkerRunner) -> None:
    """«Да» to the red-flag question: 103/112 at once, recorded, no call."""
    await onboard(patient.chat)
    await up_to_complaints(patient.chat)
    await complaints(patient.chat)
    await patient.chat.press("Да", await patient.chat.expect(DANGER))
    stop = await patient.chat.expect("СРОЧНО ЗВОНИТЕ 103 ИЛИ 112")
    assert "НЕ оформлен" in stop.text
    intakes, topics, calls = await emergency_recorded(patient.harness)  # type: ignore[arg-type]
    assert [i.state for i in intakes] == ["emergency"] and calls == 0
    assert topics == ["intake.emergency"]
    flag = {"code": "questionnaire:red_flag", "reason": "Экстренные показания"}
    assert flag in intakes[0].red_flags


async def status_changes_told(patient: Patient, worker: WorkerRunner) -> None:
    """The doctor assigned, the visit served: each told in the messenger the call came from,
    with the number and the doctor, without the complaint or the diagnosis."""
    await onboard(patient.chat)
    await make_call(patient.chat)
    worker.drain()
    await patient.chat.expect("Вызов принят")
    call = only_call(patient)
    operator = Actor("operator1", None)
    with patient.harness.db.session() as session:
        doctor = session.scalars(select(tables.Doctor.id).where(tables.Doctor.code == "D001"))
        CallLifecycle(session, operator).assign(call.id, doctor.one(), call.planned_date)
    await patient.harness.relay_events()
    await patient.chat.expect(f"По вызову № {call.number} назначен врач: Демидова А. П.")
    with patient.harness.db.session() as session:
        CallLifecycle(session, operator).serve(
            call.id, ServiceResult.LEFT_AT_HOME, ["J06.9"], "ОРВИ, постельный режим"
        )
    await patient.harness.relay_events()
    await patient.chat.expect(f"Вызов № {call.number} выполнен")
    notices = [m for m in patient.chat.messages() if f"№ {call.number}" in m]
    assert len(notices) >= 3  # accepted, assigned, served
    for forbidden in ("температура", "кашель", "j06", "орви"):
        assert not [m for m in notices if forbidden in m.casefold()], forbidden


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
    "a relative linked by name and birth date": link_a_relative,
    "call a doctor, the address parsed, told it is accepted": call_a_doctor,
    "the questionnaire by buttons, with «Назад»": questionnaire_with_back,
    "emergency typed at the menu": emergency_text,
    "red flag answered in the questionnaire": red_flag_in_the_questionnaire,
    "status changes told without medical text": status_changes_told,
    "/my and cancelling": my_calls_cancel,
}


@pytest.mark.parametrize("journey", list(JOURNEYS))
async def test_max_journeys_end_alike_in_both_messengers(
    journey: str, patient_of: Callable[[int], Patient], worker: WorkerRunner
) -> None:
    await JOURNEYS[journey](patient_of(8101), worker)
