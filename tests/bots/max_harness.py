"""The real MAX bot (`python -m bots.max` in-process) against the local fake MAX Bot API, and a
patient's chat on MAX driven the way `ChatDriver` drives one on Telegram."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

import redis

from bots.app import build_dispatcher
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
from tests.bots.messenger_harness import Chat, Harness, clock_from, running

MAX_WEBHOOK_SECRET = "max-webhook-secret-of-the-test-bot"
MaxBotStarter = Callable[[MaxSettings], contextlib.AbstractAsyncContextManager["MaxHarness"]]


class MaxHarness(Harness[FakeMax, "MaxChat"]):
    """The running MAX bot, the fake server, and what a test drives or checks."""

    def chat(self, user_id: int) -> MaxChat:
        return MaxChat(self.fake, user_id)

    def dialog_id(self, user_id: int) -> int:
        """The MAX user as the bot's tables know them."""
        return to_dialog(user_id)


class MaxChat(Chat[FakeMax, Recorded]):
    """One patient's dialog with the bot on MAX: the methods of the Telegram `ChatDriver`."""

    def _to_me(self, request: Recorded) -> bool:
        return (
            request.route in {"POST /messages", "PUT /messages"} and request.user_id == self.user_id
        )

    async def send(self, text: str) -> None:
        self.actions += 1
        if text == "/start":  # what MAX sends when the patient opens the bot
            await self.fake.started(self.user_id)
            return
        await self.fake.message(self.user_id, text)

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
    clock = clock_from(base)
    ctx = bot_context(settings, live.dialog(shared), bot_db, redis_client, analyzer, clock)
    bot, api, translator = build_max_bot(live)
    runner = MaxRunner(bot, api, translator, build_dispatcher(ctx, redis_url), ctx, live, redis_url)
    relay = OutboxRelay(bot_db, redis_client, settings.events_stream, 1000)
    ready = "GET /updates" if live.max_mode == "polling" else "POST /subscriptions"
    harness = MaxHarness(fake, ctx, bot_db, relay)
    async with running(runner, harness, lambda r: r.route == ready):
        yield harness


@dataclass(frozen=True, slots=True)
class MaxWebhookApi:
    """The MAX bot's webhook receiver serving `/max/webhook` on a loopback port."""

    url: str
    settings: MaxSettings
