"""Driving the bot like a patient: one chat, its messages, its buttons."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bots.context import BotContext
from dispatcher.services.events import OutboxRelay
from dispatcher.storage.database import Database
from tests.bots.fake_telegram import FakeTelegram, Recorded


class BotHarness:
    """The running bot, the fake server, and the pieces a test drives or checks."""

    def __init__(
        self, fake: FakeTelegram, ctx: BotContext, db: Database, relay: OutboxRelay
    ) -> None:
        self.fake = fake
        self.ctx = ctx
        self.db = db
        self.relay = relay

    def chat(self, user_id: int) -> ChatDriver:
        return ChatDriver(self.fake, user_id)

    async def relay_events(self) -> None:
        await asyncio.to_thread(self.relay.relay_pending)


class ChatDriver:
    """One patient's chat: type, share a contact, press buttons, wait for the bot's answers."""

    def __init__(self, fake: FakeTelegram, user_id: int) -> None:
        self.fake = fake
        self.user_id = user_id
        self.cursor = 0
        self.last: Recorded | None = None
        self.actions = 0  # what the patient did: messages typed or sent, contacts, taps

    async def send(self, text: str) -> dict[str, Any]:
        self.actions += 1
        return await self.fake.message(self.user_id, text)

    async def send_media(self, kind: str) -> None:
        """A voice message or a sticker."""
        self.actions += 1
        await self.fake.media(self.user_id, kind)

    async def share_contact(self, phone: str, owner_id: int | None = None) -> None:
        self.actions += 1
        owner = self.user_id if owner_id is None else owner_id
        await self.fake.contact(self.user_id, phone, owner)

    async def expect(self, fragment: str, within: float = 5.0) -> Recorded:
        """The next message (or edit) to this chat containing `fragment`."""

        def matches(r: Recorded) -> bool:
            return (
                not r.failed
                and r.method in {"sendMessage", "editMessageText"}
                and r.chat_id == self.user_id
                and fragment in r.text
            )

        index, found = await self.fake.wait_for(matches, self.cursor, within)
        self.cursor = index + 1
        self.last = found
        return found

    async def press(self, label: str, on: Recorded | None = None) -> None:
        """Press the inline button whose text contains `label` on the last (or given) message."""
        message = on or self.last
        assert message is not None, "no message to press a button on"
        for text, data in message.buttons():
            if label in text and data:
                message_id = int(message.params.get("message_id") or 1)
                self.actions += 1
                await self.fake.callback(self.user_id, data, message_id)
                return
        raise AssertionError(f"no button «{label}» in {message.buttons()}")

    def messages(self) -> list[str]:
        return [r.text for r in self.fake.sent(self.user_id)]

    def tally(self) -> Tally:
        """What the patient did and how many messages the bot sent this chat, so far."""
        return Tally(self.actions, len(self.fake.sent(self.user_id)))


@dataclass(frozen=True, slots=True)
class Tally:
    """A patient's actions (taps, typed messages, a shared contact) and the bot's messages."""

    actions: int
    messages: int

    def __sub__(self, before: Tally) -> Tally:
        return Tally(self.actions - before.actions, self.messages - before.messages)
