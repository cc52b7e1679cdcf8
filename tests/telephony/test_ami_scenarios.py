"""Each recorded call, replayed by the fake AMI server, gives the right typed call events."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from dispatcher.phone.events import (
    AgentAnswered,
    CallAbandoned,
    CallDirection,
    CallEnded,
    CallRinging,
    CallTransferred,
    EndReason,
)
from tests.telephony.ami_server import FakeAmiServer
from tests.telephony.harness import RecordingSink, RunManager


async def _replay(server: FakeAmiServer, run_manager: RunManager, name: str) -> RecordingSink:
    play = server.play(name)
    manager, sink = await run_manager()
    await sink.until(lambda: play.done.is_set() and not manager.tracker.calls)
    return sink


def _kinds(sink: RecordingSink) -> list[str]:
    return [type(e).__name__ for e in sink.events]


async def test_tracker_pops_card_for_agent_101_when_call_is_answered(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    sink = await _replay(ami_server, run_manager, "answered_call")

    assert _kinds(sink) == ["CallRinging", "AgentAnswered", "CallEnded"]
    ringing, answered, ended = sink.events
    assert ringing == CallRinging(
        linkedid="1795354378.0",
        phone="+79161234567",
        direction=CallDirection.INBOUND,
        at=cast(CallRinging, ringing).at,
        caller_raw="+79161234567",
    )
    assert isinstance(answered, AgentAnswered)
    assert answered.linkedid == "1795354378.0"
    assert answered.phone == "+79161234567"
    assert answered.agent_interface == "PJSIP/101"
    assert answered.agent_name == "Иванова Анна"
    assert answered.agent_channel == "PJSIP/101-00000001"
    assert answered.hold_seconds == 3
    assert isinstance(answered.answered_at, datetime)
    assert answered.answered_at.tzinfo is not None
    assert isinstance(ended, CallEnded)
    assert (ended.reason, ended.talk_seconds, ended.agent_interface) == (
        EndReason.CALLER,
        5,
        "PJSIP/101",
    )


async def test_tracker_reports_abandon_with_hold_time_when_caller_gives_up(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    sink = await _replay(ami_server, run_manager, "abandoned_call")

    assert _kinds(sink) == ["CallRinging", "CallAbandoned", "CallEnded"]
    abandoned = sink.of(CallAbandoned)[0]
    assert (abandoned.linkedid, abandoned.phone, abandoned.hold_seconds, abandoned.queue) == (
        "1795354396.4",
        "+79261112233",
        18,
        "polyclinic",
    )
    assert sink.of(CallEnded)[0].reason == EndReason.ABANDONED


async def test_tracker_gives_no_phone_when_caller_is_anonymous(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    sink = await _replay(ami_server, run_manager, "anonymous_call")

    assert _kinds(sink) == ["CallRinging", "AgentAnswered", "CallEnded"]
    answered = sink.of(AgentAnswered)[0]
    assert answered.phone is None
    assert (answered.agent_interface, answered.agent_name) == ("PJSIP/102", "Петрова Мария")
    assert all(getattr(e, "phone", None) is None for e in sink.events)


async def test_tracker_keeps_calls_apart_when_two_agents_answer_overlapping_calls(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    sink = await _replay(ami_server, run_manager, "two_agents")

    answered = {(e.phone, e.agent_interface, e.agent_name) for e in sink.of(AgentAnswered)}
    assert answered == {
        ("+79031234567", "PJSIP/101", "Иванова Анна"),
        ("+74722585201", "PJSIP/102", "Петрова Мария"),
    }
    assert len({e.linkedid for e in sink.of(AgentAnswered)}) == 2
    ended = sink.of(CallEnded)
    assert sorted(e.linkedid for e in ended) == sorted(e.linkedid for e in sink.of(CallRinging))
    assert {e.reason for e in ended} == {EndReason.CALLER}


async def test_manager_originates_click_to_call_with_recorded_fields(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    play = ami_server.play("click_to_call")
    manager, sink = await run_manager()

    result = await manager.originate_callback("PJSIP/101", "+7 916 123-45-67", "42")

    sent = (await ami_server.wait_for("Originate"))[0]
    assert sent.get("Channel") == "PJSIP/101"
    assert sent.get("Context") == "from-agents"
    assert sent.get("Exten") == "89161234567"
    assert sent.get("CallerID") == '"89161234567" <89161234567>'
    assert sent.get("Async") == "true"
    assert sent.all("Variable") == ["C2C_REQUEST=42"]
    assert result.success is True
    assert (result.request_id, result.channel, result.uniqueid, result.reason) == (
        "42",
        "PJSIP/101-00000016",
        "1795354463.22",
        4,
    )
    await sink.until(lambda: play.done.is_set() and not manager.tracker.calls)
    assert _kinds(sink) == ["CallRinging", "AgentAnswered", "CallEnded"]
    ringing, answered, ended = sink.events
    assert isinstance(ringing, CallRinging)
    assert (ringing.linkedid, ringing.phone, ringing.direction, ringing.request_id) == (
        "1795354463.22",
        "+79161234567",
        CallDirection.OUTBOUND,
        "42",
    )
    assert isinstance(answered, AgentAnswered)
    assert (answered.agent_interface, answered.agent_channel) == (
        "PJSIP/101",
        "PJSIP/101-00000016",
    )
    assert isinstance(ended, CallEnded)
    assert ended.reason == EndReason.CALLER  # the patient hung up first


async def test_manager_transfers_to_112_when_agent_presses_the_button(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    play = ami_server.play("emergency_transfer")
    manager, sink = await run_manager()
    await sink.until(lambda: bool(sink.of(AgentAnswered)))

    await manager.transfer_to_112(sink.of(AgentAnswered)[0].agent_channel)

    sent = (await ami_server.wait_for("BlindTransfer"))[0]
    assert (sent.get("Channel"), sent.get("Context"), sent.get("Exten")) == (
        "PJSIP/101-00000019",
        "emergency",
        "112",
    )
    await sink.until(lambda: play.done.is_set() and not manager.tracker.calls)
    assert _kinds(sink) == ["CallRinging", "AgentAnswered", "CallTransferred", "CallEnded"]
    transferred = sink.of(CallTransferred)[0]
    assert (transferred.linkedid, transferred.phone, transferred.exten) == (
        "1795354482.24",
        "+79201234567",
        "112",
    )
    assert transferred.agent_interface == "PJSIP/101"
    assert sink.of(CallEnded)[0].reason == EndReason.TRANSFER
