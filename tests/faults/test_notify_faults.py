"""`python -m dispatcher.notify` (the event consumer and the notification worker) on its own
Redis: a Redis crash that loses every key is waited out, logged once per loop, and the
consumer group is made anew so that events flow again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from dispatcher.settings import PROJECT_ROOT
from tests.faults.conftest import RedisServer, wait_for

pytestmark = pytest.mark.slow


def test_notify_outlives_a_redis_crash(
    fault_db_url: str, fault_redis: RedisServer, tmp_path: Path
) -> None:
    stream = f"events-{uuid.uuid4().hex[:8]}"
    group = f"notify-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": fault_db_url,
        "REDIS_URL": fault_redis.url,
        "EVENTS_STREAM": stream,
        "NOTIFY_GROUP": group,
        "NOTIFY_QUEUE": f"notify-{uuid.uuid4().hex[:8]}",
        "LOG_LEVEL": "INFO",
    }
    log_path = tmp_path / "notify.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dispatcher.notify"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            client = redis.Redis.from_url(fault_redis.url)

            def has_group() -> bool:
                try:
                    return any(g["name"].decode() == group for g in client.xinfo_groups(stream))
                except redis.RedisError:
                    return False

            wait_for(has_group, 30)
            fault_redis.stop()
            time.sleep(3)
            assert process.poll() is None
            fault_redis.start()
            took = wait_for(has_group, 60, step=0.25)
            print(f"\nnotify: consumer group back {took:.1f} s after the Redis restart")
            # an event written now is read and acknowledged by the consumer
            client.xadd(stream, {"id": "0", "topic": "ping", "data": "not json"})
            wait_for(
                lambda: (
                    client.xinfo_groups(stream)[0]["pending"] == 0
                    and client.xinfo_groups(stream)[0]["last-delivered-id"] != b"0-0"
                ),
                20,
            )
            assert process.poll() is None
            client.close()
        finally:
            process.terminate()
            process.wait(timeout=20)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    assert process.returncode == 0, text[-3000:]
    assert "unhandled exception, quitting" not in text
    assert "could not connect to Redis instance" not in text
    assert text.count("Redis (notify consumer) unavailable") == 1
    assert text.count("Redis (notify consumer) available again") == 1
