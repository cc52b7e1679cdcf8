"""Shared fixtures: real PostgreSQL and SQLite, a real Redis (or an embedded one), the NLP."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from rq import SimpleWorker
from sqlalchemy import delete

if TYPE_CHECKING:
    from dispatcher.nlp_analyzer import NlpAnalyzer

from dispatcher import jobs
from dispatcher.app import create_app
from dispatcher.redis_server import EmbeddedRedis
from dispatcher.services import accounts
from dispatcher.services.events import OutboxRelay
from dispatcher.services.intake_processor import IntakeProcessor
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import PROJECT_ROOT, Settings
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade
from dispatcher.storage.references import MoDirectory

ADMIN_PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
DEMO_DIR = PROJECT_ROOT / "demo"
DEMO_MO = "DEMO-KHIMKI"


def _postgres_available() -> bool:
    try:
        with psycopg.connect(ADMIN_PG_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the real PostgreSQL server, dropped at the end of the session."""
    if not _postgres_available():
        message = f"PostgreSQL is not reachable at {ADMIN_PG_URL}: PostgreSQL tests skipped"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    name = f"hv_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_PG_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def migrated_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    upgrade(url)
    return url


_TABLES_IN_DELETE_ORDER = (
    tables.OutboxEvent,
    tables.CallHistory,
    tables.CallChannel,
    tables.Intake,
    tables.CallRow,
    tables.Counter,
    tables.ApiClient,
    tables.User,
    tables.PatientRecord,
    tables.Doctor,
    tables.DistrictStreet,
    tables.District,
    tables.Department,
    tables.MedicalOrganization,
)


@pytest.fixture
def db(migrated_url: str) -> Iterator[Database]:
    """An empty schema with the demo MO loaded."""
    database = Database(migrated_url)
    with database.session() as session:
        for table in _TABLES_IN_DELETE_ORDER:
            session.execute(delete(table))
    with database.session() as session:
        import_directory(session, DEMO_DIR)
    yield database
    database.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The machine's Redis when reachable, else an embedded one."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1) as probe:
            probe.ping()
        yield url
        return
    except redis.RedisError:
        pass
    embedded = EmbeddedRedis(tmp_path_factory.mktemp("redis"), _free_port())
    yield embedded.url
    embedded.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """The shared Redis; tests use their own key names and never flush what others use."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def analyzer() -> NlpAnalyzer:
    from dispatcher.nlp_analyzer import NlpAnalyzer

    return NlpAnalyzer()


@pytest.fixture
def settings(
    migrated_url: str, redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[Settings]:
    """Settings of one test: its own queue and event stream names on the shared Redis."""
    settings = Settings(
        database_url=migrated_url,
        redis_url=redis_url,
        var_dir=tmp_path,
        queue_name=f"intake-{uuid.uuid4().hex[:8]}",
        events_stream=f"events-{uuid.uuid4().hex[:8]}",
        desk_control_channel=f"desk-control-{uuid.uuid4().hex[:8]}",
        # the in-process test client shares the interpreter with the test driving it: its
        # event loop runs late because the test computes, not because the service is full
        intake_max_lag=3600,
    )
    yield settings
    keys = list(redis_client.scan_iter(f"rq:*{settings.queue_name}*"))
    keys += [settings.events_stream]
    redis_client.delete(*keys)


@pytest.fixture
def processor(db: Database, analyzer: NlpAnalyzer) -> IntakeProcessor:
    return IntakeProcessor(db, analyzer, MoDirectory())


@pytest.fixture
def client(settings: Settings, db: Database, redis_client: redis.Redis) -> Iterator[TestClient]:
    app = create_app(settings, db, redis_client, run_relay=False)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def intake_token(db: Database) -> str:
    with db.session() as session:
        return accounts.create_token(session, "portal", ["intake", "calls:read"], [DEMO_MO])


@pytest.fixture
def operator_token(db: Database) -> str:
    with db.session() as session:
        user = accounts.create_user(
            session, "operator1", "secret-pass-1", "dispatcher", DEMO_MO, "Оператор Первый"
        )
        return accounts.create_token(
            session, "session:operator1", ["calls:read", "calls:write"], [DEMO_MO], user=user
        )


class WorkerRunner:
    """Runs a real RQ worker in burst mode over the test queue."""

    def __init__(
        self, settings: Settings, db: Database, client: redis.Redis, analyzer: NlpAnalyzer
    ):
        self.settings = settings
        self.client = client
        relay = OutboxRelay(db, client, settings.events_stream, 1000)
        jobs.install(jobs.JobContext(IntakeProcessor(db, analyzer, MoDirectory()), relay))

    def drain(self) -> None:
        worker = SimpleWorker([self.settings.queue_name], connection=self.client)
        worker.work(burst=True)


@pytest.fixture
def worker(
    settings: Settings, db: Database, redis_client: redis.Redis, analyzer: NlpAnalyzer
) -> WorkerRunner:
    return WorkerRunner(settings, db, redis_client, analyzer)


def auth(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers
