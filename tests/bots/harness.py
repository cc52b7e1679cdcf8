"""Driving the Telegram bot like a patient: one chat, its messages, its buttons."""

from __future__ import annotations

from typing import Any

from tests.bots.fake_telegram import FakeTelegram, Recorded
from tests.bots.messenger_harness import Chat, Harness, Tally

__all__ = ["BotHarness", "ChatDriver", "Tally"]


class BotHarness(Harness[FakeTelegram, "ChatDriver"]):
    """The running bot, the fake server, and the pieces a test drives or checks."""

    def chat(self, user_id: int) -> ChatDriver:
        return ChatDriver(self.fake, user_id)


class ChatDriver(Chat[FakeTelegram, Recorded]):
    """One patient's chat: type, share a contact, press buttons, wait for the bot's answers."""

    def _to_me(self, request: Recorded) -> bool:
        return (
            request.method in {"sendMessage", "editMessageText"} and request.chat_id == self.user_id
        )

    async def send(self, text: str) -> dict[str, Any]:
        self.actions += 1
        return await self.fake.message(self.user_id, text)

    async def send_media(self, kind: str) -> None:
        """A voice message or a sticker."""
        self.actions += 1
        await self.fake.media(self.user_id, kind)

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
