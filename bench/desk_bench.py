"""Desk live updates: N open desk WebSockets, the time for one status change to reach them all.

A real server (uvicorn, `dispatcher.asgi`, PostgreSQL, Redis) in its own process; N desk
sessions signed in; N WebSockets opened from one client process on loopback. Each round
changes one call's status through the lifecycle (commit + outbox + relay → Redis pub/sub →
the server's hub → every socket) and times the arrival on every socket.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect

from bench.common import pct, postgres_reachable, scratch_database, web_server
from dispatcher.desk.sessions import COOKIE_NAME, SessionStore
from dispatcher.services import accounts
from dispatcher.services.call_store import store_call
from dispatcher.services.events import OutboxRelay
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import PROJECT_ROOT
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade
from dispatcher.storage.references import MoDirectory
from intake_core.call import CallKind, Complaints, VisitAddress
from intake_core.intake import Formalized, IntakeRequest, PatientInput, validate
from intake_core.status import CallStatus

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
STEPS = [int(n) for n in os.environ.get("BENCH_DESK_SESSIONS", "1000,3000,5000").split(",")]
ROUNDS = int(os.environ.get("BENCH_DESK_ROUNDS", "5"))
SEED_USERS, SEED_CORES = 1353, 4  # the seed: 1,353 concurrent users on a 4-core server
GOAL_SESSIONS, GOAL_P99 = 5000, 1.0
MO = "DEMO-KHIMKI"
SECRET = "desk-bench-" + "x" * 32
CONNECT_BATCH = 200


def _store_call(db: Database) -> int:
    """One new call of the demo MO, stored through the intake's storage path."""
    now = datetime.now(UTC)
    with db.session() as session:
        mo = MoDirectory().by_code(session, MO)
        assert mo is not None
        valid = validate(
            IntakeRequest(
                source="registry",
                patient=PatientInput(
                    last_name="Стендов", first_name="Тест", birth_date="1970-01-01"
                ),
                phone="+79001234567",
                address="Химки, Молодежная 12, кв. 5",
                complaints="температура 38",
                mo_code=MO,
            ),
            now.date(),
        )
        address = VisitAddress(
            raw=valid.address, city="Химки", street="Молодежная", house="12", flat="5"
        )
        formalized = Formalized(
            intake=valid,
            address=address,
            complaints=Complaints(raw=valid.complaints, temperature=38.0),
            age_category=None,
            kind=CallKind.PRIMARY,
            status=CallStatus.NEW,
            pending_reasons=(),
            district=None,
            planned_date=now.date(),
        )
        return store_call(session, formalized, mo, now, now, ("bench", "desk"), "bench").row.id


def _cookies(db: Database, n: int) -> list[str]:
    """N signed-in desk sessions of one dispatcher (each a browser tab)."""
    store = SessionStore(SECRET, timedelta(hours=1), timedelta(hours=1))
    now = datetime.now(UTC)
    with db.session() as session:
        user = accounts.create_user(session, "bench-desk", "bench-pass-1", "dispatcher", MO)
        return [store.create(session, user, now) for _ in range(n)]


class Desks:
    """The client side: open sockets and when each saw each call event."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sockets: list[ClientConnection] = []
        self.seen: dict[str, list[float]] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.expect = ""

    async def _open(self, cookie: str) -> None:
        ws = await connect(
            self.url,
            additional_headers={"Cookie": f"{COOKIE_NAME}={cookie}"},
            open_timeout=60,
            ping_interval=None,
        )
        await ws.recv()  # hello: the hub has this socket
        self.sockets.append(ws)
        self.tasks.append(asyncio.create_task(self._read(ws)))

    async def _read(self, ws: ClientConnection) -> None:
        async for message in ws:
            arrived = time.time()
            if self.expect and f'"action": "{self.expect}"' in str(message):
                self.seen.setdefault(self.expect, []).append(arrived)

    async def grow(self, cookies: list[str]) -> None:
        for start in range(0, len(cookies), CONNECT_BATCH):
            await asyncio.gather(*(self._open(c) for c in cookies[start : start + CONNECT_BATCH]))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


def _change(db: Database, relay: OutboxRelay, call_id: int, doctor_id: int, n: int) -> None:
    """One real status change (assign on even rounds, unassign on odd), relayed at once."""
    with db.session() as session:
        lifecycle = CallLifecycle(session, Actor("bench", None))
        if n % 2 == 0:
            lifecycle.assign(call_id, doctor_id, datetime.now(UTC).date())
        else:
            lifecycle.unassign(call_id, "стенд")
    relay.relay_pending()


async def _measure(
    desks: Desks, db: Database, relay: OutboxRelay, call_id: int, doctor_id: int, start: int
) -> list[float]:
    """Delays (s) from each change's start to its arrival on every socket, over ROUNDS."""
    delays: list[float] = []
    for n in range(start, start + ROUNDS):
        began = time.time()
        desks.seen.clear()
        desks.expect = "assign" if n % 2 == 0 else "unassign"  # before the change: no race
        await asyncio.to_thread(_change, db, relay, call_id, doctor_id, n)
        deadline = time.time() + 10
        while len(desks.seen.get(desks.expect, [])) < len(desks.sockets):
            if time.time() > deadline:
                break
            await asyncio.sleep(0.01)
        arrivals = desks.seen.get(desks.expect, [])
        delays += [t - began for t in arrivals]
        delays += [float("inf")] * (len(desks.sockets) - len(arrivals))
        await asyncio.sleep(0.3)
    return delays


async def _run(
    url: str, db: Database, cookies: list[str], call_id: int, doctor_id: int
) -> list[tuple[int, list[float], float]]:
    relay = OutboxRelay(
        db, redis.Redis.from_url(REDIS_URL), f"bench-desk-{uuid.uuid4().hex[:6]}", 1000
    )
    desks = Desks(url)
    results: list[tuple[int, list[float], float]] = []
    opened = 0
    try:
        for step, target in enumerate(STEPS):
            started = time.perf_counter()
            try:
                await desks.grow(cookies[opened:target])
            except (OSError, TimeoutError) as exc:
                print(
                    f"desk bench: stopped opening sockets at {len(desks.sockets)}: {exc}",
                    file=sys.stderr,
                )
                break
            connect_s = time.perf_counter() - started
            opened = target
            delays = await _measure(desks, db, relay, call_id, doctor_id, step * ROUNDS)
            results.append((len(desks.sockets), delays, connect_s))
    finally:
        await desks.close()
        relay.client.delete(relay.stream)
        relay.client.close()
    return results


def _fmt(seconds: float) -> str:
    return "lost" if seconds == float("inf") else f"{seconds * 1e3:.0f}"


def main() -> int:
    if not postgres_reachable("desk"):
        return 1
    with scratch_database("hv_bench_desk") as url:
        upgrade(url)
        db = Database(url)
        with db.session() as session:
            import_directory(session, PROJECT_ROOT / "demo")
            doctor_id = session.scalar(select(tables.Doctor.id).where(tables.Doctor.code == "D001"))
        assert doctor_id is not None
        call_id = _store_call(db)
        cookies = _cookies(db, max(STEPS))
        env = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "SECRET_KEY": SECRET}
        with web_server(env, ["--backlog", "4096"]) as base:
            ws_url = base.replace("http://", "ws://") + "/desk/ws"
            results = asyncio.run(_run(ws_url, db, cookies, call_id, doctor_id))
        db.dispose()
    print()
    print(
        f"Desk live updates: one status change to every open desk socket ({os.cpu_count()} cores)"
    )
    header = ("sessions", "opened in, s", "p50, ms", "p99, ms", "max, ms", "delivered")
    print(" | ".join(f"{h:>13}" for h in header))
    ok = False
    for n, delays, connect_s in results:
        delivered = sum(1 for d in delays if d != float("inf"))
        cells = (
            str(n),
            f"{connect_s:.1f}",
            _fmt(pct(delays, 0.5)),
            _fmt(pct(delays, 0.99)),
            _fmt(max(delays)),
            f"{delivered}/{len(delays)}",
        )
        print(" | ".join(f"{c:>13}" for c in cells))
        ok = ok or (n >= GOAL_SESSIONS and pct(delays, 0.99) <= GOAL_P99)
    print(
        f"seed: {SEED_USERS} concurrent users on a {SEED_CORES}-core server; "
        f"goal: {GOAL_SESSIONS} sessions here with p99 ≤ {GOAL_P99:.0f} s — "
        f"{'met' if ok else 'not met'}"
    )
    return 0 if results else 1


if __name__ == "__main__":
    raise SystemExit(main())
