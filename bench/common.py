"""What the benches share: a scratch PostgreSQL (or SQLite) database, a web server process,
quantiles."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx
import psycopg

from dispatcher.settings import PROJECT_ROOT

ADMIN_PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank) of the values; NaN when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_up() -> bool:
    try:
        with psycopg.connect(ADMIN_PG, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def postgres_reachable(bench: str) -> bool:
    """False (and says so) when the bench's PostgreSQL server is not there."""
    if _postgres_up():
        return True
    print(f"{bench} bench: PostgreSQL is not reachable; skipped", file=sys.stderr)
    return False


@contextlib.contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A new empty PostgreSQL database for one bench run, dropped afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{ADMIN_PG.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN_PG, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    """A new SQLite file in a temporary directory, removed afterwards; yields its URL."""
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"


@contextlib.contextmanager
def any_database(prefix: str) -> Iterator[tuple[str, str]]:
    """A scratch PostgreSQL database, or an SQLite file when PostgreSQL is not there; yields its
    URL and the backend's name."""
    if _postgres_up():
        with scratch_database(prefix) as url:
            yield url, "PostgreSQL"
    else:
        with sqlite_database() as url:
            yield url, "SQLite"


@contextlib.contextmanager
def web_server(
    env: Mapping[str, str], extra_args: Sequence[str] = (), quiet: bool = False
) -> Iterator[str]:
    """`dispatcher.asgi` under uvicorn in its own process, ready; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "dispatcher.asgi:app",
            "--factory",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            *extra_args,
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "LOG_LEVEL": "WARNING", **env},
        stderr=subprocess.DEVNULL if quiet else None,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
