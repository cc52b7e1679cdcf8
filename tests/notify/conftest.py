"""Fixtures of the notification tests: a local SMS center, a webhook receiver, the pipeline."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import redis
import uvicorn
from rq import SimpleWorker
from sqlalchemy import delete, select

from dispatcher.app import create_app
from dispatcher.notify import jobs, targets, webhooks
from dispatcher.notify.events import EventConsumer
from dispatcher.notify.sms import SmppGateway
from dispatcher.services import accounts
from dispatcher.services.events import OutboxRelay, emit
from dispatcher.services.lifecycle import status_event
from dispatcher.settings import Settings
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import TelegramUser
from dispatcher.storage.calls import add_channel, add_history, next_call_number
from dispatcher.storage.database import Database
from dispatcher.storage.notify_tables import NotifyDelivery, NotifyPreference
from intake_core.status import CallStatus
from tests.conftest import DEMO_MO
from tests.notify.receiver import Receiver
from tests.notify.smsc import Smsc

PHONE = "+79161234567"
COMPLAINT = "Температура 38,5, сильный кашель, боль в горле"
# A Wednesday morning in Moscow: the demo doctors work, no quiet hours hold the SMS.
WORKDAY = datetime(2026, 3, 4, 7, 30, tzinfo=UTC)
# the receivers here listen on loopback over http: the tests allow it as an operator would
LOOPBACK_ALLOWED = "127.0.0.1"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings with the local receivers allowed as webhook targets."""
    return settings.model_copy(update={"webhook_allowed_targets": LOOPBACK_ALLOWED})


@pytest.fixture(autouse=True)
def _no_preferences(db: Database) -> None:
    """Preferences are keyed by phone, not by MO: clear them between tests."""
    with db.session() as session:
        session.execute(delete(NotifyPreference))


@pytest.fixture
def bot_chats(db: Database) -> Iterator[Callable[..., None]]:
    """Adds the messenger bots' users (chat id = user id, as in a private chat); removed after."""
    added: list[int] = []

    def add(chat_id: int, phone: str | None = PHONE, active: bool = True) -> None:
        with db.session() as session:
            session.add(
                TelegramUser(
                    id=chat_id,
                    chat_id=chat_id,
                    phone=phone,
                    active=active,
                    created_at=WORKDAY,
                    updated_at=WORKDAY,
                    blocked_at=None if active else WORKDAY,
                )
            )
        added.append(chat_id)

    yield add
    with db.session() as session:
        session.execute(delete(TelegramUser).where(TelegramUser.id.in_(added)))


@pytest.fixture
def notify_settings(settings: Settings, redis_client: redis.Redis) -> Iterator[Settings]:
    """Settings with their own notify queue and no waiting between retries."""
    copy = settings.model_copy(
        update={
            "notify_queue": f"notify-{uuid.uuid4().hex[:8]}",
            "notify_backoff_base": 0.0,
            "notify_max_attempts": 3,
            "notify_quiet_start": "00:00",
            "notify_quiet_end": "00:00",  # no quiet hours unless a test sets them
        }
    )
    yield copy
    keys = list(redis_client.scan_iter(f"rq:*{copy.notify_queue}*"))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def smsc() -> Iterator[Smsc]:
    server = Smsc()
    yield server
    server.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def live_api(settings: Settings, db: Database, redis_client: redis.Redis) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, for peers that call us back."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    app = create_app(settings, db, redis_client, run_relay=False)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="notify-live-api", daemon=True)
    thread.start()
    assert wait_for(lambda: server.started or not thread.is_alive(), timeout=10)
    assert server.started, "the live API did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def make_call(
    db: Database,
    phone: str | None = PHONE,
    kind: str = "primary",
    source: str = "portal",
    status: CallStatus = CallStatus.NEW,
    now: datetime = WORKDAY,
    channel: tuple[str, str] | None = None,
) -> int:
    """A stored call and its call.created event, as the intake makes them (no NLP needed);
    it came through `channel` (kind, value), a portal request unless told."""
    with db.session() as session:
        mo = session.scalar(
            select(tables.MedicalOrganization).where(tables.MedicalOrganization.code == DEMO_MO)
        )
        assert mo is not None
        row = tables.CallRow(
            number=next_call_number(session),
            mo_id=mo.id,
            source=source,
            kind=kind,
            status=status.value,
            last_name="Иванова",
            first_name="Мария",
            birth_date=date(2015, 3, 2),
            phone=phone,
            address={"raw": "Химки, ул. Молодежная, д. 63, кв. 54"},
            complaints={"raw": COMPLAINT, "symptoms": ["fever", "cough"]},
            diagnoses=[],
            pending_reasons=[],
            planned_date=now.date(),
            created_at=now,
            received_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        add_history(session, row.id, now, "test", "create", None, status, None)
        kind_value = channel or ("portal_request", f"req-{row.number}")
        add_channel(session, row.id, *kind_value, now)
        emit(session, "call.created", status_event(row, DEMO_MO, "create", None, "test", None, now))
        return row.id


def subscribe(
    db: Database, url: str, own_calls_only: bool = False, allowed: str = LOOPBACK_ALLOWED
) -> tuple[int, str]:
    """A client system with the `webhooks` scope and its subscription; returns (id, secret)."""
    with db.session() as session:
        token = accounts.create_token(session, "МИС", ["webhooks"], [DEMO_MO])
        digest = accounts.hash_token(token)
        query = select(tables.ApiClient).where(tables.ApiClient.token_hash == digest)
        client = session.scalar(query)
        assert client is not None
        subscription, secret = webhooks.subscribe(
            session,
            client.id,
            url,
            [],
            own_calls_only,
            datetime.now(UTC),
            targets.TargetPolicy.parse(allowed),
        )
        return subscription.id, secret


class Clock:
    """The pipeline's time: a fixed working morning until a test sets `now` to another moment."""

    def __init__(self) -> None:
        self.now = WORKDAY

    def __call__(self) -> datetime:
        return self.now


class Pipeline:
    """Outbox → stream → consumer → RQ → a real worker → the SMS center and the subscriber."""

    def __init__(self, settings: Settings, db: Database, client: redis.Redis, smsc: Smsc) -> None:
        self.settings = settings
        self.db = db
        self.client = client
        self.clock = Clock()
        self.relay = OutboxRelay(db, client, settings.events_stream, 1000)
        self.context = jobs.NotifyContext.build(settings, db, None, self.clock)
        self.sms = SmppGateway(
            "127.0.0.1",
            smsc.port,
            settings.smpp_system_id,
            smsc.password,
            "POLYCLINIC",
            self.context.deliveries.receipt,
            timeout=3.0,
        )
        self.context.sms = self.sms
        jobs.install(self.context)
        self.queue = jobs.NotifyQueue(client, settings.notify_queue)
        self.consumer = EventConsumer(
            db,
            client,
            settings.events_stream,
            settings.notify_group,
            self.queue,
            self.context.deliveries,
            consumer="test",
            clock=self.clock,
        )

    def consume(self) -> int:
        self.relay.relay_pending()
        total = 0
        while True:
            result = self.consumer.consume(block_ms=10)
            total += result.events
            if not result.events:
                return total

    def drain(self) -> None:
        SimpleWorker([self.settings.notify_queue], connection=self.client).work(
            burst=True, logging_level="WARNING"
        )

    def run(self) -> None:
        self.consume()
        self.drain()
        while self.consumer.sweep():  # retries due now (backoff 0 in tests)
            self.drain()

    def deliveries(self, **where: Any) -> list[NotifyDelivery]:
        with self.db.session() as session:
            query = select(NotifyDelivery).order_by(NotifyDelivery.id)
            for name, value in where.items():
                query = query.where(getattr(NotifyDelivery, name) == value)
            return list(session.scalars(query))

    def close(self) -> None:
        self.sms.close()
        self.context.webhooks.close()
        jobs.install(None)


@pytest.fixture
def pipeline(
    notify_settings: Settings, db: Database, redis_client: redis.Redis, smsc: Smsc
) -> Iterator[Pipeline]:
    built = Pipeline(notify_settings, db, redis_client, smsc)
    yield built
    built.close()


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
