"""Intake round trip HTTP → Redis → worker → database, beside one bare enqueue + insert.

Open-loop load at 50, 100, 200 and 400 intakes/s offered (`BENCH_RATES`), `BENCH_SECONDS`
each, against one web process and `BENCH_WORKERS` workers on PostgreSQL: the sustained rate,
the share refused with 503 (over capacity), the 202 and round-trip latencies, and the CPU each
process spends per intake, beside the CPU and time of one bare RQ enqueue + one committed
insert measured in the same run. One to two minutes with the defaults (longer when the
workers fall behind: each phase waits up to 30 s for its accepted intakes):
`.venv/bin/python -m bench.intake_bench`."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
import psutil
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
RATES = [int(r) for r in os.environ.get("BENCH_RATES", "50,100,200,400").split(",")]
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
DRAIN_WAIT = 30.0  # seconds a phase waits for its accepted intakes to be processed

BODY: dict[str, Any] = {
    "source": "portal",
    "patient": {"last_name": "Бенчмарк", "first_name": "Тест", "birth_date": "2015-03-02"},
    "phone": "8 (916) 123-45-67",
    "address": "Мос. обл., г.Химки, ул. Молодежная, д.63, кор.2, кв.54 П-д. 1, Этаж 10",
    "complaints": "Температура 38,5, кашель",
}


class CpuMeter:
    """CPU seconds (user + system) of named groups of processes; PostgreSQL backends are
    those connected to the bench's database, found again at every reading."""

    def __init__(self, db: Database, groups: dict[str, list[int]]) -> None:
        self.db = db
        self.groups = groups

    def _backends(self) -> list[int]:
        with self.db.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return [int(r[0]) for r in rows]

    def read(self) -> dict[str, dict[int, float]]:
        found = {**self.groups, "PostgreSQL": self._backends()}
        reading: dict[str, dict[int, float]] = {}
        for group, pids in found.items():
            reading[group] = {}
            for pid in pids:
                try:
                    times = psutil.Process(pid).cpu_times()
                except psutil.Error:
                    continue
                reading[group][pid] = times.user + times.system
        return reading

    @staticmethod
    def spent(
        before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
    ) -> dict[str, float]:
        """CPU seconds per group between two readings (a process new since counts whole)."""
        return {
            group: sum(cpu - before.get(group, {}).get(pid, 0.0) for pid, cpu in pids.items())
            for group, pids in after.items()
        }


def _redis_pid(client: redis.Redis) -> list[int]:
    info = client.info("server")
    return [int(info["process_id"])] if "process_id" in info else []


@dataclass
class Bare:
    seconds: list[float]
    cpu_per_op: float  # all processes: the bench's own, PostgreSQL, Redis


def bare_cost(db: Database, client: redis.Redis, meter: CpuMeter, n: int = 500) -> Bare:
    """One RQ enqueue plus one committed PostgreSQL insert, the floor under any intake."""
    queue = Queue(f"bare-{uuid.uuid4().hex[:6]}", connection=client)
    with db.engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE IF NOT EXISTS bench_bare (id serial primary key, body jsonb)")
        )
    samples = []
    before, own = meter.read(), time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        queue.enqueue("builtins.len", "x")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_bare (body) VALUES ('{}'::jsonb)"))
        samples.append(time.perf_counter() - started)
    spent = CpuMeter.spent(before, meter.read())
    cpu = time.process_time() - own + spent["PostgreSQL"] + spent["Redis"]
    queue.empty()
    return Bare(samples, cpu / n)


@dataclass
class Phase:
    rate: int
    latencies: list[float] = field(default_factory=list)  # every answer, 202 or 503
    accepted: dict[str, float] = field(default_factory=dict)  # intake id → send time
    refused: int = 0  # 503: over capacity
    failed: int = 0  # any other answer, or no answer
    done: dict[str, datetime] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    load_seconds: float = 0.0

    @property
    def round_trip(self) -> list[float]:
        return [self.done[i].timestamp() - self.accepted[i] for i in self.done]

    @property
    def sustained(self) -> float:
        if not self.done:
            return 0.0
        first = min(self.accepted.values())
        last = max(d.timestamp() for d in self.done.values())
        span = max(last - first, self.load_seconds)
        return len(self.done) / span if span > 0 else 0.0


def _body(run: str, n: int, first_phone: int) -> dict[str, Any]:
    """Another patient each time (name, birth date, phone): none is merged into another's."""
    born = date(1950, 1, 1) + timedelta(days=(first_phone + n) % 25_000)
    return {
        **BODY,
        "patient": {
            **BODY["patient"],
            "first_name": f"Тест{run}{n}",
            "birth_date": born.isoformat(),
        },
        "phone": f"8 (916) {first_phone + n:07d}",
    }


async def _load(url: str, token: str, phase: Phase, seconds: float, run: str, first: int) -> None:
    """Open loop: `phase.rate` intakes a second whatever the answers take (aiohttp: a client
    light enough not to be the bottleneck on the same two cores)."""
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=60)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as http:

        async def one(n: int) -> None:
            started = time.perf_counter()
            wall = time.time()
            try:
                async with http.post(
                    "/api/v1/intake",
                    json=_body(run, n, first),
                    headers={**headers, "Idempotency-Key": f"{run}-{n}"},
                ) as response:
                    answer = await response.read()
                    status = response.status
                    retry_after = "Retry-After" in response.headers
            except (aiohttp.ClientError, TimeoutError):  # an overloaded server drops connections
                phase.failed += 1
                return
            phase.latencies.append(time.perf_counter() - started)
            if status == 202:
                phase.accepted[json.loads(answer)["intake_id"]] = wall
            elif status == 503 and retry_after:
                phase.refused += 1
            else:
                phase.failed += 1

        tasks = []
        start = time.perf_counter()
        for n in range(int(phase.rate * seconds)):
            delay = start + n / phase.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        phase.load_seconds = time.perf_counter() - start
        await asyncio.gather(*tasks)


def _wait_processed(db: Database, sent: dict[str, float]) -> dict[str, datetime]:
    """When each accepted intake was processed (waiting `DRAIN_WAIT` seconds at most)."""
    deadline = time.time() + DRAIN_WAIT
    done: dict[str, datetime] = {}
    while sent and time.time() < deadline:
        with db.session() as session:
            rows = session.execute(
                select(tables.Intake.id, tables.Intake.processed_at).where(
                    tables.Intake.id.in_(list(sent)), tables.Intake.processed_at.is_not(None)
                )
            ).all()
        done = {r[0]: r[1] for r in rows if r[1] is not None}
        if len(done) == len(sent):
            break
        time.sleep(0.25)
    return done


@contextmanager
def _no_client_pauses() -> Iterator[None]:
    """No garbage collection in the load generator while it sends: a full one over its heap
    (this bench imports the whole service) paused it for about 80 ms, which the answers in
    flight then counted as the service's latency."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def _workers(env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    workers = [
        subprocess.Popen(
            [sys.executable, "worker.py"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "LOG_LEVEL": "WARNING", **env},
            stderr=subprocess.DEVNULL,
        )
        for _ in range(WORKERS)
    ]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=20)


def _web_pid(base: str) -> list[int]:
    port = base.rsplit(":", 1)[1]
    return [
        p.pid
        for p in psutil.Process().children(recursive=True)
        if "uvicorn" in " ".join(p.cmdline()) and port in p.cmdline()
    ]


def main() -> int:
    if not postgres_reachable("intake"):
        return 1
    client = redis.Redis.from_url(REDIS_URL)
    tag = uuid.uuid4().hex[:8]
    names = {"QUEUE_NAME": f"bench-intake-{tag}", "EVENTS_STREAM": f"bench-events-{tag}"}
    phases: list[Phase] = []
    try:
        with scratch_database("hv_bench") as url:
            upgrade(url)
            db = Database(url)
            with db.session() as session:
                import_directory(session, PROJECT_ROOT / "demo")
                token = accounts.create_token(session, "bench", ["intake"], [])
            meter = CpuMeter(db, {"Redis": _redis_pid(client)})
            bare = bare_cost(db, client, meter)
            env = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL, **names}
            with web_server(env, quiet=True) as base, _workers(env) as workers:
                meter.groups |= {"web": _web_pid(base), "workers": [w.pid for w in workers]}
                time.sleep(3)  # workers load the models
                warm = Phase(20)
                asyncio.run(_load(base, token, warm, 1, "warm", 9_000_000))
                _wait_processed(db, warm.accepted)
                for k, rate in enumerate(RATES):
                    phase = Phase(rate)
                    before = meter.read()
                    with _no_client_pauses():
                        asyncio.run(_load(base, token, phase, SECONDS, f"r{rate}", k * 100_000))
                    phase.done = _wait_processed(db, phase.accepted)
                    phase.cpu = CpuMeter.spent(before, meter.read())
                    phases.append(phase)
            db.dispose()
    finally:
        keys = [*client.scan_iter(f"rq:*{names['QUEUE_NAME']}*"), names["EVENTS_STREAM"]]
        keys += list(client.scan_iter(f"intake-*{names['QUEUE_NAME']}*"))
        client.delete(*keys)
    _report(phases, bare)
    return 0


def _ms(values: list[float], q: float) -> str:
    return f"{pct(values, q) * 1e3:.1f}" if values else "n/a"


def _report(phases: list[Phase], bare: Bare) -> None:
    bare_p50, bare_p99 = statistics.median(bare.seconds), pct(bare.seconds, 0.99)
    print(f"\nIntake round trip (PostgreSQL, Redis, {WORKERS} RQ workers, 1 web process)")
    print(
        f"bare enqueue + insert, same run: p50 {bare_p50 * 1e3:.2f} ms, p99 "
        f"{bare_p99 * 1e3:.2f} ms, CPU {bare.cpu_per_op * 1e3:.2f} ms per op (all processes)"
    )
    head = (
        f"{'offered/s':>9} {'sustained/s':>11} {'503':>6} {'failed':>6} "
        f"{'202 p50/p99 ms':>15} {'round trip p50/p99 ms':>22} {'vs bare p50':>11}"
    )
    print(head)
    for p in phases:
        answered = len(p.accepted) + p.refused + p.failed
        rt = p.round_trip
        ratio = f"{statistics.median(rt) / bare_p50:.1f}×" if rt else "n/a"
        print(
            f"{p.rate:>9} {p.sustained:>11.0f} {p.refused / max(answered, 1):>6.0%} "
            f"{p.failed:>6} {_ms(p.latencies, 0.5) + ' / ' + _ms(p.latencies, 0.99):>15} "
            f"{_ms(rt, 0.5) + ' / ' + _ms(rt, 0.99):>22} {ratio:>11}"
        )
        if len(p.done) < len(p.accepted):
            print(f"{'':>9} processed only {len(p.done)} of {len(p.accepted)} accepted")
    print("\nCPU per processed intake, ms (PostgreSQL: the bench database's backends)")
    groups = ["web", "workers", "PostgreSQL", "Redis"]
    columns = " ".join(f"{g:>10}" for g in groups)
    print(f"{'offered/s':>9} {columns} {'total':>8} {'vs bare':>8}")
    for p in phases:
        n = max(len(p.done), 1)
        per = {g: p.cpu.get(g, 0.0) / n * 1e3 for g in groups}
        total = sum(per.values())
        print(
            f"{p.rate:>9} "
            + " ".join(f"{per[g]:>10.2f}" for g in groups)
            + f" {total:>8.2f} {total / (bare.cpu_per_op * 1e3):>7.1f}×"
        )
    print("goals: sustained ≥ 200/s, 202 p99 ≤ 20 ms, round trip p99 ≤ 100 ms, CPU ≤ 5× bare")


if __name__ == "__main__":
    raise SystemExit(main())
