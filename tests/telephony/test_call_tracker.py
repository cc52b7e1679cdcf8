"""The tracker on hand-fed AMI messages: broken input is logged and skipped, never fatal."""

from __future__ import annotations

import logging

import pytest

from dispatcher.phone.events import AgentAnswered, CallAbandoned, CallRinging
from telephony.message import AmiMessage
from telephony.phone_call import PhoneCallState, interface_of
from telephony.tracker import CallTracker
from tests.telephony.harness import RecordingSink

CALLER = [
    ("Channel", "PJSIP/trunk-00000000"),
    ("CallerIDNum", "+79161234567"),
    ("Uniqueid", "1795354378.0"),
    ("Linkedid", "1795354378.0"),
]
AGENT = [
    ("DestChannel", "PJSIP/101-00000001"),
    ("Interface", "PJSIP/101"),
    ("MemberName", "Иванова Анна"),
    ("HoldTime", "3"),
]


def event(name: str, *fields: tuple[str, str]) -> AmiMessage:
    return AmiMessage((("Event", name), *fields))


async def test_tracker_skips_event_when_required_field_is_missing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = RecordingSink()
    tracker = CallTracker(sink)
    await tracker.feed(event("Newchannel", *CALLER))

    await tracker.feed(event("AgentConnect", ("Linkedid", "1795354378.0")))  # no Interface
    await tracker.feed(event("Hangup"))
    await tracker.feed(event("NoSuchEvent", ("Foo", "bar")))
    await tracker.feed(AmiMessage(()))

    assert [type(e) for e in sink.events] == [CallRinging]
    assert tracker.calls["1795354378.0"].state == PhoneCallState.RINGING
    assert "Interface" in caplog.text


async def test_tracker_refuses_answer_when_call_was_already_abandoned() -> None:
    sink = RecordingSink()
    tracker = CallTracker(sink)
    await tracker.feed(event("Newchannel", *CALLER))
    await tracker.feed(event("QueueCallerJoin", *CALLER, ("Queue", "polyclinic")))
    await tracker.feed(event("QueueCallerAbandon", *CALLER, ("HoldTime", "18")))

    await tracker.feed(event("AgentConnect", *CALLER, *AGENT))

    assert [type(e) for e in sink.events] == [CallRinging, CallAbandoned]
    assert tracker.calls["1795354378.0"].state == PhoneCallState.ABANDONED


async def test_tracker_masks_phone_in_logs_when_number_is_unreadable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = RecordingSink()
    tracker = CallTracker(sink)
    caplog.set_level(logging.INFO)
    broken = [(k, "+7999123456789" if k == "CallerIDNum" else v) for k, v in CALLER]

    await tracker.feed(event("Newchannel", *broken))

    assert sink.events[0] == CallRinging(
        linkedid="1795354378.0",
        phone=None,
        direction=sink.events[0].direction,  # type: ignore[union-attr]
        at=sink.events[0].at,  # type: ignore[union-attr]
        caller_raw="+7999123456789",  # kept as written; only the logs mask it
    )
    assert "+7999123456789" not in caplog.text
    assert "+799***6789" in caplog.text


async def test_tracker_pops_card_when_newchannel_was_missed() -> None:
    sink = RecordingSink()
    tracker = CallTracker(sink)

    await tracker.feed(event("AgentConnect", *CALLER, *AGENT))

    assert [type(e) for e in sink.events] == [CallRinging, AgentAnswered]
    assert sink.events[1].phone == "+79161234567"


async def test_tracker_keeps_going_when_sink_fails() -> None:
    class BrokenSink(RecordingSink):
        async def call_ringing(self, event: CallRinging) -> None:
            raise RuntimeError("desk is down")

    sink = BrokenSink()
    tracker = CallTracker(sink)

    await tracker.feed(event("Newchannel", *CALLER))
    await tracker.feed(event("AgentConnect", *CALLER, *AGENT))

    assert [type(e) for e in sink.events] == [AgentAnswered]


@pytest.mark.parametrize(
    ("channel", "interface"),
    [
        ("PJSIP/101-00000001", "PJSIP/101"),
        ("PJSIP/trunk-0000001c", "PJSIP/trunk"),
        ("PJSIP/101", "PJSIP/101"),
    ],
)
def test_interface_of_strips_channel_suffix(channel: str, interface: str) -> None:
    assert interface_of(channel) == interface
