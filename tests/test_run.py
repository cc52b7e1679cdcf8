"""`make run` as a newcomer gets it: embedded Redis, SQLite, demo MO, web and worker together."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from dispatcher.launcher import DEMO_USERS, PortBusy, choose_port
from dispatcher.settings import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_run_serves_the_intake_flow_with_embedded_defaults(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    redis_port = _free_port()
    env |= {
        "PORT": str(port),
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "EMBEDDED_REDIS_PORT": str(redis_port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "dispatcher", "run"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "make run exited early"
            time.sleep(0.1)
        token = (tmp_path / "demo-token.txt").read_text(encoding="utf-8").strip()
        body = (PROJECT_ROOT / "demo" / "intake.json").read_bytes()
        headers = {
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": "run-1",
            "Content-Type": "application/json",
        }
        created = httpx.post(f"{base}/api/v1/intake", content=body, headers=headers, timeout=10)
        assert created.status_code == 202, created.text
        status = created.json()
        for _ in range(300):
            status = httpx.get(created.json()["status_url"], headers=headers, timeout=5).json()
            if status["state"] != "queued":
                break
            time.sleep(0.1)
        assert status["state"] == "accepted", status
        call = httpx.get(f"{base}/api/v1/calls/{status['call_id']}", headers=headers).json()
        assert call["address"]["street"] == "Молодежная"

        # a second `make run` in the same directory: a clear refusal, the first one unharmed
        second = subprocess.run(
            [sys.executable, "-m", "dispatcher", "run"],
            cwd=PROJECT_ROOT,
            env=env | {"PORT": str(_free_port()), "EMBEDDED_REDIS_PORT": str(_free_port())},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert "уже запущен из этого каталога" in second.stderr
        assert f"http://127.0.0.1:{port}" in second.stderr  # where the first one is
        # another checkout told to take the first one's Redis port: named, not a traceback
        other = tmp_path / "other"
        third = subprocess.run(
            [sys.executable, "-m", "dispatcher", "run"],
            cwd=PROJECT_ROOT,
            env=env
            | {
                "PORT": str(_free_port()),
                "VAR_DIR": str(other),
                "DATABASE_URL": f"sqlite:///{other / 'run.sqlite3'}",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert third.returncode == 2
        assert "EMBEDDED_REDIS_PORT" in third.stderr and "Traceback" not in third.stderr
        again = httpx.get(created.json()["status_url"], headers=headers, timeout=5)
        assert again.json()["state"] == "accepted"
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}" in output
    for login, password, _role, _name, _interface in DEMO_USERS:
        assert f"{login} / {password}" in output
    assert {role for _login, _password, role, _name, _ in DEMO_USERS} >= {
        "agent",
        "registry",
        "dispatcher",
        "doctor",
        "admin",
        "head",
    }
    assert "+79161234567" not in output and "9161234567" not in output


def test_a_busy_default_port_is_replaced_and_a_busy_chosen_one_named() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        other = choose_port("127.0.0.1", busy, explicit=False, variable="EMBEDDED_REDIS_PORT")
        assert other != busy
        with pytest.raises(PortBusy) as refused:
            choose_port("127.0.0.1", busy, explicit=True, variable="EMBEDDED_REDIS_PORT")
    assert f"Порт {busy} (EMBEDDED_REDIS_PORT) занят" in refused.value.message
    assert choose_port("127.0.0.1", other, explicit=True, variable="PORT") == other
