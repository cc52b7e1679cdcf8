"""The AMI manager against the fake server: login, backoff, drops, silence, resync, actions."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from pydantic import SecretStr, ValidationError

from dispatcher.phone.events import AgentAnswered, CallEnded, CallRinging, EndReason
from intake_core.phones import InvalidPhone
from telephony.manager import AmiManager, ConnectionState
from telephony.phone_call import PhoneCallState
from telephony.session import AmiDisconnected
from telephony.settings import ListenerSettings, TelephonySettings
from telephony.tracker import CallTracker
from tests.telephony.ami_server import FakeAmiServer
from tests.telephony.harness import RecordingSink, RunManager, eventually, fast_settings

ACTIONS_CALL = "1795354503.29"  # +79057778899, answered by 101 while actions.ami was recorded


async def test_manager_logs_in_and_resyncs_when_secret_is_right(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    manager, _sink = await run_manager()

    login = (await ami_server.wait_for("Login"))[0]
    assert (login.get("Username"), login.get("Secret"), login.get("Events")) == (
        "intake",
        "intake-secret",
        "on",
    )
    assert manager.state == ConnectionState.READY
    assert [a.get("Action") for a in ami_server.received[1:3]] == [
        "QueueStatus",
        "CoreShowChannels",
    ]


async def test_manager_retries_with_growing_backoff_when_login_fails(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    manager, _sink = await run_manager(wait_ready=False, ami_secret=SecretStr("wrong-secret"))

    attempts = await ami_server.wait_for("Login", count=4)

    gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert gaps[0] < gaps[1] < gaps[2]
    assert not manager.ready.is_set()
    assert manager.last_error is not None
    assert "Authentication failed" in manager.last_error
    assert ami_server.logged_in == []


async def test_manager_reconnects_when_server_drops_connection(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    manager, _sink = await run_manager()

    await ami_server.drop()

    await eventually(lambda: manager.sessions == 2 and manager.ready.is_set(), within=3)
    assert len(ami_server.logged_in) == 2


async def test_manager_reconnects_when_server_goes_silent(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    manager, _sink = await run_manager()  # ping every 0.1 s, answer due within 0.2 s
    await ami_server.wait_for("Ping")
    loop = asyncio.get_running_loop()
    silent_since = loop.time()

    ami_server.go_silent()

    await eventually(lambda: manager.sessions == 2 and manager.ready.is_set(), within=3)
    assert loop.time() - silent_since < 1.5
    assert ami_server.logged_in == [1, 2]


def test_settings_detect_silent_pbx_within_15_seconds_by_default() -> None:
    settings = TelephonySettings(_env_file=None)

    assert settings.ping_interval + settings.ping_deadline <= 15
    with pytest.raises(ValidationError):
        TelephonySettings(_env_file=None, ping_interval=10, ping_deadline=10)


def test_settings_refuse_test_secret_when_in_production() -> None:
    production = {
        "APP_ENV": "production",
        "secret_key": "s" * 40,
        "database_url": "postgresql://dispatcher@127.0.0.1/dispatcher",
        "redis_url": "redis://127.0.0.1:6379/0",
    }
    with pytest.raises(ValidationError, match="TELEPHONY_AMI_SECRET"):
        ListenerSettings.model_validate(
            {**production, "telephony": TelephonySettings(ami_secret=SecretStr("intake-secret"))}
        )


async def test_manager_restores_answered_call_when_started_mid_call(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    ami_server.snapshot(queue_status="act-qs-busy", channels="act-channels")

    manager, sink = await run_manager()

    call = manager.tracker.calls[ACTIONS_CALL]
    assert call.state == PhoneCallState.ANSWERED
    assert (call.phone, call.agent_interface, call.agent_name, call.agent_channel) == (
        "+79057778899",
        "PJSIP/101",
        "Иванова Анна",
        "PJSIP/101-0000001e",
    )
    ringing, answered = sink.events
    assert isinstance(ringing, CallRinging) and ringing.restored
    assert isinstance(answered, AgentAnswered) and answered.restored
    assert answered.agent_name == "Иванова Анна"


async def test_manager_restores_call_when_reconnecting_mid_call(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    # First connection: the call rings the agents, then the PBX link drops; the agent
    # answers while we are away; the second connection's lists show the bridged call.
    before = ami_server.play("actions", end=3.2, answer_actions=False)
    manager, sink = await run_manager()
    await eventually(before.done.is_set)
    await eventually(
        lambda: (
            ACTIONS_CALL in manager.tracker.calls
            and manager.tracker.calls[ACTIONS_CALL].state == PhoneCallState.AGENTS_RINGING
        )
    )
    ami_server.snapshot(queue_status="act-qs-busy", channels="act-channels")
    ami_server.play("actions", start=7.2, end=17.0, answer_actions=False)

    await ami_server.drop()

    await eventually(lambda: bool(sink.of(AgentAnswered)), within=3)
    answered = sink.of(AgentAnswered)[0]
    assert (answered.linkedid, answered.agent_interface, answered.agent_name) == (
        ACTIONS_CALL,
        "PJSIP/101",
        "Иванова Анна",
    )
    assert answered.restored
    await eventually(lambda: any(e.linkedid == ACTIONS_CALL for e in sink.of(CallEnded)))
    ended = next(e for e in sink.of(CallEnded) if e.linkedid == ACTIONS_CALL)
    assert (ended.reason, ended.talk_seconds) == (EndReason.CALLER, 10)
    assert [e.linkedid for e in sink.of(CallRinging)].count(ACTIONS_CALL) == 1


async def test_session_keeps_cyrillic_when_utf8_is_split_across_reads(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    ami_server.split_multibyte = True
    ami_server.play("answered_call")

    _manager, sink = await run_manager()

    await eventually(lambda: bool(sink.of(AgentAnswered)))
    assert sink.of(AgentAnswered)[0].agent_name == "Иванова Анна"


async def test_manager_reports_failure_when_pbx_refuses_originate(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    ami_server.lists["Originate"] = ami_server.actions.replies("act-orig-sync-fail")
    manager, _sink = await run_manager()

    result = await manager.originate_callback("PJSIP/199", "89101112233", "7")

    assert (result.request_id, result.success, result.channel) == ("7", False, None)


async def test_manager_refuses_originate_when_number_is_not_callable(
    ami_server: FakeAmiServer, run_manager: RunManager
) -> None:
    manager, _sink = await run_manager()

    with pytest.raises(InvalidPhone):
        await manager.originate_callback("PJSIP/101", "anonymous", "1")
    assert not [a for a in ami_server.received if a.get("Action") == "Originate"]


async def test_manager_refuses_actions_when_not_connected() -> None:
    manager = AmiManager(fast_settings(1), CallTracker(RecordingSink()))

    with pytest.raises(AmiDisconnected):
        await manager.transfer_to_112("PJSIP/101-00000019")
