"""Quiet hours: no non-urgent SMS at night in the MO's time zone; it goes in the morning."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dispatcher.notify import preferences
from dispatcher.notify.delivery_state import DeliveryState
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from tests.conftest import DEMO_MO
from tests.notify.conftest import Pipeline, make_call, subscribe, wait_for
from tests.notify.receiver import Receiver
from tests.notify.smsc import Smsc

YEKATERINBURG = ZoneInfo("Asia/Yekaterinburg")  # UTC+5: 23:30 there is 21:30 in Moscow
URGENT_PHONE = "+79161110022"


def _mo_in_yekaterinburg(db: Database, start: str, end: str) -> None:
    with db.session() as session:
        mo = session.scalar(
            select(tables.MedicalOrganization).where(tables.MedicalOrganization.code == DEMO_MO)
        )
        assert mo is not None
        mo.timezone = YEKATERINBURG.key
        preferences.set_quiet_hours(session, DEMO_MO, start, end)


def _all_delivered(pipeline: Pipeline) -> bool:
    states = {d.state for d in pipeline.deliveries(channel="sms")}
    return states == {DeliveryState.DELIVERED.value}


def _local(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=YEKATERINBURG).astimezone(UTC)


def test_quiet_hours_defer_sms_at_night_in_mo_time_zone_and_send_in_the_morning(
    pipeline: Pipeline, db: Database, smsc: Smsc, receiver: Receiver
) -> None:
    _mo_in_yekaterinburg(db, "22:00", "08:00")
    _, receiver.secret = subscribe(db, receiver.url)
    pipeline.clock.now = _local(10, 23, 30)
    make_call(db)
    make_call(db, phone=URGENT_PHONE, kind="urgent")
    pipeline.run()

    # at night only the urgent call's SMS leaves; webhooks know no quiet hours
    assert {s.message.destination_addr for s in smsc.submitted} == {URGENT_PHONE.lstrip("+")}
    assert len(receiver.events) == 2
    (deferred,) = pipeline.deliveries(channel="sms", state=DeliveryState.DEFERRED.value)
    assert deferred.due_at == _local(11, 8, 0)
    assert deferred.attempts == 0  # waiting is not a failed attempt

    pipeline.clock.now = _local(11, 7, 59)
    pipeline.run()
    assert len(smsc.texts()) == 1
    assert pipeline.deliveries(id=deferred.id)[0].state == DeliveryState.DEFERRED.value

    pipeline.clock.now = _local(11, 8, 0)
    pipeline.run()
    texts = smsc.texts()
    assert len(texts) == 2 and texts[1] == deferred.body
    (sent,) = pipeline.deliveries(id=deferred.id)
    assert sent.state in (DeliveryState.SENT.value, DeliveryState.DELIVERED.value)
    assert sent.attempts == 1 and sent.sent_at == _local(11, 8, 0)
    assert len(receiver.events) == 2 and receiver.duplicates == 0


def test_quiet_hours_not_applied_outside_the_window(
    pipeline: Pipeline, db: Database, smsc: Smsc
) -> None:
    _mo_in_yekaterinburg(db, "22:00", "08:00")
    pipeline.clock.now = _local(10, 21, 59)
    make_call(db)
    pipeline.run()
    assert len(smsc.texts()) == 1
    assert pipeline.deliveries(channel="sms")[0].state != DeliveryState.DEFERRED.value


def test_quiet_hours_changed_reschedule_the_held_sms(
    pipeline: Pipeline, db: Database, smsc: Smsc
) -> None:
    _mo_in_yekaterinburg(db, "22:00", "08:00")
    pipeline.clock.now = _local(10, 23, 30)
    make_call(db)
    make_call(db, phone=URGENT_PHONE, kind="routine")
    pipeline.run()
    held = pipeline.deliveries(channel="sms", state=DeliveryState.DEFERRED.value)
    assert len(held) == 2 and {d.due_at for d in held} == {_local(11, 8, 0)}

    # the MO ends its quiet hours earlier: the held SMS go at the new end, not at 08:00
    with db.session() as session:
        moved = preferences.set_quiet_hours(session, DEMO_MO, "22:00", "06:00", _local(10, 23, 40))
    assert moved == 2
    assert {d.due_at for d in pipeline.deliveries(channel="sms")} == {_local(11, 6, 0)}
    pipeline.clock.now = _local(11, 6, 0)
    pipeline.run()
    assert len(smsc.texts()) == 2
    assert wait_for(lambda: _all_delivered(pipeline))  # receipts in before the test ends


def test_quiet_hours_switched_off_release_the_held_sms_at_once(
    pipeline: Pipeline, db: Database, smsc: Smsc
) -> None:
    _mo_in_yekaterinburg(db, "21:00", "09:00")
    pipeline.clock.now = _local(10, 23, 30)
    make_call(db)
    pipeline.run()
    assert smsc.texts() == []
    with db.session() as session:
        preferences.set_quiet_hours(session, DEMO_MO, "00:00", "00:00", _local(10, 23, 45))
    pipeline.clock.now = _local(10, 23, 45)
    pipeline.run()
    assert len(smsc.texts()) == 1
    (sent,) = pipeline.deliveries(channel="sms")
    assert sent.sent_at == _local(10, 23, 45)
    assert wait_for(lambda: _all_delivered(pipeline))
