"""Telephony → desk end to end: the real AMI client against the replay server, the dispatcher's
sink, Redis, and the desk WebSockets of the FastAPI app (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from redis.asyncio import Redis as AsyncRedis
from sqlalchemy import delete, select

from dispatcher.app import create_app
from dispatcher.phone.sink import DeskCallSink
from dispatcher.services import accounts
from dispatcher.settings import PROJECT_ROOT, Settings
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.telephony_tables import CallbackRow, PhoneCallRow
from telephony.commands import CommandReader
from telephony.leader import LeaderLock
from telephony.listener import Listener
from tests.conftest import DEMO_MO, auth
from tests.desk.conftest import PASSWORD, http_login
from tests.telephony.ami_server import FakeAmiServer
from tests.telephony.harness import fast_settings

CALLER = "+79161234567"  # answered_call: answered by PJSIP/101


@dataclass
class Pbx:
    """The replay server and the real listener (sink → DB and Redis) on a loop of their own."""

    loop: asyncio.AbstractEventLoop
    server: FakeAmiServer
    settings: Settings

    def run(self, coro: Coroutine[Any, Any, Any], within: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(within)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """The shared Redis, synchronous (the telephony conftest's own is asyncio)."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def _next_card(ws: Any) -> dict[str, Any]:
    """The next caller card; the shared events channel may carry other tests' notices."""
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message.get("type") == "caller_card":
            return message
        assert "phone" not in message and "patients" not in message


def add_known_caller(db: Database) -> None:
    """No phone calls or call-backs yet, and the registry knows the caller of the recordings."""
    with db.session() as session:
        session.execute(delete(CallbackRow))
        session.execute(delete(PhoneCallRow))
        mo_id = session.scalar(
            select(tables.MedicalOrganization.id).where(tables.MedicalOrganization.code == DEMO_MO)
        )
        session.add(
            tables.PatientRecord(
                mo_id=mo_id,
                last_name="Звонкова",
                first_name="Мария",
                middle_name="Ивановна",
                birth_date=date(1950, 3, 8),
                sex="Ж",
                phone=CALLER,
                address="Химки, ул. Молодежная, д. 12, кв. 5",
            )
        )


@pytest.fixture
def link_settings(settings: Settings) -> Settings:
    """Per-test card channel and command stream on the shared Redis."""
    tag = uuid.uuid4().hex[:8]
    return settings.model_copy(
        update={
            "phone_cards_channel": f"test-cards-{tag}",
            "telephony_commands_stream": f"test-telephony-commands-{tag}",
            "callback_max_attempts": 2,
        }
    )


@pytest.fixture
def desk(link_settings: Settings, db: Database, redis_client: redis.Redis) -> Iterator[TestClient]:
    with db.session() as session:
        for login, interface in (("agent101", "PJSIP/101"), ("agent102", "PJSIP/102")):
            accounts.create_user(
                session, login, PASSWORD, "agent", DEMO_MO, f"Агент {login}", interface
            )
    add_known_caller(db)
    app = create_app(link_settings, db, redis_client, run_relay=False)
    with TestClient(app) as client:
        yield client
    redis_client.delete(link_settings.telephony_commands_stream)


@pytest.fixture
def pbx(link_settings: Settings, db: Database, redis_url: str) -> Iterator[Pbx]:
    """Starts the listener lazily: `start()` after the desk sockets are open."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = FakeAmiServer()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
    tasks: list[asyncio.Task[None]] = []
    clients: list[AsyncRedis] = []
    sinks: list[DeskCallSink] = []

    async def start_listener() -> None:
        # nor about a silent PBX: a watchdog that outlasts a loaded machine's stalls keeps the
        # one AMI session that the scenario's events and action responses travel on
        tel = fast_settings(
            server.port, commands_block_ms=100, ping_interval=1.0, ping_deadline=5.0
        )
        client = AsyncRedis.from_url(redis_url)
        clients.append(client)
        # these tests are about the desk link, not failover: a lease that outlives a loaded
        # machine's stalls keeps one listener the leader for the whole test
        lock = LeaderLock(client, tel.lock_key, ttl=10, renew_interval=1, poll_interval=0.05)
        reader = CommandReader(
            client, link_settings.telephony_commands_stream, "test", tel.commands_block_ms
        )
        sink = DeskCallSink(link_settings, db, client)
        sinks.append(sink)
        listener = Listener(tel, sink, lock, commands=reader)
        tasks.append(asyncio.create_task(listener.run()))
        async with asyncio.timeout(5):
            await listener.is_leader.wait()
            assert listener.manager is not None
            await listener.manager.ready.wait()
            await listener.commands_ready.wait()

    pbx = Pbx(loop, server, link_settings)
    pbx.start = lambda: pbx.run(start_listener())  # type: ignore[attr-defined]
    yield pbx

    async def stop() -> None:
        for task in tasks:
            task.cancel()
        # each step bounded: a loaded machine must not turn a slow close into a hung test
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.gather(*tasks, return_exceptions=True)
        for sink in sinks:
            await sink.aclose()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await server.close()
        for client in clients:
            await client.aclose()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


@pytest.fixture
def socket_of(desk: TestClient) -> Iterator[Callable[[str], Any]]:
    """Open a desk WebSocket as a user; all are closed before the app stops."""
    with contextlib.ExitStack() as stack:

        def open_as(login: str) -> Any:
            desk.cookies.clear()
            http_login(desk, login, landing="/desk")
            ws = stack.enter_context(desk.websocket_connect("/desk/ws"))
            assert ws.receive_json()["type"] == "hello"
            return ws

        yield open_as


def _wait(predicate: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def _phone_call(db: Database, linkedid: str) -> PhoneCallRow | None:
    with db.session() as session:
        return session.scalar(select(PhoneCallRow).where(PhoneCallRow.linkedid == linkedid))


def _ended(db: Database, linkedid: str) -> bool:
    row = _phone_call(db, linkedid)
    return row is not None and row.ended_at is not None


def _sentinel(redis_client: redis.Redis, settings: Settings, interface: str) -> str:
    marker = uuid.uuid4().hex
    card = (
        f'{{"type": "caller_card", "interface": "{interface}", "mo_code": "{DEMO_MO}", '
        f'"linkedid": "{marker}"}}'
    )
    redis_client.publish(settings.phone_cards_channel, card)
    return marker


def test_desk_link_pops_card_only_on_answering_agents_socket(
    desk: TestClient,
    socket_of: Callable[[str], Any],
    pbx: Pbx,
    db: Database,
    redis_client: redis.Redis,
) -> None:
    ws101 = socket_of("agent101")
    ws102 = socket_of("agent102")
    pbx.server.play("answered_call")
    pbx.start()  # type: ignore[attr-defined]

    card = _next_card(ws101)

    assert card["type"] == "caller_card"
    assert (card["linkedid"], card["interface"], card["phone"]) == (
        "1795354378.0",
        "PJSIP/101",
        CALLER,
    )
    assert [p["name"] for p in card["patients"]] == ["Звонкова Мария Ивановна"]
    assert card["new_call_url"] == "/desk/phone/1795354378.0/new-call"
    # 102's socket got nothing before a card addressed to it
    marker = _sentinel(redis_client, pbx.settings, "PJSIP/102")
    assert _next_card(ws102)["linkedid"] == marker
    _wait(lambda: _ended(db, "1795354378.0"))
    row = _phone_call(db, "1795354378.0")
    assert row is not None
    assert (row.outcome, row.agent_interface, row.caller, row.hold_seconds) == (
        "answered",
        "PJSIP/101",
        CALLER,
        3,
    )


def test_desk_link_new_call_from_card_keeps_linkedid_and_shows_phone_origin(
    desk: TestClient, socket_of: Callable[[str], Any], pbx: Pbx, db: Database
) -> None:
    ws101 = socket_of("agent101")
    pbx.server.play("answered_call")
    pbx.start()  # type: ignore[attr-defined]
    card = _next_card(ws101)
    # the card goes out before the call's bookkeeping; an agent's click comes seconds later
    _wait(lambda: _phone_call(db, card["linkedid"]) is not None)

    form = desk.get(card["patients"][0]["new_call_url"])

    assert form.status_code == 200
    for value in ("Звонкова", CALLER, "Молодежная", 'name="linkedid" value="1795354378.0"'):
        assert value in form.text
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    saved = desk.post(
        "/desk/calls/new",
        data={
            "csrf_token": csrf,
            "form_id": uuid.uuid4().hex,
            "source": "call_center",
            "kind": "primary",
            "last_name": "Звонкова",
            "first_name": "Мария",
            "middle_name": "Ивановна",
            "birth_date": "08.03.1950",
            "sex": "Ж",
            "phone": CALLER,
            "address": "Химки, ул. Молодежная, д. 12, кв. 5",
            "complaints": "температура 38, кашель",
            "linkedid": "1795354378.0",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    call_id = int(saved.headers["location"].rsplit("call=", 1)[1])
    _wait(lambda: _ended(db, "1795354378.0"))
    row = _phone_call(db, "1795354378.0")
    assert row is not None and row.intake_call_id == call_id
    page = desk.get(f"/desk/calls/{call_id}")
    assert "поступил по телефону" in page.text


def test_desk_link_anonymous_caller_gets_card_without_patient(
    desk: TestClient, socket_of: Callable[[str], Any], pbx: Pbx
) -> None:
    ws102 = socket_of("agent102")
    pbx.server.play("anonymous_call")
    pbx.start()  # type: ignore[attr-defined]

    card = _next_card(ws102)

    assert card["interface"] == "PJSIP/102"
    assert (card["phone"], card["caller_raw"], card["patients"], card["calls"]) == (
        None,
        "anonymous",
        [],
        [],
    )


def test_desk_link_abandoned_call_lands_in_callback_list_and_call_back_originates(
    desk: TestClient, pbx: Pbx, db: Database
) -> None:
    pbx.server.play("abandoned_call")
    pbx.start()  # type: ignore[attr-defined]
    _wait(lambda: _ended(db, "1795354396.4"))
    http_login(desk, "agent101", landing="/desk/callbacks")

    page = desk.get("/desk/callbacks")

    assert page.status_code == 200
    assert "+79261112233" in page.text and "18 с" in page.text and "0 из 2" in page.text
    with db.session() as session:
        entry = session.scalar(select(CallbackRow).where(CallbackRow.linkedid == "1795354396.4"))
        assert entry is not None
        entry_id = entry.id
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    pressed = desk.post(
        f"/desk/callbacks/{entry_id}/call", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert pressed.status_code == 303
    originate = pbx.run(pbx.server.wait_for("Originate"))[0]
    assert (originate.get("Channel"), originate.get("Exten")) == ("PJSIP/101", "89261112233")
    assert originate.get("Variable") == f"C2C_REQUEST={entry_id}"
    assert "1 из 2" in desk.get("/desk/callbacks").text


def test_desk_link_callback_given_up_after_attempts_when_originate_fails(
    desk: TestClient, pbx: Pbx, db: Database
) -> None:
    pbx.server.play("abandoned_call")
    pbx.server.lists["Originate"] = pbx.server.actions.replies("act-orig-fail")
    pbx.start()  # type: ignore[attr-defined]
    _wait(lambda: _ended(db, "1795354396.4"))
    csrf = http_login(desk, "agent101", landing="/desk/callbacks")
    with db.session() as session:
        entry = session.scalar(select(CallbackRow).where(CallbackRow.linkedid == "1795354396.4"))
        assert entry is not None
        entry_id = entry.id

    for attempt in (1, 2):
        desk.post(f"/desk/callbacks/{entry_id}/call", data={"csrf_token": csrf})
        pbx.run(pbx.server.wait_for("Originate", attempt))
        time.sleep(0.2)

    def state() -> str:
        with db.session() as session:
            row = session.get(CallbackRow, entry_id)
            return row.state if row else ""

    _wait(lambda: state() == "given_up")
    assert "+79261112233" not in desk.get("/desk/callbacks").text


def test_desk_link_phone_calls_api_contract(desk: TestClient, pbx: Pbx, db: Database) -> None:
    pbx.server.play("two_agents")
    pbx.start()  # type: ignore[attr-defined]
    _wait(lambda: len(ids := _two_agents_ids(db)) == 2 and all(_ended(db, i) for i in ids))
    with db.session() as session:
        token = accounts.create_token(session, "crm", ["phone-calls"], [])
        other = accounts.create_token(session, "portal", ["calls:read"], [])

    listed = desk.get("/api/v1/phone-calls", headers=auth(token))

    assert listed.status_code == 200
    body = listed.json()
    assert {c["caller"] for c in body} == {"+79031234567", "+74722585201"}
    first = next(c for c in body if c["caller"] == "+79031234567")
    for key in (
        "linkedid",
        "direction",
        "caller",
        "caller_raw",
        "outcome",
        "agent_interface",
        "started_at",
        "answered_at",
        "ended_at",
        "intake_call_id",
    ):
        assert key in first
    assert (
        first["direction"],
        first["caller_raw"],
        first["outcome"],
        first["agent_interface"],
    ) == (
        "inbound",
        "89031234567",
        "answered",
        "PJSIP/101",
    )
    assert first["intake_call_id"] is None
    filtered = desk.get(
        "/api/v1/phone-calls",
        params={"agent": "PJSIP/102", "caller": "84722585201"},
        headers=auth(token),
    )
    assert [c["agent_interface"] for c in filtered.json()] == ["PJSIP/102"]
    assert (
        desk.get("/api/v1/phone-calls", params={"outcome": "abandoned"}, headers=auth(token)).json()
        == []
    )
    assert desk.get("/api/v1/phone-calls", headers=auth(other)).status_code == 403
    assert desk.get("/api/v1/phone-calls").status_code == 401


def _two_agents_ids(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(PhoneCallRow.linkedid)))


def test_desk_link_transfer_to_112_sends_blind_transfer_and_records_it(
    desk: TestClient, socket_of: Callable[[str], Any], pbx: Pbx, db: Database
) -> None:
    ws101 = socket_of("agent101")
    csrf = http_login(desk, "agent101", landing="/desk")
    pbx.server.play("emergency_transfer")
    pbx.start()  # type: ignore[attr-defined]
    linkedid = _next_card(ws101)["linkedid"]
    _wait(lambda: _phone_call(db, linkedid) is not None)  # recorded after the card goes out

    pressed = desk.post(f"/desk/phone/{linkedid}/transfer-112", headers={"X-CSRF-Token": csrf})

    assert pressed.status_code == 200, pressed.text
    transfer = pbx.run(pbx.server.wait_for("BlindTransfer"))[0]
    assert (transfer.get("Channel"), transfer.get("Context"), transfer.get("Exten")) == (
        "PJSIP/101-00000019",
        "emergency",
        "112",
    )
    _wait(lambda: _ended(db, linkedid))
    row = _phone_call(db, linkedid)
    assert row is not None
    assert (row.transferred_to, row.outcome) == ("112", "answered")


def test_desk_link_callback_closes_as_reached_when_patient_answers(
    desk: TestClient, pbx: Pbx, db: Database
) -> None:
    with db.session() as session:  # the recorded click-to-call carries C2C_REQUEST=42
        session.add(
            CallbackRow(
                id=42,
                linkedid="test-missed-42",
                phone="+79161234567",
                called_at=datetime.now(UTC),
                wait_seconds=20,
                attempts=0,
                state="open",
            )
        )
    pbx.server.play("click_to_call")
    pbx.start()  # type: ignore[attr-defined]
    csrf = http_login(desk, "agent101", landing="/desk/callbacks")

    desk.post("/desk/callbacks/42/call", data={"csrf_token": csrf})

    originate = pbx.run(pbx.server.wait_for("Originate"))[0]
    assert (originate.get("Channel"), originate.get("Exten")) == ("PJSIP/101", "89161234567")

    def entry() -> tuple[str, int]:
        with db.session() as session:
            row = session.get(CallbackRow, 42)
            return (row.state, row.attempts) if row else ("", 0)

    _wait(lambda: entry()[0] == "reached")
    assert entry() == ("reached", 1)
    outbound = [row for row in _rows(db) if row.direction == "outbound"]
    assert [(r.caller, r.outcome, r.agent_interface) for r in outbound] == [
        ("+79161234567", "answered", "PJSIP/101")
    ]


def test_desk_link_restart_mid_call_resyncs_and_keeps_the_call(
    desk: TestClient, pbx: Pbx, db: Database
) -> None:
    # the call rings, the PBX link drops, the agent answers meanwhile; the reconnect's lists
    # show the bridged call, then the caller hangs up
    before = pbx.server.play("actions", end=3.2, answer_actions=False)
    pbx.start()  # type: ignore[attr-defined]
    pbx.run(_until(before.done))
    _wait(lambda: _phone_call(db, ACTIONS_CALL) is not None)
    pbx.server.snapshot(queue_status="act-qs-busy", channels="act-channels")
    pbx.server.play("actions", start=7.2, end=17.0, answer_actions=False)

    pbx.run(pbx.server.drop())

    _wait(lambda: _ended(db, ACTIONS_CALL))
    rows = [row for row in _rows(db) if row.linkedid == ACTIONS_CALL]
    assert [(r.caller, r.outcome, r.agent_interface, r.end_reason) for r in rows] == [
        ("+79057778899", "answered", "PJSIP/101", "caller")
    ]
    assert rows[0].answered_at is not None


ACTIONS_CALL = "1795354503.29"


async def _until(event: asyncio.Event) -> None:
    async with asyncio.timeout(5):
        await event.wait()


def _rows(db: Database) -> list[PhoneCallRow]:
    with db.session() as session:
        return list(session.scalars(select(PhoneCallRow)))


def test_desk_link_telephony_process_from_environment_pops_card(
    desk: TestClient,
    socket_of: Callable[[str], Any],
    pbx: Pbx,
    db: Database,
    redis_url: str,
) -> None:
    ws101 = socket_of("agent101")
    pbx.server.play("answered_call")
    env = {
        **os.environ,
        "APP_ENV": "test",
        "AMI_HOST": "127.0.0.1",
        "AMI_PORT": str(pbx.server.port),
        "AMI_USER": "intake",
        "AMI_SECRET": "intake-secret",
        "DATABASE_URL": db.url,
        "REDIS_URL": redis_url,
        "PHONE_CARDS_CHANNEL": pbx.settings.phone_cards_channel,
        "TELEPHONY_COMMANDS_STREAM": pbx.settings.telephony_commands_stream,
        "TELEPHONY_PBX_ID": f"test-{uuid.uuid4().hex[:8]}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "telephony"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        card = _next_card(ws101)

        assert (card["linkedid"], card["phone"], card["interface"]) == (
            "1795354378.0",
            CALLER,
            "PJSIP/101",
        )
        _wait(lambda: _ended(db, "1795354378.0"))
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)
    assert CALLER not in errors.decode(), "the listener logged a phone number in clear"


def test_desk_link_call_lost_while_disconnected_unanswered_is_called_back(
    desk: TestClient, pbx: Pbx, db: Database
) -> None:
    # the caller waits in the queue, the PBX link drops, the caller gives up meanwhile: the
    # reconnect's lists no longer show the call
    before = pbx.server.play("abandoned_call", end=4.0, answer_actions=False)
    pbx.start()  # type: ignore[attr-defined]
    pbx.run(_until(before.done))
    _wait(lambda: _phone_call(db, "1795354396.4") is not None)

    pbx.run(pbx.server.drop())

    _wait(lambda: _ended(db, "1795354396.4"))
    row = _phone_call(db, "1795354396.4")
    assert row is not None and (row.outcome, row.end_reason) == ("abandoned", "lost")
    with db.session() as session:
        entry = session.scalar(select(CallbackRow).where(CallbackRow.linkedid == "1795354396.4"))
        assert entry is not None and (entry.phone, entry.state) == ("+79261112233", "open")
