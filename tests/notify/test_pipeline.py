"""Every status change reaches the SMS center and the subscriber exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import redis
from sqlalchemy import select

from bots.ids import to_dialog
from dispatcher.desk.call_channels import DESK_CHANNEL
from dispatcher.notify import preferences
from dispatcher.notify.delivery_state import DeliveryState
from dispatcher.notify.smpp.pdu import Status
from dispatcher.notify.sms import SmppGateway
from dispatcher.notify.templates import IN_MESSENGER, OPTED_OUT
from dispatcher.services import accounts
from dispatcher.services.events import emit
from dispatcher.services.intake import submit
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.storage import tables
from dispatcher.storage.calls import add_channel
from dispatcher.storage.database import Database
from dispatcher.storage.phone_calls import TELEPHONY_CHANNEL
from intake_core.call import CHAT_CHANNEL, ServiceResult
from tests.conftest import DEMO_MO
from tests.notify.conftest import (
    COMPLAINT,
    PHONE,
    WORKDAY,
    Pipeline,
    make_call,
    subscribe,
    wait_for,
)
from tests.notify.receiver import Receiver
from tests.notify.smsc import Smsc

SYSTEM = Actor("Оператор", None)
TELEGRAM_CHAT = 7_770_001
MAX_CHAT = to_dialog(7_770_002)
SENT = "уйдёт"  # the SMS is queued for the SMS center
# How each call reached us: its source and its own channel (kind, value).
CAME_BY = {
    "чат Telegram": ("telegram", (CHAT_CHANNEL, str(TELEGRAM_CHAT))),
    "чат MAX": ("max", (CHAT_CHANNEL, str(MAX_CHAT))),
    "портал": ("portal", ("portal_request", "rpgu-7f3a9c")),
    "телефон": ("call_center", (TELEPHONY_CHANNEL, "1764660900.4711")),
    "регистратура": ("registry", (DESK_CHANNEL, "form-17")),
}


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


def _status_sms(pipeline: Pipeline, db: Database, call_id: int, event: str) -> tuple[str, str]:
    """Moves the call to `event`, plans its messages; the SMS of that event: (state, why)."""
    if event in ("назначен врач", "обслужен"):
        with db.session() as session:
            CallLifecycle(session, SYSTEM).assign(call_id, _doctor(db), None)
    if event == "обслужен":
        with db.session() as session:
            CallLifecycle(session, SYSTEM).serve(call_id, ServiceResult.LEFT_AT_HOME, [], None)
    if event == "отменён":
        with db.session() as session:
            CallLifecycle(session, SYSTEM).cancel(call_id, "Пациент передумал")
    pipeline.consume()
    template = {
        "принят": "accepted",
        "назначен врач": "assigned",
        "обслужен": "served",
        "отменён": "cancelled",
    }[event]
    (sms,) = pipeline.deliveries(channel="sms", template=template)
    assert sms.recipient == PHONE
    if sms.state == DeliveryState.SKIPPED.value:
        return sms.state, sms.last_error or ""
    return sms.state, SENT


# The patients of both chats shared the call's phone with the bots: a call by another channel
# still gets its SMS, since only the chat the call itself came through counts.
@pytest.mark.parametrize(
    ("came_by", "event", "expected"),
    [
        ("чат Telegram", "принят", IN_MESSENGER),
        ("чат Telegram", "назначен врач", IN_MESSENGER),
        ("чат Telegram", "обслужен", IN_MESSENGER),
        ("чат Telegram", "отменён", IN_MESSENGER),
        ("чат MAX", "принят", IN_MESSENGER),
        ("чат MAX", "назначен врач", IN_MESSENGER),
        ("чат MAX", "обслужен", IN_MESSENGER),
        ("чат MAX", "отменён", IN_MESSENGER),
        ("портал", "принят", SENT),
        ("портал", "назначен врач", SENT),
        ("портал", "обслужен", SENT),
        ("портал", "отменён", SENT),
        ("телефон", "принят", SENT),
        ("телефон", "назначен врач", SENT),
        ("телефон", "обслужен", SENT),
        ("телефон", "отменён", SENT),
        ("регистратура", "принят", SENT),
        ("регистратура", "назначен врач", SENT),
        ("регистратура", "обслужен", SENT),
        ("регистратура", "отменён", SENT),
    ],
)
def test_pipeline_status_sms_skipped_only_for_a_call_from_a_messenger_chat(
    pipeline: Pipeline,
    db: Database,
    bot_chats: Callable[..., None],
    came_by: str,
    event: str,
    expected: str,
) -> None:
    bot_chats(TELEGRAM_CHAT)
    bot_chats(MAX_CHAT)
    source, channel = CAME_BY[came_by]
    call_id = make_call(db, source=source, channel=channel)
    state, why = _status_sms(pipeline, db, call_id, event)
    assert why == expected
    assert state == ("skipped" if expected == IN_MESSENGER else "queued")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("чат заблокировал бота", SENT),
        ("«Telegram» из внешней системы, без чата", SENT),
        ("звонок, к вызову присоединена заявка из чата", IN_MESSENGER),
        ("чат, пациент отказался от SMS", IN_MESSENGER),
        ("звонок, пациент отказался от SMS", OPTED_OUT),
    ],
)
def test_pipeline_status_sms_when_the_chat_is_not_the_whole_story(
    pipeline: Pipeline, db: Database, bot_chats: Callable[..., None], case: str, expected: str
) -> None:
    bot_chats(TELEGRAM_CHAT, active=case != "чат заблокировал бота")
    chat = (CHAT_CHANNEL, str(TELEGRAM_CHAT))
    phone_call = (TELEPHONY_CHANNEL, "1764660900.4711")
    if "отказался" in case:
        with db.session() as session:
            preferences.set_sms(session, PHONE, False, "оператор", datetime.now(UTC))
    if case.startswith("«Telegram»"):  # the intake's own id stands for the channel
        call_id = make_call(db, source="telegram", channel=(CHAT_CHANNEL, "intake-4f1c"))
    elif case.startswith("звонок"):
        call_id = make_call(db, source="call_center", channel=phone_call)
    else:
        call_id = make_call(db, source="telegram", channel=chat)
    pipeline.consume()
    if case.startswith("звонок, к вызову"):
        with db.session() as session:
            add_channel(session, call_id, *chat, datetime.now(UTC))
    assert _status_sms(pipeline, db, call_id, "назначен врач")[1] == expected


def test_pipeline_nothing_reaches_the_smsc_for_a_telegram_call_and_the_card_says_why(
    pipeline: Pipeline,
    db: Database,
    smsc: Smsc,
    receiver: Receiver,
    bot_chats: Callable[..., None],
) -> None:
    _, receiver.secret = subscribe(db, receiver.url)
    bot_chats(TELEGRAM_CHAT)
    call_id = make_call(db, source="telegram", channel=(CHAT_CHANNEL, str(TELEGRAM_CHAT)))
    with db.session() as session:
        CallLifecycle(session, SYSTEM).cancel(call_id, "Пациент передумал")
    pipeline.run()
    assert smsc.submitted == []
    assert receiver.statuses() == ["new", "cancelled"]  # the client system still hears it all
    sms = pipeline.deliveries(channel="sms")
    assert {(d.template, d.state, d.last_error) for d in sms} == {
        ("accepted", "skipped", IN_MESSENGER),
        ("cancelled", "skipped", IN_MESSENGER),
    }


@pytest.mark.parametrize(
    ("came_by", "expected"),
    [
        ("чат Telegram", IN_MESSENGER),  # the dialog itself told the chat to dial 103/112
        ("чат MAX", IN_MESSENGER),
        ("портал", SENT),
    ],
)
def test_pipeline_emergency_sms_skipped_for_an_intake_from_a_messenger_chat(
    pipeline: Pipeline,
    db: Database,
    bot_chats: Callable[..., None],
    came_by: str,
    expected: str,
) -> None:
    bot_chats(TELEGRAM_CHAT)
    bot_chats(MAX_CHAT)
    source, (kind, ref) = CAME_BY[came_by]
    with db.session() as session:
        accounts.create_token(session, "бот", ["intake"], [])
        client = session.scalar(select(tables.ApiClient).where(tables.ApiClient.name == "бот"))
        assert client is not None
        client_id = client.id
    payload = {
        "source": source,
        "phone": PHONE,
        "complaints": "Сильная боль в груди",
        "channel_kind": kind,
        "channel_ref": ref,
    }
    submitted = submit(db, client_id, "", "emergency-1", payload, WORKDAY)
    with db.session() as session:
        event = {
            "type": "intake.emergency",
            "intake_id": submitted.intake_id,
            "mo_code": DEMO_MO,
            "at": WORKDAY.isoformat(),
        }
        emit(session, "intake.emergency", event)
    pipeline.consume()
    (sms,) = pipeline.deliveries(channel="sms", template="emergency")
    assert sms.recipient == PHONE
    assert (sms.last_error or SENT) == expected
