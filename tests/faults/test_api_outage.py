"""The web service (uvicorn, as compose runs it) while its PostgreSQL is stopped: every answer
is a 503 with a Russian message and Retry-After, JSON for the API and a page for the desk,
never a 500 or a dropped connection; after the restart it answers as before."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dispatcher.settings import PROJECT_ROOT
from tests.faults.conftest import PostgresCluster, RedisServer, free_port, wait_for
from tests.test_intake_flow import SAMPLE

pytestmark = pytest.mark.slow


@pytest.fixture
def web(fault_db_url: str, fault_redis: RedisServer, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": fault_db_url,
        "REDIS_URL": fault_redis.url,
        "VAR_DIR": str(tmp_path),
        "QUEUE_NAME": f"intake-{uuid.uuid4().hex[:8]}",
        "EVENTS_STREAM": f"events-{uuid.uuid4().hex[:8]}",
    }
    log = (tmp_path / "web.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "dispatcher.asgi:app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert process.poll() is None, (tmp_path / "web.log").read_text()[-3000:]
        try:
            return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, 60, step=0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _assert_outage_answer(response: httpx.Response, page: bool = False) -> None:
    assert response.status_code == 503, (response.request.url, response.text[:500])
    assert int(response.headers["Retry-After"]) > 0
    if page:
        assert response.headers["content-type"].startswith("text/html")
        assert "Сервис временно недоступен" in response.text
        assert "базой данных" in response.text
    else:
        detail = response.json()["detail"]
        assert "базой данных" in detail and "Повторите" in detail


def test_api_answers_503_json_while_postgres_is_stopped_and_recovers(
    web: str, pg_cluster: PostgresCluster, fault_redis: RedisServer, fault_token: str
) -> None:
    headers = {"Authorization": f"Bearer {fault_token}"}
    client = httpx.Client(base_url=web, timeout=15)
    assert client.get("/api/v1/calls", headers=headers).status_code == 200
    login_page = client.get("/desk/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text)
    assert match is not None
    login_form = {"login": "nobody", "password": "x", "csrf_token": match.group(1)}

    pg_cluster.stop("fast")
    answers: list[int] = []
    try:
        for n in range(10):  # bounded: 10 rounds of every kind of request
            body = {**SAMPLE, "phone": f"+7916555{n:04d}"}
            calls = [
                (
                    client.post,
                    "/api/v1/intake",
                    {"json": body, "headers": {**headers, "Idempotency-Key": f"o-{n}"}},
                ),
                (client.get, "/api/v1/calls", {"headers": headers}),
                (client.get, f"/api/v1/intake/{uuid.uuid4()}", {"headers": headers}),
                (client.get, "/api/v1/calls/1", {"headers": headers}),
                (client.post, "/api/v1/auth/login", {"json": {"login": "a", "password": "b"}}),
            ]
            for method, path, kwargs in calls:
                response = method(path, **kwargs)  # type: ignore[operator]
                _assert_outage_answer(response)
                answers.append(response.status_code)
            page = client.post("/desk/login", data=login_form, headers={"Accept": "text/html"})
            _assert_outage_answer(page, page=True)
            answers.append(page.status_code)
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["redis"] == "ok"
    finally:
        pg_cluster.start()
    assert answers == [503] * 60
    restarted = time.monotonic()
    wait_for(lambda: client.get("/api/v1/calls", headers=headers).status_code == 200, 30)
    print(f"\nPostgreSQL back: the API answered 200 {time.monotonic() - restarted:.1f} s later")
    created = client.post(
        "/api/v1/intake", json=SAMPLE, headers={**headers, "Idempotency-Key": "after-outage"}
    )
    assert created.status_code == 202, created.text

    # Redis down: an intake is still acknowledged (stored, queued when Redis is back)
    fault_redis.stop()
    try:
        stored = client.post(
            "/api/v1/intake",
            json={**SAMPLE, "phone": "+79165550999"},
            headers={**headers, "Idempotency-Key": "redis-down"},
        )
        assert stored.status_code == 202, stored.text
        assert client.get(stored.json()["status_url"], headers=headers).json()["state"] == (
            "queued"
        )
    finally:
        fault_redis.start()
    client.close()
