"""worker.py as shipped: an RQ worker process with preloaded models drains the queue, running
the jobs in its own process (production) or in a forked work horse per job (`--fork`)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from dispatcher.settings import PROJECT_ROOT, Settings
from tests.conftest import auth
from tests.test_intake_flow import SAMPLE


@pytest.mark.slow
@pytest.mark.parametrize("mode", [[], ["--fork"]], ids=["in-process", "fork"])
def test_worker_process_formalizes_queued_intakes(
    client: TestClient, settings: Settings, intake_token: str, mode: list[str]
) -> None:
    ids = []
    for n in range(3):
        body = {
            **SAMPLE,
            "phone": f"+7916123450{n}",
            "patient": {**SAMPLE["patient"], "first_name": f"Мария{n}"},
        }
        ids.append(
            client.post("/api/v1/intake", json=body, headers=auth(intake_token, f"w{n}")).json()[
                "intake_id"
            ]
        )
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "QUEUE_NAME": settings.queue_name,
        "EVENTS_STREAM": settings.events_stream,
    }
    done = subprocess.run(
        [sys.executable, "worker.py", "--burst", *mode],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    states = [client.get(f"/api/v1/intake/{i}", headers=auth(intake_token)).json() for i in ids]
    assert [s["state"] for s in states] == ["accepted"] * 3
    assert len({s["call_number"] for s in states}) == 3
    assert "9161234567" not in done.stderr  # phones never reach the logs in clear
