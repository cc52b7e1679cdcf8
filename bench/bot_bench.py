"""Telegram bot: updates handled per second and p99 latency (update received → reply sent).

The real bot polls the local fake Bot API server (tests/bots/fake_telegram.py) on loopback,
with its FSM in Redis and its tables in PostgreSQL (SQLite when PostgreSQL is absent). The load
is open-loop at BENCH_BOT_RATE updates/s: per chat «/call», the patient button, an address
line (NLP parse + district match), «/my». Latency runs from the moment getUpdates hands an
update to the bot to the bot's first reply request to that chat, both stamped by the fake
server. The fake server and the load generator run in a process of their own, as Telegram is
not inside the bot; the CPU figure is the bot process's alone (its loop and its threads).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from pathlib import Path

import psycopg
import redis

from bots.app import BotRunner, build_bot, build_context, build_dispatcher, run, settle_heap
from bots.keyboards import PatientPick
from bots.settings import BotSettings
from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.queue import IntakeQueue
from dispatcher.services.messenger import MessengerServices
from dispatcher.services.messenger.accounts import Accounts
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import PROJECT_ROOT, Settings
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade
from tests.bots.fake_telegram import TOKEN, FakeTelegram

ADMIN_PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
RATE = int(os.environ.get("BENCH_BOT_RATE", "200"))
SECONDS = int(os.environ.get("BENCH_BOT_SECONDS", "10"))
GOAL_P99_MS = 30.0
STEPS = ("/call", "patient", "address", "/my")
WARMUP = tuple(900_000 - i for i in range(1, 4))
ADDRESS = "Химки, ул. Молодежная, д. 10, кв. 5"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _database() -> tuple[str, str | None]:
    """A fresh PostgreSQL database (its name, to drop), or a temporary SQLite file."""
    try:
        with psycopg.connect(ADMIN_PG, connect_timeout=2, autocommit=True) as conn:
            name = f"hv_botbench_{uuid.uuid4().hex[:8]}"
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{ADMIN_PG.rsplit('/', 1)[0]}/{name}", name
    except psycopg.Error:
        path = Path(tempfile.mkdtemp()) / "bot_bench.sqlite3"
        return f"sqlite:///{path}", None


@dataclass
class Telegram:
    """What the fake Bot API saw, shipped back from its process."""

    sent: list[tuple[int, int, str, float]]  # update_id, chat, step, injected at
    delivered: dict[int, float]  # update_id → handed to the bot by getUpdates
    replies: list[tuple[int, float]]  # chat, when a sendMessage/editMessageText arrived
    started: float
    elapsed: float


async def _drive(conn: Connection, patients: dict[int, int]) -> None:
    """The fake Bot API and the open-loop load, in their own process (Telegram is not the bot)."""
    fake = FakeTelegram()
    await fake.start()
    conn.send(fake.base)
    await fake.wait_for(lambda r: r.method == "getUpdates", 0, within=30)
    # warm-up: pydantic builds its validators for each Bot API type on first use
    for step in STEPS:
        for user_id in WARMUP:
            if step == "patient":
                await fake.callback(user_id, PatientPick(patient_id=patients[user_id]).pack(), 1)
            else:
                await fake.message(user_id, ADDRESS if step == "address" else step)
        await asyncio.sleep(0.5)
    load = {user_id: pid for user_id, pid in patients.items() if user_id not in WARMUP}
    conn.send("load")
    sent: list[tuple[int, int, str, float]] = []
    interval = 1.0 / RATE
    started = time.perf_counter()
    n = 0
    for step in STEPS:
        for user_id in load:
            target = started + n * interval
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if step == "patient":
                data = PatientPick(patient_id=load[user_id]).pack()
                update = await fake.callback(user_id, data, 1)
            else:
                update = await fake.message(user_id, ADDRESS if step == "address" else step)
            sent.append((update["update_id"], user_id, step, time.perf_counter()))
            n += 1
    elapsed = time.perf_counter() - started
    await asyncio.sleep(2.0)
    replies = [
        (r.chat_id, r.at)
        for r in fake.requests
        if r.method in {"sendMessage", "editMessageText"} and not r.failed and r.chat_id
    ]
    conn.send(Telegram(sent, dict(fake.delivered), replies, started, elapsed))
    conn.recv()  # the bot has stopped
    await fake.stop()


def _telegram_process(conn: Connection, patients: dict[int, int]) -> None:
    asyncio.run(_drive(conn, patients))


async def _run(url: str, client: redis.Redis) -> dict[str, list[float]]:
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=url,
        redis_url=REDIS_URL,
        queue_name=f"bench-intake-{suffix}",
        events_stream=f"bench-events-{suffix}",
    )
    db = Database(url)
    with db.session() as session:
        import_directory(session, PROJECT_ROOT / "demo")
    chats = max(RATE * SECONDS // len(STEPS), 1)
    accounts = Accounts(db, lambda: datetime.now(UTC))
    patients: dict[int, int] = {}
    for index in range(-len(WARMUP), chats):
        user_id = 900_000 + index
        accounts.save_contact(user_id, user_id, f"+7900{index + 100:07d}")
        person = accounts.link(user_id, "Бенчмарк", "Тест", None, date(1960, 1, 1), None)
        patients[user_id] = person.id
    here, there = multiprocessing.get_context("spawn").Pipe()
    telegram = multiprocessing.get_context("spawn").Process(
        target=_telegram_process, args=(there, patients), daemon=True
    )
    telegram.start()
    base = await asyncio.to_thread(here.recv)
    bot_settings = BotSettings(
        bot_token=TOKEN,
        telegram_api_url=base,
        bot_group=f"bench-bot-{suffix}",
        bot_polling_timeout=1,
        bot_throttle_limit=1000,
    )
    analyzer = NlpAnalyzer()
    queue = IntakeQueue(client, settings.queue_name, settings.job_retries)
    services = MessengerServices.build(
        db, client, analyzer, queue, bot_settings.bot_client_name, bot_settings.bot_clinic_phone
    )
    ctx = build_context(settings, bot_settings, services, analyzer)
    runner = BotRunner(build_bot(bot_settings), build_dispatcher(ctx, REDIS_URL), ctx, REDIS_URL)
    settle_heap()  # as `python -m bots` does before it starts
    task = asyncio.create_task(runner.run(handle_signals=False))
    assert await asyncio.to_thread(here.recv) == "load"
    cpu_started = time.process_time()
    seen: Telegram = await asyncio.to_thread(here.recv)
    cpu = time.process_time() - cpu_started
    await runner.shutdown()
    await asyncio.wait_for(task, 15)
    here.send("stopped")
    await asyncio.to_thread(telegram.join, 15)
    started, elapsed_send = seen.started, seen.elapsed
    sent = seen.sent
    replies: dict[int, list[float]] = {}
    for chat_id, at in seen.replies:
        replies.setdefault(chat_id, []).append(at)
    results: dict[str, list[float]] = {"all": [], "from_injection": [], "elapsed": [elapsed_send]}
    last_reply = 0.0
    for update_id, chat, step, injected in sent:
        got = seen.delivered.get(update_id)
        after = [t for t in replies.get(chat, []) if got is not None and t >= got]
        if got is None or not after:
            continue
        reply = min(after)
        replies[chat].remove(reply)
        last_reply = max(last_reply, reply)
        results["all"].append((reply - got) * 1000)
        results.setdefault(step, []).append((reply - got) * 1000)
        results["from_injection"].append((reply - injected) * 1000)
    results["span"] = [last_reply - started]
    results["cpu_ms"] = [cpu * 1000]
    keys = list(client.scan_iter(f"fsm:{bot_settings.bot_group}*"))
    client.delete(*keys, settings.events_stream, bot_settings.bot_updates_stream)
    db.dispose()
    return results


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    url, pg_name = _database()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        upgrade(url)
        results = run(_run(url, client))  # the bot's own loop (uvloop), as `python -m bots`
    finally:
        client.close()
        if pg_name:
            with psycopg.connect(ADMIN_PG, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    handled = len(results["all"])
    total = RATE * SECONDS // len(STEPS) * len(STEPS)
    throughput = handled / results["span"][0] if results["span"][0] > 0 else 0.0
    p99 = _pct(results["all"], 0.99)
    backend = "PostgreSQL" if pg_name else "SQLite"
    print(f"\nTelegram bot bench ({backend}, fake Bot API on loopback, target {RATE} updates/s)")
    print(f"{'updates':<22}{'handled':>9}{'upd/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    rows = [("all", results["all"])] + [(s, results.get(s, [])) for s in STEPS]
    for name, values in rows:
        rate = f"{throughput:9.0f}" if name == "all" else f"{'':>9}"
        print(
            f"{name:<22}{len(values):>9}{rate}{_pct(values, 0.5):9.1f}"
            f"{_pct(values, 0.95):9.1f}{_pct(values, 0.99):9.1f}"
        )
    inj = results["from_injection"]
    print(
        f"{'incl. long-poll wait':<22}{len(inj):>9}{'':>9}{_pct(inj, 0.5):9.1f}"
        f"{_pct(inj, 0.95):9.1f}{_pct(inj, 0.99):9.1f}"
    )
    cpu_per_update = results["cpu_ms"][0] / handled if handled else float("nan")
    print(
        f"bot process CPU per update {cpu_per_update:.2f} ms ({os.cpu_count()} CPUs shared "
        f"with the fake Bot API and the load generator; load average "
        f"{os.getloadavg()[0]:.1f} when done)"
    )
    ok = handled == total and p99 <= GOAL_P99_MS
    print(
        f"sent {total}, answered {handled}; goal p99 ≤ {GOAL_P99_MS:.0f} ms: "
        f"{'met' if ok else 'NOT met'} (p99 {p99:.1f} ms)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
