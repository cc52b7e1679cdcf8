"""Telegram and MAX bots: updates handled per second and p99 latency (update received → reply
sent), the same load and the same dialog on either messenger.

The real bot, wired as its process wires it (`python -m bots`, `python -m bots.max`), long-polls
its local fake server (tests/bots/fake_telegram.py, tests/bots/fake_max.py) on loopback, with
its FSM in Redis and its tables in PostgreSQL (SQLite when PostgreSQL is absent). The load is
open-loop at BENCH_BOT_RATE updates/s: per chat «/call», the patient button, an address line
(NLP parse + district match), «/my». Latency runs from the moment the long poll hands an update
to the bot to the bot's first message or edit to that patient, both stamped by the fake server.
The fake server and the load generator run in a process of their own, as the messenger is not
inside the bot; the CPU figure is the bot process's alone (its loop and its threads). MAX's
limit of 30 requests/s (MAX_RATE_LIMIT, a limit of the account) is off here: the bench
measures the bot, not the account's quota.

`python -m bench.messenger_bench [telegram] [max]` (both when none is named).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import sys
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from typing import Any, Generic, Protocol, TypeVar

import redis

from bench.common import any_database, pct
from bots.__main__ import Telegram
from bots.app import build_context, run, settle_heap
from bots.context import BotContext
from bots.ids import to_dialog
from bots.keyboards import PatientPick
from bots.max.__main__ import Max
from bots.max.settings import MaxSettings
from bots.settings import BotSettings
from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.queue import IntakeQueue
from dispatcher.services.messenger import MessengerServices
from dispatcher.services.messenger.accounts import Accounts
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import PROJECT_ROOT, Settings
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade
from tests.bots import fake_max, fake_telegram
from tests.bots.fake_max import FakeMax
from tests.bots.fake_telegram import FakeTelegram

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
RATE = int(os.environ.get("BENCH_BOT_RATE", "200"))
SECONDS = int(os.environ.get("BENCH_BOT_SECONDS", "10"))
GOAL_P99_MS = 30.0
STEPS = ("/call", "patient", "address", "/my")
WARMUP_CHATS = 3
ADDRESS = "Химки, ул. Молодежная, д. 10, кв. 5"


class FakeServer(Protocol):
    """What the bench asks of a fake messenger server."""

    @property
    def base(self) -> str: ...

    @property
    def requests(self) -> Sequence[Any]: ...  # what the bot sent it, stamped on arrival

    @property
    def delivered(self) -> dict[int, float]: ...  # update → when the long poll handed it out

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def wait_for(
        self, predicate: Any, start: int = 0, within: float = 5.0
    ) -> tuple[int, Any]: ...


class StoppableRunner(Protocol):
    async def run(self, handle_signals: bool = True) -> None: ...

    async def shutdown(self) -> None: ...


class Adapter(Protocol):
    """The part of a messenger's process adapter (`bots.process.Adapter`) the bench runs."""

    def dialog(self) -> BotSettings: ...

    def runner(self, ctx: BotContext, redis_url: str) -> StoppableRunner: ...


F = TypeVar("F", bound=FakeServer)


@dataclass(frozen=True)
class Messenger(ABC, Generic[F]):
    """One messenger under the bench: its fake server, a patient's acts on it, its bot."""

    name: str  # as the table's title says it
    api: str  # the fake server, as the table's title says it
    first_user: int  # the load's users count up from here, the warm-up's down
    phone_prefix: str
    fake: Callable[[], F]

    async def polling(self, fake: F) -> None:
        """Until the bot's first long poll."""
        await fake.wait_for(self.polls, 0, within=30)

    def replies(self, fake: F) -> list[tuple[int, float]]:
        """(user, when) of each message or edit the bot sent a patient."""
        return [(user, r.at) for r in fake.requests if not r.failed and (user := self.reply_to(r))]

    def dialog_id(self, user_id: int) -> int:
        """The user as the dialog's user and chat id."""
        return user_id

    @abstractmethod
    def polls(self, request: Any) -> bool:
        """Whether the recorded request is the bot's long poll."""

    @abstractmethod
    def reply_to(self, request: Any) -> int | None:
        """The patient a recorded message or edit went to; None for any other request."""

    @abstractmethod
    async def send(self, fake: F, user_id: int, text: str) -> int:
        """The patient's message; the update's key in `fake.delivered`."""

    @abstractmethod
    async def press(self, fake: F, user_id: int, data: str) -> int:
        """The patient's press of a callback button; the update's key in `fake.delivered`."""

    @abstractmethod
    def adapter(self, base: str, dialog: BotSettings) -> Adapter:
        """The messenger's process adapter on the fake server at `base`, with the dialog's
        shared settings and names in Redis of its own."""


class TelegramBench(Messenger[FakeTelegram]):
    def polls(self, request: fake_telegram.Recorded) -> bool:
        return request.method == "getUpdates"

    def reply_to(self, request: fake_telegram.Recorded) -> int | None:
        return request.chat_id if request.method in {"sendMessage", "editMessageText"} else None

    async def send(self, fake: FakeTelegram, user_id: int, text: str) -> int:
        return int((await fake.message(user_id, text))["update_id"])

    async def press(self, fake: FakeTelegram, user_id: int, data: str) -> int:
        return int((await fake.callback(user_id, data, 1))["update_id"])

    def adapter(self, base: str, dialog: BotSettings) -> Telegram:
        suffix = uuid.uuid4().hex[:8]
        settings = dialog.model_copy(
            update={
                "bot_token": fake_telegram.TOKEN,
                "telegram_api_url": base,
                "bot_group": f"bench-bot-{suffix}",
                "bot_updates_stream": f"bench-bot-updates-{suffix}",
            }
        )
        return Telegram(settings)


class MaxBench(Messenger[FakeMax]):
    def polls(self, request: fake_max.Recorded) -> bool:
        return request.route == "GET /updates"

    def reply_to(self, request: fake_max.Recorded) -> int | None:
        return request.user_id if request.route in {"POST /messages", "PUT /messages"} else None

    async def send(self, fake: FakeMax, user_id: int, text: str) -> int:
        return await fake.message(user_id, text)

    async def press(self, fake: FakeMax, user_id: int, data: str) -> int:
        """On the bot's latest message to the patient."""
        return await fake.callback(user_id, data, fake.last_mid.get(user_id, "mid.none"))

    def dialog_id(self, user_id: int) -> int:
        return to_dialog(user_id)

    def adapter(self, base: str, dialog: BotSettings) -> Max:
        suffix = uuid.uuid4().hex[:8]
        settings = MaxSettings(
            max_bot_token=fake_max.TOKEN,
            max_api_url=base,
            max_group=f"bench-max-{suffix}",
            max_updates_stream=f"bench-max-updates-{suffix}",
            max_polling_timeout=1,
            max_rate_limit=0,  # the bot's own capacity, not the account's quota
        )
        return Max(settings, dialog)


TELEGRAM = TelegramBench("Telegram", "fake Bot API", 900_000, "+7900", FakeTelegram)
MAX = MaxBench("MAX", "fake MAX Bot API", 910_000, "+7901", FakeMax)
MESSENGERS: dict[str, Messenger[Any]] = {"telegram": TELEGRAM, "max": MAX}


@contextlib.asynccontextmanager
async def running_bot(
    db: Database, client: redis.Redis, adapter: Adapter
) -> AsyncIterator[BotContext]:
    """The bot on `db` as its process builds it (`bots.process`), running until the block ends;
    its names in Redis are removed afterwards."""
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=db.url,
        redis_url=REDIS_URL,
        queue_name=f"bench-intake-{suffix}",
        events_stream=f"bench-events-{suffix}",
    )
    dialog = adapter.dialog()
    analyzer = NlpAnalyzer()
    queue = IntakeQueue(client, settings.queue_name, settings.job_retries)
    services = MessengerServices.build(
        db, client, analyzer, queue, dialog.bot_client_name, dialog.bot_clinic_phone
    )
    ctx = build_context(settings, dialog, services, analyzer)
    runner = adapter.runner(ctx, REDIS_URL)
    settle_heap()  # as the bot's process does before it starts
    task = asyncio.create_task(runner.run(handle_signals=False))
    try:
        yield ctx
    finally:
        await runner.shutdown()
        await asyncio.wait_for(task, 15)
        keys = list(client.scan_iter(f"fsm:{dialog.bot_group}*"))
        client.delete(*keys, settings.events_stream, settings.queue_name, dialog.bot_updates_stream)


def bench_dialog() -> BotSettings:
    """The dialog's settings under the bench: polling, a short long poll, no throttle hit."""
    return BotSettings(
        bot_mode="polling", bot_webhook_secret="", bot_polling_timeout=1, bot_throttle_limit=1000
    )


@contextlib.contextmanager
def demo_database(url: str) -> Iterator[Database]:
    """The database at `url`, migrated and holding the demo directory."""
    upgrade(url)
    db = Database(url)
    try:
        with db.session() as session:
            import_directory(session, PROJECT_ROOT / "demo")
        yield db
    finally:
        db.dispose()


@dataclass
class Seen:
    """What the fake server saw, shipped back from its process."""

    sent: list[tuple[int, int, str, float]]  # update, user, step, injected at
    delivered: dict[int, float]  # update → handed to the bot by the long poll
    replies: list[tuple[int, float]]  # user, when a message or an edit to them arrived
    started: float
    elapsed: float


async def _act(messenger: Messenger[F], fake: F, user_id: int, step: str, patient: int) -> int:
    if step == "patient":
        return await messenger.press(fake, user_id, PatientPick(patient_id=patient).pack())
    return await messenger.send(fake, user_id, ADDRESS if step == "address" else step)


async def _drive(conn: Connection, messenger: Messenger[F], patients: dict[int, int]) -> None:
    """The fake server and the open-loop load, in their own process (the messenger is not the
    bot)."""
    fake = messenger.fake()
    await fake.start()
    conn.send(fake.base)
    await messenger.polling(fake)
    warmup = _warmup(messenger)
    for step in STEPS:  # warm-up: pydantic builds its validators for each type on first use
        for user_id in warmup:
            await _act(messenger, fake, user_id, step, patients[user_id])
        await asyncio.sleep(0.5)
    load = {user_id: pid for user_id, pid in patients.items() if user_id not in warmup}
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
            update = await _act(messenger, fake, user_id, step, load[user_id])
            sent.append((update, user_id, step, time.perf_counter()))
            n += 1
    elapsed = time.perf_counter() - started
    await asyncio.sleep(2.0)
    conn.send(Seen(sent, dict(fake.delivered), messenger.replies(fake), started, elapsed))
    conn.recv()  # the bot has stopped
    await fake.stop()


def _serve(conn: Connection, name: str, patients: dict[int, int]) -> None:
    asyncio.run(_drive(conn, MESSENGERS[name], patients))


def _warmup(messenger: Messenger[F]) -> tuple[int, ...]:
    return tuple(messenger.first_user - i for i in range(1, WARMUP_CHATS + 1))


def _link_patients(messenger: Messenger[F], db: Database) -> dict[int, int]:
    """A linked patient for each chat of the load and of the warm-up: user → patient id."""
    chats = max(RATE * SECONDS // len(STEPS), 1)
    accounts = Accounts(db, lambda: datetime.now(UTC))
    patients: dict[int, int] = {}
    for index in range(-WARMUP_CHATS, chats):
        user_id = messenger.first_user + index
        dialog = messenger.dialog_id(user_id)
        accounts.save_contact(dialog, dialog, f"{messenger.phone_prefix}{index + 100:07d}")
        person = accounts.link(dialog, "Бенчмарк", "Тест", None, date(1960, 1, 1), None)
        patients[user_id] = person.id
    return patients


def _latencies(seen: Seen, cpu: float) -> dict[str, list[float]]:
    """Each update's latency, in ms, to the first reply to its user not yet matched."""
    replies: dict[int, list[float]] = {}
    for user_id, at in seen.replies:
        replies.setdefault(user_id, []).append(at)
    results: dict[str, list[float]] = {"all": [], "from_injection": []}
    last_reply = 0.0
    for update, user_id, step, injected in seen.sent:
        got = seen.delivered.get(update)
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
    return results


async def _run(name: str, db: Database, client: redis.Redis) -> dict[str, list[float]]:
    messenger = MESSENGERS[name]
    patients = _link_patients(messenger, db)
    spawn = multiprocessing.get_context("spawn")
    here, there = spawn.Pipe()
    server = spawn.Process(target=_serve, args=(there, name, patients), daemon=True)
    server.start()
    base = await asyncio.to_thread(here.recv)
    async with running_bot(db, client, messenger.adapter(base, bench_dialog())):
        assert await asyncio.to_thread(here.recv) == "load"
        cpu_started = time.process_time()
        seen: Seen = await asyncio.to_thread(here.recv)
        cpu = time.process_time() - cpu_started
    here.send("stopped")
    await asyncio.to_thread(server.join, 15)
    return _latencies(seen, cpu)


def _row(name: str, values: Sequence[float], rate: str = "") -> str:
    return (
        f"{name:<22}{len(values):>9}{rate:>9}{pct(values, 0.5):9.1f}"
        f"{pct(values, 0.95):9.1f}{pct(values, 0.99):9.1f}"
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """One messenger's headline: updates handled per second and the p99 latency."""

    name: str
    throughput: float
    p99: float
    ok: bool


def measure(name: str) -> Summary:
    """One messenger's bench, its table printed."""
    messenger = MESSENGERS[name]
    logging.basicConfig(level=logging.ERROR)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        with any_database(f"hv_bench_{name}") as (url, backend), demo_database(url) as db:
            results = run(_run(name, db, client))  # the bot's own loop (uvloop), as its process
    finally:
        client.close()
    handled = len(results["all"])
    total = RATE * SECONDS // len(STEPS) * len(STEPS)
    throughput = handled / results["span"][0] if results["span"][0] > 0 else 0.0
    p99 = pct(results["all"], 0.99)
    print(
        f"\n{messenger.name} bot bench ({backend}, {messenger.api} on loopback, "
        f"target {RATE} updates/s)"
    )
    print(f"{'updates':<22}{'handled':>9}{'upd/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    print(_row("all", results["all"], f"{throughput:.0f}"))
    for step in STEPS:
        print(_row(step, results.get(step, [])))
    print(_row("incl. long-poll wait", results["from_injection"]))
    cpu_per_update = results["cpu_ms"][0] / handled if handled else float("nan")
    print(
        f"bot process CPU per update {cpu_per_update:.2f} ms ({os.cpu_count()} CPUs shared "
        f"with the {messenger.api} and the load generator; load average "
        f"{os.getloadavg()[0]:.1f} when done)"
    )
    ok = handled == total and p99 <= GOAL_P99_MS
    print(
        f"sent {total}, answered {handled}; goal p99 ≤ {GOAL_P99_MS:.0f} ms: "
        f"{'met' if ok else 'NOT met'} (p99 {p99:.1f} ms)"
    )
    return Summary(messenger.name, throughput, p99, ok)


def main(*names: str) -> int:
    """Each messenger's bench (both by default), then their headlines side by side."""
    summaries = [measure(name) for name in names or tuple(MESSENGERS)]
    if len(summaries) > 1:
        print(f"\nbots side by side, the same load{'upd/s':>13}{'p99 ms':>9}")
        for summary in summaries:
            print(f"{summary.name:<36}{summary.throughput:>9.0f}{summary.p99:>9.1f}")
    return 0 if all(s.ok for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
