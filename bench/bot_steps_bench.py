"""Telegram bot: the patient's taps and messages on the common paths, beside the goal.

The real bot polls the local fake Bot API server (tests/bots/fake_telegram.py) with its FSM in
Redis and its tables in PostgreSQL (SQLite when PostgreSQL is absent); a scripted patient
walks each path from the menu (or /start) to «Заявка отправлена». An action is a tap, a typed
message or the shared contact; messages are those the bot sent the chat on the way. The bot's
time is the sum, over the actions, of the wait for its answer (the patient's reading and
typing is not in it). Before the dialog was shortened the same paths took 20 actions and 21
messages (a linked patient with a saved address) and 27 actions and 29 messages (a first-timer
from /start).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import redis

from bench.common import any_database
from bench.messenger_bench import REDIS_URL, TELEGRAM, bench_dialog, demo_database, running_bot
from bots.app import run
from bots.context import BotContext
from bots.dto import AddressDraft
from dispatcher.storage.database import Database
from tests.bots.fake_telegram import FakeTelegram, Recorded
from tests.bots.harness import ChatDriver

POLICY = "7716613186091393"  # Тестов Пётр Игоревич, 02.11.1958, in the demo registry
ADDRESS = "Химки, ул. Молодежная, д. 10, кв. 5, подъезд 2, этаж 3"
SAVED = AddressDraft(
    city="Химки", street="Молодежная", street_type="улица", house="10", flat="5", entrance="2"
)
DANGER = "Есть ли сейчас что-то из этого"
WITHIN_SECONDS = 60.0  # the bot's own share of «under a minute»


@dataclass(frozen=True, slots=True)
class CommonPath:
    """One common path: its name, the goal in actions, and the script that walks it."""

    name: str
    goal: int
    walk: Callable[[ChatDriver], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Walked:
    actions: int
    messages: int
    bot_seconds: float


class TimedChat(ChatDriver):
    """A chat that adds up how long the bot took to answer each action."""

    def __init__(self, fake: FakeTelegram, user_id: int) -> None:
        super().__init__(fake, user_id)
        self.waited = 0.0
        self._acted = 0.0

    async def send(self, text: str) -> dict[str, Any]:
        self._acted = time.perf_counter()
        return await super().send(text)

    async def share_contact(self, phone: str, owner_id: int | None = None) -> None:
        self._acted = time.perf_counter()
        await super().share_contact(phone, owner_id)

    async def press(self, label: str, on: Recorded | None = None) -> None:
        self._acted = time.perf_counter()
        await super().press(label, on)

    async def expect(self, fragment: str, within: float = 15.0) -> Recorded:
        found = await super().expect(fragment, within)
        if self._acted:
            self.waited += found.at - self._acted
            self._acted = 0.0
        return found


async def _call(chat: ChatDriver, who: str, complaint: str, saved: bool) -> None:
    await chat.send("🩺 Вызвать врача")
    await chat.press(who, await chat.expect("Кому нужен врач?"))
    if saved:
        await chat.press("Молодежная", await chat.expect("Нажмите адрес"))
    else:
        await chat.expect("Куда прийти врачу?")
        await chat.send(ADDRESS)
    await chat.expect("Что беспокоит?")
    await chat.send(complaint)
    await chat.press("Нет", await chat.expect(DANGER))
    await chat.press("Отправить", await chat.expect("Проверьте вызов"))
    await chat.expect("Заявка отправлена")


async def _linked(chat: ChatDriver) -> None:
    await _call(chat, "Тестов П. И.", "температура 39, кашель", saved=True)


async def _relative(chat: ChatDriver) -> None:
    await _call(chat, "Тестова А. П.", "кашель и насморк", saved=True)


async def _first_timer(chat: ChatDriver) -> None:
    await chat.send("/start")
    await chat.expect("Что умеет бот")
    await chat.share_contact(f"+7900{chat.user_id % 10_000_000:07d}")
    await chat.press("По полису", await chat.expect("Добавим пациента"))
    await chat.expect("16 цифр")
    await chat.send(POLICY)
    await chat.expect("Дата рождения")
    await chat.send("02.11.1958")
    await chat.expect("Пациент добавлен")
    await _call(chat, "Тестов П. И.", "болит горло, температура 39", saved=False)


PATHS = (
    CommonPath("linked patient, saved address", 6, _linked),
    CommonPath("linked relative, saved address", 6, _relative),
    CommonPath("first-timer from /start", 12, _first_timer),
)


async def _run(db: Database, client: redis.Redis) -> dict[str, Walked]:
    fake = FakeTelegram()
    await fake.start()
    try:
        async with running_bot(db, client, TELEGRAM.adapter(fake.base, bench_dialog())) as ctx:
            await TELEGRAM.polling(fake)
            return await _walk(fake, ctx)
    finally:
        await fake.stop()


async def _walk(fake: FakeTelegram, ctx: BotContext) -> dict[str, Walked]:
    # linked accounts: an adult and a child, their address saved by an earlier call
    for user_id, phone in ((910_001, "+79009100001"), (910_002, "+79009100002")):
        ctx.services.accounts.save_contact(user_id, user_id, phone)
        ctx.services.accounts.link(user_id, "Тестов", "Пётр", "Игоревич", date(1958, 11, 2), POLICY)
        ctx.services.accounts.link(user_id, "Тестова", "Анна", "Петровна", date(2019, 5, 12), None)
        ctx.addresses.remember(user_id, SAVED)
    users = {PATHS[0].name: 910_001, PATHS[1].name: 910_002, PATHS[2].name: 910_003}
    walked: dict[str, Walked] = {}
    for path in PATHS:
        chat = TimedChat(fake, users[path.name])
        await path.walk(chat)
        spent = chat.tally()
        walked[path.name] = Walked(spent.actions, spent.messages, chat.waited)
    return walked


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        with any_database("hv_botsteps") as (url, backend), demo_database(url) as db:
            walked = run(_run(db, client))
    finally:
        client.close()
    print(f"\nTelegram bot: taps and messages per path ({backend}, fake Bot API on loopback)")
    print(f"{'path':<34}{'actions':>8}{'goal':>6}{'bot msgs':>10}{'bot s':>8}  result")
    ok = True
    for path in PATHS:
        got = walked[path.name]
        met = got.actions <= path.goal and got.bot_seconds < WITHIN_SECONDS
        ok &= met
        print(
            f"{path.name:<34}{got.actions:>8}{path.goal:>6}{got.messages:>10}"
            f"{got.bot_seconds:>8.2f}  {'met' if met else 'NOT met'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
