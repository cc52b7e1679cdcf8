"""What driving a bot looks like on any messenger: the running bot and its fake server, and a
patient's chat (type, share a contact, wait for the bot's answers). Each messenger's harness
adds its own protocol's part."""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from bots.context import BotContext
from dispatcher.services.events import OutboxRelay
from dispatcher.storage.database import Database
from tests.bots.fake_messenger import Request

R = TypeVar("R", bound=Request)


class Server(Protocol[R]):
    """What a chat needs of a fake server."""

    async def wait_for(
        self, predicate: Callable[[R], bool], start: int = 0, within: float = 5.0, /
    ) -> tuple[int, R]: ...

    async def contact(self, user_id: int, phone: str, owner_id: int | None, /) -> Any: ...

    def sent(self, user_id: int | None = None, /) -> list[R]: ...


S = TypeVar("S", bound=Server[Any])


class Chat(abc.ABC, Generic[S, R]):
    """One patient's chat with the bot: what they did, and the bot's answers read in order."""

    def __init__(self, fake: S, user_id: int) -> None:
        self.fake = fake
        self.user_id = user_id
        self.cursor = 0
        self.last: R | None = None
        self.actions = 0  # what the patient did: messages typed or sent, contacts, taps

    @abc.abstractmethod
    def _to_me(self, request: R) -> bool:
        """Whether the bot's request sends (or edits) a message in this chat."""

    async def share_contact(self, phone: str, owner_id: int | None = None) -> None:
        self.actions += 1
        owner = self.user_id if owner_id is None else owner_id
        await self.fake.contact(self.user_id, phone, owner)

    async def expect(self, fragment: str, within: float = 5.0) -> R:
        """The next message (or edit) to this chat containing `fragment`."""

        def matches(r: R) -> bool:
            return not r.failed and self._to_me(r) and fragment in r.text

        found: R
        index, found = await self.fake.wait_for(matches, self.cursor, within)
        self.cursor = index + 1
        self.last = found
        return found

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


F = TypeVar("F")
C = TypeVar("C")


class Harness(abc.ABC, Generic[F, C]):
    """The running bot, the fake server, and the pieces a test drives or checks."""

    def __init__(self, fake: F, ctx: BotContext, db: Database, relay: OutboxRelay) -> None:
        self.fake = fake
        self.ctx = ctx
        self.db = db
        self.relay = relay

    @abc.abstractmethod
    def chat(self, user_id: int) -> C: ...

    async def relay_events(self) -> None:
        await asyncio.to_thread(self.relay.relay_pending)


class Runner(Protocol):
    async def run(self, handle_signals: bool = True) -> None: ...

    async def shutdown(self) -> None: ...


def clock_from(base: datetime) -> Callable[[], datetime]:
    """A clock that starts at `base` now and runs as the real one does."""
    started = datetime.now(UTC)

    def clock() -> datetime:
        return base + (datetime.now(UTC) - started)

    return clock


H = TypeVar("H", bound=Harness[Any, Any])


@contextlib.asynccontextmanager
async def running(runner: Runner, harness: H, ready: Callable[[Any], bool]) -> AsyncIterator[H]:
    """The bot's runner in-process, once the fake has seen it `ready`, until the block ends."""
    task = asyncio.create_task(runner.run(handle_signals=False))
    await harness.fake.wait_for(ready, 0, within=10)
    try:
        yield harness
    finally:
        await runner.shutdown()
        await asyncio.wait_for(task, 15)
