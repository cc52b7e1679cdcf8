"""Fault tests: their own Redis and PostgreSQL servers on free ports, started, stopped and
killed by the tests (never the machine's shared 6379 and 5432), and real worker processes."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import psycopg
import pytest
import redis

from dispatcher.services import accounts
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import PROJECT_ROOT
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade

DEMO_MO = "DEMO-KHIMKI"
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, step: float = 0.1) -> float:
    """Poll until `check` passes; the seconds it took (fails the test past `timeout`)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not done within {timeout} s")
        time.sleep(step)
    return time.monotonic() - started


class RedisServer:
    """redis-server without persistence on its own port: a restart loses every key."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            wait_for(lambda: _pings(client), 10)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # a crash: no goodbye to the clients
            self.process.wait(timeout=10)
        self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class PostgresCluster:
    """An own PostgreSQL cluster (initdb, pg_ctl) in a temporary directory on a free port."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            message = "no PostgreSQL server binaries under /usr/lib/postgresql"
            if REQUIRE_POSTGRES:
                pytest.fail(message + " (REQUIRE_POSTGRES=1)")
            pytest.skip(message)
        self.bin = Path(found[-1]).parent
        self.root = Path(tempfile.mkdtemp(prefix="hv-faults-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:  # PostgreSQL refuses to run as root
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run(
            [*prefix, *command],
            check=True,
            cwd=self.root,  # the postgres user may not enter the checkout
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def fault_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_db_url(pg_cluster: PostgresCluster) -> str:
    """A fresh migrated database with the demo MO on the own cluster."""
    if not pg_cluster.running():
        pg_cluster.start()
    name = f"hv_fault_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_cluster.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg_cluster.url(name)
    upgrade(url)
    db = Database(url)
    with db.session() as session:
        import_directory(session, PROJECT_ROOT / "demo")
    db.dispose()
    return url


@pytest.fixture
def fault_token(fault_db_url: str) -> str:
    db = Database(fault_db_url)
    with db.session() as session:
        token = accounts.create_token(session, "portal", ["intake", "calls:read"], [DEMO_MO])
    db.dispose()
    return token


class ServiceProcess:
    """One of our processes as compose runs it (`python worker.py`, `python -m bots`), its log
    in a file: `command` is what follows the interpreter."""

    def __init__(self, env: dict[str, str], log_path: Path, *command: str) -> None:
        self.env = env
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, *command],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no cleanup at all."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM, as compose stops it; its exit code."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    started: list[ServiceProcess] = []

    def start(env: dict[str, str], *args: str) -> ServiceProcess:
        worker = ServiceProcess(env, tmp_path / f"worker-{len(started)}.log", "worker.py", *args)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
