"""Intake round trip HTTP → Redis → worker → database, beside one bare enqueue + insert."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime
from typing import Any

import httpx
import redis
from rq import Queue
from sqlalchemy import select, text

from bench.common import pct, postgres_reachable, scratch_database, web_server
from dispatcher.services import accounts
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import PROJECT_ROOT
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade

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
    url: str, token: str, rate: int, seconds: int, run: str, first_phone: int
) -> tuple[list[float], dict[str, float], int]:
    """Open-loop load: `rate` intakes a second; 202 latencies, send times by id, failures.

    Every intake is another patient (name and phone), so none is merged into another's call.
    """
    latencies: list[float] = []
    sent: dict[str, float] = {}
    failed = 0
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:

        async def one(n: int) -> None:
            body = {
                **BODY,
                "patient": {**BODY["patient"], "first_name": f"Тест{run}{n}"},
                "phone": f"8 (916) {first_phone + n:07d}",
            }
            nonlocal failed
            started = time.perf_counter()
            wall = time.time()
            try:
                response = await http.post(
                    "/api/v1/intake",
                    json=body,
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"{run}-{n}"},
                )
            except httpx.HTTPError:  # an overloaded server drops connections: counted, not fatal
                failed += 1
                return
            latencies.append(time.perf_counter() - started)
            if response.status_code == 202:
                sent[response.json()["intake_id"]] = wall
            else:
                failed += 1

        tasks = []
        start = time.perf_counter()
        for n in range(rate * seconds):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return latencies, sent, failed


def _wait_processed(db: Database, sent: dict[str, float]) -> dict[str, datetime]:
    """When each sent intake was processed (up to two minutes of waiting)."""
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
    return done


def main() -> int:
    if not postgres_reachable("intake"):
        return 1
    client = redis.Redis.from_url(REDIS_URL)
    tag = uuid.uuid4().hex[:8]
    names = {"QUEUE_NAME": f"bench-intake-{tag}", "EVENTS_STREAM": f"bench-events-{tag}"}
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with scratch_database("hv_bench") as url:
            upgrade(url)
            db = Database(url)
            with db.session() as session:
                import_directory(session, PROJECT_ROOT / "demo")
                token = accounts.create_token(session, "bench", ["intake"], [])
            bare = bare_cost(db, client)
            env = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL, **names}
            with web_server(env, quiet=True) as base:
                workers.extend(
                    subprocess.Popen(
                        [sys.executable, "worker.py"],
                        cwd=PROJECT_ROOT,
                        env={**os.environ, "LOG_LEVEL": "WARNING", **env},
                        stderr=subprocess.DEVNULL,
                    )
                    for _ in range(WORKERS)
                )
                time.sleep(3)  # workers load the models
                asyncio.run(_load(base, token, 20, 1, "warm", 9_000_000))
                latencies, sent, failed = asyncio.run(
                    _load(base, token, RATE, SECONDS, "run", 1_000_000)
                )
                done = _wait_processed(db, sent)
            db.dispose()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=20)
        keys = [*client.scan_iter(f"rq:*{names['QUEUE_NAME']}*"), names["EVENTS_STREAM"]]
        client.delete(*keys)
    _report(latencies, sent, done, bare, failed)
    return 0


def _report(
    latencies: list[float],
    sent: dict[str, float],
    done: dict[str, datetime],
    bare: list[float],
    failed: int,
) -> None:
    if not sent or not latencies:
        print(f"\nIntake round trip: nothing accepted ({failed} failed requests)")
        return
    round_trip = [done[i].timestamp() - sent[i] for i in done]
    first = min(sent.values())
    last = max(d.timestamp() for d in done.values()) if done else first
    throughput = len(done) / (last - first) if last > first else 0.0
    bare_p50 = statistics.median(bare)
    rt_p50 = statistics.median(round_trip) if round_trip else float("nan")
    rows_out = [
        (
            "HTTP 202 latency p50 / p99, ms",
            f"{statistics.median(latencies) * 1e3:.1f} / {pct(latencies, 0.99) * 1e3:.1f}",
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
            f"{pct(round_trip, 0.99) * 1e3:.1f}" if round_trip else "n/a",
            f"{pct(bare, 0.99) * 1e3:.2f} (bare)",
            "goal < 100 ms",
        ),
        ("offered load / sustained, intakes/s", f"{RATE} / {throughput:.0f}", "—", "goal 200"),
        ("accepted (202) / failed requests", f"{len(sent)} / {failed}", "", ""),
        ("processed", f"{len(done)} of {len(sent)}", "", ""),
    ]
    print(f"\nIntake round trip (PostgreSQL, Redis, {WORKERS} RQ workers, 1 web process)")
    print(f"{'metric':40} {'ours':>18} {'bare enqueue+insert':>22} {'ratio':>14}")
    for metric, ours, peer, ratio in rows_out:
        print(f"{metric:40} {ours:>18} {peer:>22} {ratio:>14}")
