"""Telephony test harness: a recording CallSink and settings with short intervals."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import SecretStr

from dispatcher.phone.events import (
    AgentAnswered,
    CallAbandoned,
    CallEnded,
    CallEvent,
    CallRinging,
    CallTransferred,
    OriginateResult,
)
from telephony.manager import AmiManager
from telephony.settings import TelephonySettings
from tests.telephony.ami_server import SECRET

TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


class RecordingSink:
    """A CallSink that keeps what it was given, in order."""

    def __init__(self) -> None:
        self.events: list[CallEvent] = []
        self.originations: list[OriginateResult] = []

    async def _add(self, event: CallEvent) -> None:
        self.events.append(event)

    async def call_ringing(self, event: CallRinging) -> None:
        await self._add(event)

    async def agent_answered(self, event: AgentAnswered) -> None:
        await self._add(event)

    async def call_abandoned(self, event: CallAbandoned) -> None:
        await self._add(event)

    async def call_ended(self, event: CallEnded) -> None:
        await self._add(event)

    async def transferred(self, event: CallTransferred) -> None:
        await self._add(event)

    async def originated(self, result: OriginateResult) -> None:
        self.originations.append(result)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        await eventually(predicate, within)


def fast_settings(port: int, **overrides: Any) -> TelephonySettings:
    """Settings for tests: short watchdog and backoff so reconnects take milliseconds."""
    values: dict[str, Any] = {
        "ami_port": port,
        "ami_secret": SecretStr(SECRET),
        "connect_timeout": 2.0,
        "ping_interval": 0.1,
        "ping_deadline": 0.2,
        "backoff_base": 0.05,
        "backoff_cap": 0.4,
        "resync_timeout": 2.0,
        "originate_timeout": 5.0,
        "pbx_id": f"test-{uuid.uuid4().hex[:8]}",
        "lock_ttl": 0.6,
        "lock_renew_interval": 0.15,
        "lock_poll_interval": 0.05,
    }
    values.update(overrides)
    return TelephonySettings.model_validate(values)


async def eventually(predicate: Callable[[], bool], within: float = 5.0) -> None:
    """Poll until the predicate holds; state here changes on other tasks' schedule."""
    async with asyncio.timeout(within):
        for _ in itertools.count():
            if predicate():
                return
            await asyncio.sleep(0.01)


RunManager = Callable[..., Awaitable[tuple[AmiManager, RecordingSink]]]
