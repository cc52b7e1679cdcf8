"""Every status change reaches the SMS center and the subscriber exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from sqlalchemy import select

from dispatcher.notify import preferences
from dispatcher.notify.delivery_state import DeliveryState
from dispatcher.notify.smpp.pdu import Status
from dispatcher.notify.sms import SmppGateway
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from intake_core.call import ServiceResult
from tests.notify.conftest import COMPLAINT, PHONE, Pipeline, make_call, subscribe, wait_for
from tests.notify.receiver import Receiver
from tests.notify.smsc import Smsc

SYSTEM = Actor("Оператор", None)


def _doctor(db: Database) -> int:
    with db.session() as session:
        doctor = session.scalar(select(tables.Doctor).where(tables.Doctor.code == "D001"))
        assert doctor is not None
        return doctor.id


def test_pipeline_every_status_reaches_smsc_and_subscriber_once(
    pipeline: Pipeline, db: Database, smsc: Smsc, receiver: Receiver, redis_client: redis.Redis
) -> None:
    _, receiver.secret = subscribe(db, receiver.url)
    call_id = make_call(db)
    with db.session() as session:
        CallLifecycle(session, SYSTEM).assign(call_id, _doctor(db), None)
    with db.session() as session:
        CallLifecycle(session, SYSTEM).serve(call_id, ServiceResult.LEFT_AT_HOME, ["J06.9"], None)
    pipeline.run()
    # the same events once more, and every job once more: nothing new leaves
    redis_client.xgroup_setid(pipeline.settings.events_stream, pipeline.settings.notify_group, "0")
    pipeline.consume()
    for delivery in pipeline.deliveries():
        pipeline.queue.enqueue(delivery.id)
    pipeline.drain()

    texts = smsc.texts()
    assert len(texts) == 3, texts
    # a part sent twice would be byte-identical (same UDH reference): none is
    parts = [(s.message.destination_addr, s.message.short_message) for s in smsc.submitted]
    assert len(parts) == len(set(parts))
    assert texts[0].startswith("Вызов врача на дом принят, номер")
    assert "назначен врач Демидова А. П." in texts[1] and "с 08:00 по 20:00" in texts[1]
    assert "обслужен" in texts[2]
    assert {s.message.destination_addr for s in smsc.submitted} == {PHONE.lstrip("+")}
    assert receiver.statuses() == ["new", "active", "served"]
    assert receiver.duplicates == 0 and receiver.bad_signatures == 0
    assert all(e["external_id"]["kind"] == "portal_request" for e in receiver.events.values())
    # medical secrecy: neither the complaint nor the diagnosis leaves in any message
    for text in texts + [str(e) for e in receiver.events.values()]:
        assert "кашель" not in text.casefold() and "J06" not in text and COMPLAINT not in text
    assert wait_for(
        lambda: all(
            d.state == DeliveryState.DELIVERED.value for d in pipeline.deliveries(channel="sms")
        )
    ), [d.state for d in pipeline.deliveries(channel="sms")]


def test_pipeline_long_cyrillic_message_split_into_ucs2_parts(
    pipeline: Pipeline, db: Database, smsc: Smsc
) -> None:
    make_call(db)
    pipeline.run()
    (text,) = smsc.texts()
    assert len(text) > 70
    parts = smsc.submitted
    assert len(parts) == -(-len(text) // 67)
    refs = {p.message.udh[0] for p in parts if p.message.udh}
    assert len(refs) == 1
    for number, part in enumerate(parts, start=1):
        message = part.message
        assert message.data_coding == 0x08 and message.esm_class & 0x40
        assert message.udh is not None and message.udh[1:] == (len(parts), number)
        assert len(message.short_message) - 6 == 2 * len(message.text) <= 134
    assert all(len(p.message.text) == 67 for p in parts[:-1])
    (delivery,) = pipeline.deliveries(channel="sms")
    assert wait_for(lambda: pipeline.deliveries(channel="sms")[0].state == "delivered")
    assert delivery.body == text


def test_pipeline_sends_nothing_when_patient_opted_out(
    pipeline: Pipeline, db: Database, smsc: Smsc
) -> None:
    with db.session() as session:
        preferences.set_sms(session, "8 (916) 123-45-67", False, "оператор", datetime.now(UTC))
    call_id = make_call(db)
    with db.session() as session:
        CallLifecycle(session, SYSTEM).cancel(call_id, "Пациент передумал")
    pipeline.run()
    assert smsc.submitted == []
    states = {(d.template, d.state) for d in pipeline.deliveries(channel="sms")}
    assert states == {("accepted", "skipped"), ("cancelled", "skipped")}


def test_pipeline_retries_after_failures_then_delivers(
    pipeline: Pipeline, db: Database, smsc: Smsc, receiver: Receiver
) -> None:
    _, receiver.secret = subscribe(db, receiver.url)
    smsc.fail_next = 2
    receiver.fail_next = 2
    make_call(db)
    pipeline.run()
    assert len(smsc.texts()) == 1
    assert receiver.requests == 3 and len(receiver.events) == 1
    assert [d.attempts for d in pipeline.deliveries()] == [3, 3]
    assert {d.state for d in pipeline.deliveries(channel="webhook")} == {"sent"}


def test_pipeline_dead_letters_after_n_tries(
    pipeline: Pipeline, db: Database, smsc: Smsc, receiver: Receiver
) -> None:
    _, receiver.secret = subscribe(db, receiver.url)
    receiver.fail_next = 10
    smsc.fail_next = 10
    make_call(db)
    pipeline.run()
    assert receiver.requests == 3 and receiver.events == {}
    assert smsc.submitted == []
    dead = pipeline.deliveries(state="dead")
    assert len(dead) == 2 and all(d.attempts == 3 for d in dead)
    errors = {d.last_error for d in dead}
    assert errors == {"Подписчик ответил 500", "SMPP SUBMIT_SM_RESP status 0x08"}


def test_pipeline_dead_letter_retry_sends_it(
    pipeline: Pipeline, db: Database, receiver: Receiver
) -> None:
    _, receiver.secret = subscribe(db, receiver.url)
    receiver.fail_next = 3
    make_call(db, phone=None)
    pipeline.run()
    (dead,) = pipeline.deliveries(state="dead")
    pipeline.context.deliveries.retry(dead.id, datetime.now(UTC), None)
    pipeline.queue.enqueue(dead.id)
    pipeline.drain()
    assert pipeline.deliveries()[0].state == "sent" and len(receiver.events) == 1


def test_pipeline_smpp_undelivered_receipt_marks_the_message_undelivered(
    pipeline: Pipeline, db: Database, smsc: Smsc
) -> None:
    smsc.receipt_stat = "UNDELIV"
    make_call(db)
    pipeline.run()
    assert wait_for(lambda: pipeline.deliveries(channel="sms")[0].state == "undelivered")
    (delivery,) = pipeline.deliveries(channel="sms")
    assert delivery.last_error == "Оператор: UNDELIV" and delivery.delivered_at is None


def test_pipeline_receipt_arriving_before_the_next_parts_response_is_kept(
    pipeline: Pipeline, db: Database, smsc: Smsc
) -> None:
    # the first part's receipt comes before the second part is answered, so before the send
    # is recorded: it must neither block the session nor be dropped as unknown
    smsc.receipt_delay = 0.0
    make_call(db)
    pipeline.run()
    assert len(smsc.submitted) == 2
    assert wait_for(lambda: pipeline.deliveries(channel="sms")[0].state == "delivered", 15)
    (delivery,) = pipeline.deliveries(channel="sms")
    assert delivery.attempts == 1


@pytest.mark.parametrize(("recorded", "answer"), [(True, Status.OK), (False, 0x64)])
def test_pipeline_smpp_receipt_acknowledged_only_once_recorded(
    smsc: Smsc, recorded: bool, answer: int
) -> None:
    # a receipt that could not be recorded (database down) is refused with ESME_RX_T_APPN,
    # so that the SMS center delivers it again instead of it being lost
    seen: list[tuple[str, str]] = []

    def sink(message_id: str, stat: str, _: datetime) -> str | None:
        seen.append((message_id, stat))
        if not recorded:
            raise RuntimeError("database unavailable")
        return "delivered"

    gateway = SmppGateway("127.0.0.1", smsc.port, "dispatcher", smsc.password, "POLYCLINIC", sink)
    try:
        (message_id,) = gateway.send("+79161234567", "Test", 7)
        assert wait_for(lambda: len(smsc.receipt_answers) == 1)
    finally:
        gateway.close()
    assert seen == [(message_id, "DELIVRD")]
    assert smsc.receipt_answers == [answer]
