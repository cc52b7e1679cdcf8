"""Intake round trip HTTP → Redis → worker → database, beside one bare enqueue + insert."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime
from typing import Any

import httpx
import psycopg
import redis
from rq import Queue
from sqlalchemy import select, text

from dispatcher.services import accounts
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import PROJECT_ROOT
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade

ADMIN_PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
RATE = int(os.environ.get("BENCH_RATE", "200"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))

BODY: dict[str, Any] = {
    "source": "portal",
    "patient": {"last_name": "Бенчмарк", "first_name": "Тест", "birth_date": "2015-03-02"},
    "phone": "8 (916) 123-45-67",
    "address": "Мос. обл., г.Химки, ул. Молодежная, д.63, кор.2, кв.54 П-д. 1, Этаж 10",
    "complaints": "Температура 38,5, кашель",
}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bare_cost(db: Database, client: redis.Redis, n: int = 500) -> list[float]:
    """One RQ enqueue plus one committed PostgreSQL insert, the floor under any intake."""
    queue = Queue(f"bare-{uuid.uuid4().hex[:6]}", connection=client)
    with db.engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE IF NOT EXISTS bench_bare (id serial primary key, body jsonb)")
        )
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        queue.enqueue("builtins.len", "x")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_bare (body) VALUES ('{}'::jsonb)"))
        samples.append(time.perf_counter() - started)
    queue.empty()
    return samples


async def _load(
    url: str, token: str, rate: int, seconds: int
) -> tuple[list[float], dict[str, float]]:
    """Open-loop load: `rate` intakes a second; returns 202 latencies and send times by id."""
    latencies: list[float] = []
    sent: dict[str, float] = {}
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:

        async def one(n: int) -> None:
            body = {**BODY, "patient": {**BODY["patient"], "first_name": f"Тест{n}"}}
            started = time.perf_counter()
            wall = time.time()
            response = await http.post(
                "/api/v1/intake",
                json=body,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"b-{n}"},
            )
            latencies.append(time.perf_counter() - started)
            if response.status_code == 202:
                sent[response.json()["intake_id"]] = wall

        tasks = []
        start = time.perf_counter()
        for n in range(rate * seconds):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return latencies, sent


def main() -> int:
    try:
        with psycopg.connect(ADMIN_PG, connect_timeout=2):
            pass
    except psycopg.Error:
        print("intake bench: PostgreSQL is not reachable; skipped", file=sys.stderr)
        return 1
    name = f"hv_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_PG.rsplit('/', 1)[0]}/{name}"
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(url)
        db = Database(url)
        with db.session() as session:
            import_directory(session, PROJECT_ROOT / "demo")
            token = accounts.create_token(session, "bench", ["intake"], [])
        bare = bare_cost(db, client)
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING"}
        log = subprocess.DEVNULL
        processes.append(
            subprocess.Popen(
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
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stderr=log,
            )
        )
        for _ in range(WORKERS):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "worker.py"], cwd=PROJECT_ROOT, env=env, stderr=log
                )
            )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        time.sleep(3)  # workers load the models
        asyncio.run(_load(base, token, 20, 1))  # warm-up
        latencies, sent = asyncio.run(_load(base, token, RATE, SECONDS))
        deadline = time.time() + 120
        done: dict[str, datetime] = {}
        while time.time() < deadline:
            with db.session() as session:
                rows = session.execute(
                    select(tables.Intake.id, tables.Intake.processed_at).where(
                        tables.Intake.id.in_(list(sent)), tables.Intake.processed_at.is_not(None)
                    )
                ).all()
            done = {r[0]: r[1] for r in rows if r[1] is not None}
            if len(done) == len(sent):
                break
            time.sleep(0.5)
        round_trip = [done[i].timestamp() - sent[i] for i in done]
        first = min(sent.values())
        last = max(d.timestamp() for d in done.values()) if done else first
        throughput = len(done) / (last - first) if last > first else 0.0
        bare_p50 = statistics.median(bare)
        rt_p50 = statistics.median(round_trip) if round_trip else float("nan")
        rows_out = [
            (
                "HTTP 202 latency p50 / p99, ms",
                f"{statistics.median(latencies) * 1e3:.1f} / {_pct(latencies, 0.99) * 1e3:.1f}",
                "—",
                "",
            ),
            (
                "round trip to stored call p50, ms",
                f"{rt_p50 * 1e3:.1f}",
                f"{bare_p50 * 1e3:.2f} (bare)",
                f"{rt_p50 / bare_p50:.1f}×",
            ),
            (
                "round trip p99, ms",
                f"{_pct(round_trip, 0.99) * 1e3:.1f}" if round_trip else "n/a",
                f"{_pct(bare, 0.99) * 1e3:.2f} (bare)",
                "goal < 100 ms",
            ),
            ("offered load / sustained, intakes/s", f"{RATE} / {throughput:.0f}", "—", "goal 200"),
            ("processed", f"{len(done)} of {len(sent)}", "", ""),
        ]
        print(f"\nIntake round trip (PostgreSQL, Redis, {WORKERS} RQ workers, 1 web process)")
        print(f"{'metric':40} {'ours':>18} {'bare enqueue+insert':>22} {'ratio':>14}")
        for metric, ours, peer, ratio in rows_out:
            print(f"{metric:40} {ours:>18} {peer:>22} {ratio:>14}")
        db.dispose()
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        client.flushdb()
        with psycopg.connect(ADMIN_PG, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
