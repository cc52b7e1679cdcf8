"""The worker on its own Redis and PostgreSQL: it outlives a Redis crash and restart, and a
drain job left behind by a kill -9'd worker is run by the next one without RQ's housekeeping."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dispatcher.app import create_app
from dispatcher.redis_server import connect
from dispatcher.settings import Settings
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from tests.conftest import auth
from tests.faults.conftest import PostgresCluster, RedisServer, ServiceProcess, wait_for
from tests.test_intake_flow import SAMPLE

pytestmark = pytest.mark.slow

RECOVERY_LIMIT = 60.0  # seconds after an outage's end: every acknowledged intake processed
TAKEOVER_LIMIT = 90.0  # seconds after a new worker's start: a dead worker's job is run


@pytest.fixture
def fault_settings(fault_db_url: str, fault_redis: RedisServer, tmp_path: Path) -> Settings:
    return Settings(
        database_url=fault_db_url,
        redis_url=fault_redis.url,
        var_dir=tmp_path,
        queue_name=f"intake-{uuid.uuid4().hex[:8]}",
        events_stream=f"events-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def api(fault_settings: Settings) -> Iterator[TestClient]:
    """The web service on the same stores; its relay loop is off, so only the worker recovers."""
    db = Database(fault_settings.database_url)
    assert fault_settings.redis_url is not None
    app = create_app(fault_settings, db, connect(fault_settings.redis_url), run_relay=False)
    with TestClient(app) as client:
        yield client
    db.dispose()


def _worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "QUEUE_NAME": settings.queue_name,
        "EVENTS_STREAM": settings.events_stream,
        "LOG_LEVEL": "INFO",
    }


def _post(api: TestClient, token: str, n: int) -> str:
    body = {
        **SAMPLE,
        "phone": f"+7916{n:07d}",
        "patient": {**SAMPLE["patient"], "first_name": f"Мария{n}", "last_name": f"Фаултова{n}"},
    }
    response = api.post("/api/v1/intake", json=body, headers=auth(token, f"fault-{n}"))
    assert response.status_code == 202, response.text
    return str(response.json()["intake_id"])


def _queued(db_url: str, ids: list[str]) -> int:
    db = Database(db_url)
    try:
        with db.session() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(tables.Intake)
                    .where(tables.Intake.id.in_(ids), tables.Intake.state == "queued")
                )
                or 0
            )
    finally:
        db.dispose()


def _states(db_url: str, ids: list[str]) -> set[str]:
    db = Database(db_url)
    try:
        with db.session() as session:
            return set(
                session.scalars(select(tables.Intake.state).where(tables.Intake.id.in_(ids)))
            )
    finally:
        db.dispose()


def test_worker_outlives_a_redis_crash_and_runs_intakes_from_before_during_and_after(
    api: TestClient,
    fault_settings: Settings,
    fault_redis: RedisServer,
    fault_token: str,
    start_worker: Callable[..., ServiceProcess],
) -> None:
    url = fault_settings.database_url
    worker = start_worker(_worker_env(fault_settings))
    warm = [_post(api, fault_token, n) for n in range(2)]
    wait_for(lambda: _queued(url, warm) == 0, 90)

    # frozen worker, three intakes in the queue, then Redis crashes and loses them all
    os.kill(worker.process.pid, signal.SIGSTOP)
    before = [_post(api, fault_token, n) for n in range(10, 13)]
    fault_redis.stop()
    os.kill(worker.process.pid, signal.SIGCONT)
    during = [_post(api, fault_token, n) for n in range(20, 23)]  # stored, 202, no queue
    time.sleep(3)  # the worker meets the outage
    assert worker.alive()
    fault_redis.start()
    after = [_post(api, fault_token, n) for n in range(30, 33)]

    everything = before + during + after
    took = wait_for(lambda: _queued(url, everything) == 0, RECOVERY_LIMIT, step=0.25)
    print(f"\nRedis crash (keys lost): all intakes processed {took:.1f} s after the restart")
    assert _states(url, everything) <= {"accepted", "rejected", "emergency"}
    assert worker.alive(), worker.log()[-3000:]
    log = worker.log()
    assert "unhandled exception, quitting" not in log
    assert "could not connect to Redis instance" not in log  # RQ's per-retry lines hidden
    outage_lines = [line for line in log.splitlines() if "Redis unavailable" in line]
    assert 1 <= len(outage_lines) <= 3, outage_lines  # once per loop, not once per retry
    assert "9160000010" not in log  # phones never reach the logs in clear


def test_jobs_of_a_killed_worker_are_run_by_the_next_one(
    api: TestClient,
    fault_settings: Settings,
    fault_token: str,
    start_worker: Callable[..., ServiceProcess],
) -> None:
    url = fault_settings.database_url
    env = _worker_env(fault_settings)
    first = start_worker(env)
    warm = _post(api, fault_token, 1)
    wait_for(lambda: _queued(url, [warm]) == 0, 90)

    # the first worker takes an intake and is killed inside its transaction: the test holds
    # the calls table against writes (reads go on), so the drain job waits in RQ's started
    # registry, the intake claimed, when the kill comes
    os.kill(first.process.pid, signal.SIGSTOP)
    held = _post(api, fault_token, 2)
    lock = psycopg.connect(url)
    lock.execute("LOCK TABLE calls IN EXCLUSIVE MODE")
    os.kill(first.process.pid, signal.SIGCONT)
    assert fault_settings.redis_url is not None
    client = redis.Redis.from_url(fault_settings.redis_url)
    started_key = f"rq:wip:{fault_settings.queue_name}"

    def holds_it() -> bool:
        entries = cast(list[bytes], client.zrange(started_key, 0, -1))
        claimed = lock.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE a.datname = current_database() AND l.granted AND l.mode = 'RowShareLock' "
            "AND l.relation = 'intakes'::regclass"
        ).fetchone()
        return any(e.startswith(b"intake-drain-") for e in entries) and bool(claimed and claimed[0])

    wait_for(holds_it, 20)
    pid = first.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert children == []  # no scheduler process that could outlive the worker
    first.kill()
    lock.rollback()
    lock.close()

    # a drain job is taken into the intermediate list by a worker that dies before starting
    # it (what a BLMOVE leaves when the worker is killed right after it)
    taken = _post(api, fault_token, 3)
    queue_key = f"rq:queue:{fault_settings.queue_name}"
    moved = cast(
        bytes | None, client.lmove(queue_key, f"{queue_key}:intermediate", "LEFT", "RIGHT")
    )
    assert moved is not None and moved.startswith(b"intake-drain-")
    time.sleep(1)
    assert _queued(url, [held, taken]) == 2  # nobody runs them now

    lock_key = f"rq:scheduler-lock:{fault_settings.queue_name}"
    dead_holder = client.get(lock_key)
    assert dead_holder is not None  # the killed worker's scheduler lock, for another minute

    second = start_worker(env)
    took = wait_for(lambda: _queued(url, [held, taken]) == 0, TAKEOVER_LIMIT, step=0.25)
    print(f"\nkill -9 mid-job: the next worker ran the stranded jobs {took:.1f} s after its start")
    # the scheduled retries are the new worker's: no scheduler outlives its worker
    wait_for(lambda: client.get(lock_key) not in {None, dead_holder}, 15)
    assert _states(url, [held, taken]) <= {"accepted", "rejected", "emergency"}
    # the dead worker's jobs are given back and run (the first drain may have taken both)
    wait_for(lambda: client.llen(f"{queue_key}:intermediate") == 0, 15)
    wait_for(lambda: client.zcard(started_key) == 0, 15)
    assert second.alive()
    client.close()


def test_worker_waits_out_a_postgres_outage(
    api: TestClient,
    fault_settings: Settings,
    fault_token: str,
    pg_cluster: PostgresCluster,
    start_worker: Callable[..., ServiceProcess],
) -> None:
    url = fault_settings.database_url
    worker = start_worker(_worker_env(fault_settings))
    warm = _post(api, fault_token, 40)
    wait_for(lambda: _queued(url, [warm]) == 0, 90)

    os.kill(worker.process.pid, signal.SIGSTOP)
    queued = [_post(api, fault_token, n) for n in range(41, 45)]  # in Redis, not yet run
    pg_cluster.stop("fast")
    os.kill(worker.process.pid, signal.SIGCONT)
    try:
        time.sleep(6)  # the worker meets the outage with jobs in hand
        assert worker.alive()
    finally:
        pg_cluster.start()
    took = wait_for(lambda: _queued(url, queued) == 0, RECOVERY_LIMIT, step=0.25)
    print(f"\nPostgreSQL stopped 6 s: the queued intakes were processed {took:.1f} s after")
    assert _states(url, queued) <= {"accepted", "rejected", "emergency"}
    assert worker.alive()
    log = worker.log()
    assert len([line for line in log.splitlines() if "database unavailable" in line]) == 1
    assert "unhandled exception, quitting" not in log
