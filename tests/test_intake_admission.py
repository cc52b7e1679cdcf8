"""Overload is explicit: above capacity the intake API answers 503 with Retry-After at once and
stores nothing, instead of queueing ever longer latencies; the OpenAPI declares that answer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from dispatcher.app import create_app
from dispatcher.services import intake_store
from dispatcher.services.intake_store import Backlog, IntakeStore
from dispatcher.settings import Settings
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.web.admission import Admission
from tests.conftest import auth
from tests.test_intake_flow import SAMPLE


class Workers:
    """The workers' backlog as the admission reads it, set by the test."""

    def __init__(self) -> None:
        self.waiting = Backlog(0, None)
        self.reads = 0

    async def __call__(self) -> Backlog:
        self.reads += 1
        return self.waiting


async def test_admission_refuses_past_the_intakes_in_flight() -> None:
    admission = Admission(Workers(), max_in_flight=2, max_lag=3600)
    assert admission.enter() and admission.enter()
    assert not admission.enter()  # a third at once: over capacity
    admission.leave()
    assert admission.enter()  # a place came free
    assert admission.shed == 1
    await admission.close()


@pytest.mark.parametrize(
    ("waiting", "waited", "admitted"),
    [
        # ждут работника, самый старый ждёт секунд, принимаем ли
        (0, 0.0, True),  # нет очереди
        (6, 30.0, True),  # несколько вызовов пережидают сбой Redis — принимаем
        (150, 0.5, True),  # очередь короткая по времени — принимаем
        (50, 30.0, True),  # полсотни ждут долго — ещё не перегрузка
        (150, 1.5, False),  # очередь старше секунды — 503
        (201, 0.2, False),  # очередь длиннее предела — 503
    ],
)
async def test_admission_refuses_while_the_workers_backlog_is_past_its_limits(
    waiting: int, waited: float, admitted: bool
) -> None:
    workers = Workers()
    admission = Admission(
        workers,
        max_backlog=200,
        max_backlog_age=1.0,
        backlog_floor=100,
        refresh_every=0,
        max_lag=3600,  # the loop's lag is not what this test is about
    )
    assert admission.enter()  # the backlog is read in the background, no request waits for it
    admission.leave()
    oldest = datetime.now(UTC) - timedelta(seconds=waited)
    workers.waiting = Backlog(waiting, oldest if waiting else None)
    await admission.close()  # the read in flight is done
    admission.enter()  # reads again
    await admission.close()
    admission.in_flight = 0
    assert admission.enter() is admitted
    assert workers.reads >= 2


@pytest.fixture
def full_client(
    settings: Settings, db: Database, redis_client: redis.Redis
) -> Iterator[TestClient]:
    """A web process with no room for another intake."""
    app = create_app(settings.model_copy(update={"intake_max_in_flight": 0}), db, redis_client)
    with TestClient(app) as client:
        yield client


def test_intake_over_capacity_gets_503_with_retry_after_and_nothing_is_stored(
    full_client: TestClient, db: Database, intake_token: str
) -> None:
    response = full_client.post("/api/v1/intake", json=SAMPLE, headers=auth(intake_token, "o-1"))
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert "перегружен" in response.json()["detail"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(tables.Intake)) == 0


def test_intake_without_a_token_gets_401_even_over_capacity(full_client: TestClient) -> None:
    response = full_client.post("/api/v1/intake", json=SAMPLE, headers={"Idempotency-Key": "x"})
    assert response.status_code == 401


def test_openapi_declares_the_intake_503_with_retry_after(client: TestClient) -> None:
    post = client.get("/openapi.json").json()["paths"]["/api/v1/intake"]["post"]
    answer = post["responses"]["503"]
    assert "перегружен" in answer["description"]
    assert "Retry-After" in answer["headers"]


@pytest.mark.postgres
@pytest.mark.parametrize("migrated_url", ["postgres"], indirect=True)
async def test_a_burst_of_intakes_shares_the_web_process_connections(
    db: Database, intake_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forty token checks at once open four connections, not forty PostgreSQL backends."""
    opened: list[int] = []
    connect = psycopg.AsyncConnection.connect

    async def counted(*args: Any, **kwargs: Any) -> psycopg.AsyncConnection[Any]:
        opened.append(1)
        return await connect(*args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", counted)
    store = IntakeStore(db, keep=4)
    try:
        found = await asyncio.gather(*(store.principal(intake_token) for _ in range(40)))
    finally:
        await store.close()
    assert all(p is not None for p in found)
    assert len(opened) == 4


async def test_a_token_is_read_once_per_interval_and_a_revoked_one_refused_after_it(
    db: Database, intake_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake_store, "PRINCIPAL_TTL", 0.3)
    store = IntakeStore(db)
    try:
        assert await store.principal(intake_token) is not None
        with db.session() as session:
            session.execute(update(tables.ApiClient).values(revoked=True))
        assert await store.principal(intake_token) is not None  # its check is still fresh
        await asyncio.sleep(0.4)
        assert await store.principal(intake_token) is None
        assert await store.principal("не-токен") is None
    finally:
        await store.close()
