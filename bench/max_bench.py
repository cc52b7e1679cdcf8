"""MAX bot: updates handled per second and p99 latency (update received → reply sent), beside
the Telegram bot's bench (`bench/bot_bench.py`) with the same load and the same dialog.

The real MAX bot (`python -m bots.max` wiring: the aiogram dialog on the MAX session) long-polls
the local fake MAX Bot API (tests/bots/fake_max.py) on loopback, with its FSM in Redis and its
tables in PostgreSQL (SQLite when PostgreSQL is absent). The load is open-loop at
BENCH_BOT_RATE updates/s: per chat «/call», the patient button, an address line (NLP parse +
district match), «/my». Latency runs from the moment `GET /updates` hands an update to the bot
to the bot's first message or edit to that patient, both stamped by the fake server, which runs
in a process of its own with the load generator; the CPU figure is the bot process's alone.
The client's limit of 30 requests/s (MAX_RATE_LIMIT, MAX's own limit per bot) is off here: the
bench measures the bot, not the account's quota.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection

import psycopg
import redis

from bench.bot_bench import ADDRESS, ADMIN_PG, RATE, REDIS_URL, SECONDS, STEPS, _database, _pct
from bots.app import build_context, build_dispatcher, run, settle_heap
from bots.ids import to_dialog
from bots.keyboards import PatientPick
from bots.max.runner import MaxRunner, build_max_bot
from bots.max.settings import MaxSettings
from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.queue import IntakeQueue
from dispatcher.services.messenger import MessengerServices
from dispatcher.services.messenger.accounts import Accounts
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import PROJECT_ROOT, Settings
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade
from tests.bots.fake_max import TOKEN, FakeMax

GOAL_P99_MS = 30.0
FIRST_USER = 910_000
WARMUP = tuple(FIRST_USER - i for i in range(1, 4))


@dataclass
class Seen:
    """What the fake MAX server saw, shipped back from its process."""

    sent: list[tuple[int, int, str, float]]  # seq, user, step, injected at
    delivered: dict[int, float]  # seq → handed to the bot by GET /updates
    replies: list[tuple[int, float]]  # user, when a message or an edit arrived
    started: float
    elapsed: float


async def _press_patient(fake: FakeMax, user_id: int, patient_id: int) -> int:
    """The patient's button on the bot's latest message to them."""
    data = PatientPick(patient_id=patient_id).pack()
    return await fake.callback(user_id, data, fake.last_mid.get(user_id, "mid.none"))


async def _drive(conn: Connection, patients: dict[int, int]) -> None:
    """The fake MAX Bot API and the open-loop load, in their own process."""
    fake = FakeMax()
    await fake.start()
    conn.send(fake.base)
    await fake.wait_for(lambda r: r.route == "GET /updates", 0, within=30)
    for step in STEPS:  # warm-up: pydantic builds its validators on first use
        for user_id in WARMUP:
            if step == "patient":
                await _press_patient(fake, user_id, patients[user_id])
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
            delay = started + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if step == "patient":
                seq = await _press_patient(fake, user_id, load[user_id])
            else:
                seq = await fake.message(user_id, ADDRESS if step == "address" else step)
            sent.append((seq, user_id, step, time.perf_counter()))
            n += 1
    elapsed = time.perf_counter() - started
    await asyncio.sleep(2.0)
    replies = [
        (r.user_id, r.at)
        for r in fake.requests
        if r.route in {"POST /messages", "PUT /messages"} and not r.failed and r.user_id
    ]
    conn.send(Seen(sent, dict(fake.delivered), replies, started, elapsed))
    conn.recv()  # the bot has stopped
    await fake.stop()


def _max_process(conn: Connection, patients: dict[int, int]) -> None:
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
        user_id = FIRST_USER + index
        dialog = to_dialog(user_id)
        accounts.save_contact(dialog, dialog, f"+7901{index + 100:07d}")
        person = accounts.link(dialog, "Бенчмарк", "Тест", None, date(1960, 1, 1), None)
        patients[user_id] = person.id
    here, there = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=_max_process, args=(there, patients), daemon=True
    )
    server.start()
    base = await asyncio.to_thread(here.recv)
    max_settings = MaxSettings(
        max_bot_token=TOKEN,
        max_api_url=base,
        max_group=f"bench-max-{suffix}",
        max_updates_stream=f"bench-max-updates-{suffix}",
        max_polling_timeout=1,
        max_rate_limit=0,  # the bot's own capacity: MAX's 30 requests/s is a limit of the account
    )
    dialog_settings = max_settings.dialog().model_copy(update={"bot_throttle_limit": 1000})
    analyzer = NlpAnalyzer()
    queue = IntakeQueue(client, settings.queue_name, settings.job_retries)
    services = MessengerServices.build(
        db,
        client,
        analyzer,
        queue,
        dialog_settings.bot_client_name,
        dialog_settings.bot_clinic_phone,
    )
    ctx = build_context(settings, dialog_settings, services, analyzer)
    bot, api, translator = build_max_bot(max_settings)
    runner = MaxRunner(
        bot, api, translator, build_dispatcher(ctx, REDIS_URL), ctx, max_settings, REDIS_URL
    )
    settle_heap()  # as `python -m bots.max` does before it starts
    task = asyncio.create_task(runner.run(handle_signals=False))
    assert await asyncio.to_thread(here.recv) == "load"
    cpu_started = time.process_time()
    seen: Seen = await asyncio.to_thread(here.recv)
    cpu = time.process_time() - cpu_started
    await runner.shutdown()
    await asyncio.wait_for(task, 15)
    here.send("stopped")
    await asyncio.to_thread(server.join, 15)
    replies: dict[int, list[float]] = {}
    for user_id, at in seen.replies:
        replies.setdefault(user_id, []).append(at)
    results: dict[str, list[float]] = {"all": [], "from_injection": []}
    last_reply = 0.0
    for seq, user_id, step, injected in seen.sent:
        got = seen.delivered.get(seq)
        after = [t for t in replies.get(user_id, []) if got is not None and t >= got]
        if got is None or not after:
            continue
        reply = min(after)
        replies[user_id].remove(reply)
        last_reply = max(last_reply, reply)
        results["all"].append((reply - got) * 1000)
        results.setdefault(step, []).append((reply - got) * 1000)
        results["from_injection"].append((reply - injected) * 1000)
    results["span"] = [last_reply - seen.started]
    results["cpu_ms"] = [cpu * 1000]
    keys = list(client.scan_iter(f"fsm:{max_settings.max_group}*"))
    client.delete(*keys, settings.events_stream, max_settings.max_updates_stream)
    db.dispose()
    return results


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    url, pg_name = _database()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        upgrade(url)
        results = run(_run(url, client))  # the bot's own loop (uvloop), as `python -m bots.max`
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
    print(f"\nMAX bot bench ({backend}, fake MAX Bot API on loopback, target {RATE} updates/s)")
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
    print(f"bot process CPU per update {cpu_per_update:.2f} ms ({os.cpu_count()} CPUs shared)")
    ok = handled == total and p99 <= GOAL_P99_MS
    print(
        f"sent {total}, answered {handled}; goal p99 ≤ {GOAL_P99_MS:.0f} ms: "
        f"{'met' if ok else 'NOT met'} (p99 {p99:.1f} ms)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
