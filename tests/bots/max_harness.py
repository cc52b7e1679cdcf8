"""The real MAX bot (`python -m bots.max` in-process) against the local fake MAX Bot API, and a
patient's chat on MAX driven the way `ChatDriver` drives one on Telegram."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from bots.app import build_dispatcher
from bots.context import BotContext
from bots.ids import to_dialog
from bots.max.runner import MaxRunner, build_max_bot
from bots.max.settings import MaxSettings
from bots.settings import BotSettings
from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.services.events import OutboxRelay
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from tests.bots.conftest import bot_context
from tests.bots.fake_max import FakeMax, Recorded

MAX_WEBHOOK_SECRET = "max-webhook-secret-of-the-test-bot"


class MaxHarness:
    """The running MAX bot, the fake server, and what a test drives or checks."""

    def __init__(self, fake: FakeMax, ctx: BotContext, db: Database, relay: OutboxRelay) -> None:
        self.fake = fake
        self.ctx = ctx
        self.db = db
        self.relay = relay

    def chat(self, user_id: int) -> MaxChat:
        return MaxChat(self.fake, user_id)

    def dialog_id(self, user_id: int) -> int:
        """The MAX user as the bot's tables know them."""
        return to_dialog(user_id)

    async def relay_events(self) -> None:
        await asyncio.to_thread(self.relay.relay_pending)


class MaxChat:
    """One patient's dialog with the bot on MAX: the methods of the Telegram `ChatDriver`."""

    def __init__(self, fake: FakeMax, user_id: int) -> None:
        self.fake = fake
        self.user_id = user_id
        self.cursor = 0
        self.last: Recorded | None = None
        self.actions = 0

    async def send(self, text: str) -> None:
        self.actions += 1
        if text == "/start":  # what MAX sends when the patient opens the bot
            await self.fake.started(self.user_id)
            return
        await self.fake.message(self.user_id, text)

    async def share_contact(self, phone: str, owner_id: int | None = None) -> None:
        self.actions += 1
        owner = self.user_id if owner_id is None else owner_id
        await self.fake.contact(self.user_id, phone, owner)

    async def expect(self, fragment: str, within: float = 5.0) -> Recorded:
        """The next message (or edit) to this patient containing `fragment`."""

        def matches(r: Recorded) -> bool:
            return (
                not r.failed
                and r.route in {"POST /messages", "PUT /messages"}
                and r.user_id == self.user_id
                and fragment in r.text
            )

        index, found = await self.fake.wait_for(matches, self.cursor, within)
        self.cursor = index + 1
        self.last = found
        return found

    async def press(self, label: str, on: Recorded | None = None) -> None:
        """Press the button whose text contains `label` on the last (or given) message: a
        callback button sends its payload, a message button its text, a contact button the
        patient's own card."""
        message = on or self.last
        assert message is not None, "no message to press a button on"
        for button in message.buttons():
            if label not in button["text"]:
                continue
            self.actions += 1
            if button["type"] == "callback":
                assert message.mid is not None
                await self.fake.callback(self.user_id, button["payload"], message.mid)
            elif button["type"] == "message":
                await self.fake.message(self.user_id, button["text"])
            else:
                raise AssertionError(f"press «{label}»: use share_contact for {button}")
            return
        raise AssertionError(f"no button «{label}» in {message.buttons()}")

    def messages(self) -> list[str]:
        return [r.text for r in self.fake.sent(self.user_id)]


@contextlib.asynccontextmanager
async def running_max_bot(
    settings: Settings,
    live: MaxSettings,
    shared: BotSettings,
    bot_db: Database,
    redis_client: redis.Redis,
    redis_url: str,
    analyzer: NlpAnalyzer,
    fake: FakeMax,
    base: datetime,
) -> AsyncIterator[MaxHarness]:
    """`python -m bots.max` in-process until the block ends, its clock running from `base`."""
    started = datetime.now(UTC)

    def clock() -> datetime:
        return base + (datetime.now(UTC) - started)

    ctx = bot_context(settings, live.dialog(shared), bot_db, redis_client, analyzer, clock)
    bot, api, translator = build_max_bot(live)
    runner = MaxRunner(bot, api, translator, build_dispatcher(ctx, redis_url), ctx, live, redis_url)
    task = asyncio.create_task(runner.run(handle_signals=False))
    ready = "GET /updates" if live.max_mode == "polling" else "POST /subscriptions"
    await fake.wait_for(lambda r: r.route == ready, 0, within=10)
    relay = OutboxRelay(bot_db, redis_client, settings.events_stream, 1000)
    try:
        yield MaxHarness(fake, ctx, bot_db, relay)
    finally:
        await runner.shutdown()
        await asyncio.wait_for(task, 15)


@dataclass(frozen=True, slots=True)
class MaxWebhookApi:
    """The dispatcher's API serving `/max/webhook` on a loopback port."""

    url: str
    settings: MaxSettings
