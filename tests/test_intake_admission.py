"""Overload is explicit: above capacity the intake API answers 503 with Retry-After at once and
stores nothing, instead of queueing ever longer latencies; the OpenAPI declares that answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dispatcher.api.admission import Admission
from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from tests.conftest import auth
from tests.test_intake_flow import SAMPLE


class Backlog:
    """The workers' backlog as the admission reads it, set by the test."""

    def __init__(self) -> None:
        self.waiting = 0
        self.reads = 0

    async def __call__(self) -> int:
        self.reads += 1
        return self.waiting


async def test_admission_refuses_past_the_intakes_in_flight() -> None:
    admission = Admission(Backlog(), max_in_flight=2)
    assert admission.enter() and admission.enter()
    assert not admission.enter()  # a third at once: over capacity
    admission.leave()
    assert admission.enter()  # a place came free
    assert admission.shed == 1
    await admission.close()


@pytest.mark.parametrize(
    ("waiting", "admitted"),
    [
        (0, True),  # нет очереди
        (200, True),  # очередь на пределе — ещё принимаем
        (201, False),  # очередь сверх предела — 503
        (5000, False),  # работники стоят давно
    ],
)
async def test_admission_refuses_while_the_workers_backlog_is_past_its_limit(
    waiting: int, admitted: bool
) -> None:
    backlog = Backlog()
    admission = Admission(backlog, max_backlog=200, refresh_every=0)
    assert admission.enter()  # the backlog is read in the background, no request waits for it
    admission.leave()
    backlog.waiting = waiting
    await admission.close()  # the read in flight is done
    admission.enter()  # reads again
    await admission.close()
    assert admission.enter() is admitted
    assert backlog.reads >= 2


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


def test_openapi_declares_the_intake_503_with_retry_after(client: TestClient) -> None:
    post = client.get("/openapi.json").json()["paths"]["/api/v1/intake"]["post"]
    answer = post["responses"]["503"]
    assert "перегружен" in answer["description"]
    assert "Retry-After" in answer["headers"]
