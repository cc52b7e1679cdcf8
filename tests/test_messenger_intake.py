"""A messenger's declared emergency is settled by the worker's own processing, at once: the
intake becomes `emergency` with the declared red flags and the spine's event, whatever the
dialog had gathered, and the chat's notice is marked sent in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from sqlalchemy import select

from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.queue import IntakeQueue
from dispatcher.services.intake import submit
from dispatcher.services.intake_processor import Declared, IntakeProcessor
from dispatcher.services.messenger import MessengerServices
from dispatcher.services.messenger.intake import ensure_client
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import SentNotification
from dispatcher.storage.database import Database
from intake_core.call import RedFlag
from intake_core.intake import IntakeState

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
FLAG = RedFlag("questionnaire:red_flag", "Экстренные показания")
PATIENT = {
    "last_name": "Иванова",
    "first_name": "Мария",
    "middle_name": None,
    "birth_date": "2015-03-02",
    "policy_number": None,
}
ADDRESS = {"address": "г. Химки, ул. Молодежная, д. 63", "mo_code": "DEMO-KHIMKI"}
CHAT = {"channel_kind": "telegram_chat", "channel_ref": "7001", "caller": {"phone": "+79160000001"}}


def _payload(**parts: Any) -> dict[str, Any]:
    base = {"source": "telegram", "phone": "+79160000001", "complaints": "плохо", **CHAT}
    return {**base, **parts}


@pytest.mark.parametrize(
    ("case", "payload"),
    [
        ("the whole dialog", _payload(patient=PATIENT, **ADDRESS)),
        ("no address yet", _payload(patient=PATIENT)),
        ("no patient yet", _payload(**ADDRESS)),
        ("only the typed text", _payload(complaints="задыхается")),
    ],
)
def test_declared_emergency_is_settled_by_the_worker_processing(
    db: Database,
    analyzer: NlpAnalyzer,
    processor: IntakeProcessor,
    case: str,
    payload: dict[str, Any],
) -> None:
    submitted = submit(db, ensure_client(db, "test-bot"), "", f"key-{case}", payload, NOW)
    with db.session() as session:
        state, settled = processor.settle(
            session, submitted.intake_id, NOW, Declared((FLAG,), "Telegram-бот"), processed_at=NOW
        )
    assert (state, settled) == (IntakeState.EMERGENCY, True), case
    with db.session() as session:
        intake = session.get(tables.Intake, submitted.intake_id)
        assert intake is not None
        assert intake.state == "emergency" and intake.attempts == 1 and intake.call_id is None
        assert {"code": FLAG.code, "reason": FLAG.reason} in intake.red_flags
        events = session.scalars(select(tables.OutboxEvent.payload)).all()
        assert [(e["type"], e["intake_id"], e["actor"]) for e in events] == [
            ("intake.emergency", submitted.intake_id, "Telegram-бот")
        ]
        assert session.scalar(select(tables.CallRow.id)) is None
    with db.session() as session:  # settled once: a second settle leaves it as it is
        again = processor.settle(session, submitted.intake_id, NOW, Declared((FLAG,), "x"))
    assert again == (IntakeState.EMERGENCY, False)


@pytest.fixture
def marks(db: Database) -> Iterator[None]:
    """The sent-notice marks are the messenger's table: emptied around the test."""
    with db.session() as session:
        session.query(SentNotification).delete()
    yield
    with db.session() as session:
        session.query(SentNotification).delete()


@pytest.mark.usefixtures("marks")
def test_chat_intake_marks_the_chats_emergency_notice_sent_once(
    db: Database, analyzer: NlpAnalyzer, redis_client: redis.Redis
) -> None:
    queue = IntakeQueue(redis_client, "messenger-intake-test")
    services = MessengerServices.build(db, redis_client, analyzer, queue, "test-bot")
    payload = _payload(patient=PATIENT, **ADDRESS)
    for _ in range(2):  # a double tap: one intake, one notice mark
        state = services.intake.record_emergency("k", payload, 7001, [FLAG], "Telegram-бот", NOW)
        assert state is IntakeState.EMERGENCY
    with db.session() as session:
        marks = session.scalars(select(SentNotification.key)).all()
        intakes = session.scalars(select(tables.Intake.id)).all()
    assert marks == [f"intake:{intakes[0]}"] and len(intakes) == 1
