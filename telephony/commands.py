"""Commands from the desk to the AMI listener over a Redis stream: call back, transfer to 112."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from dispatcher.outages import Outage, is_redis_outage
from intake_core.phones import mask_phone
from telephony.message import TelephonyError

log = logging.getLogger(__name__)

GROUP = "listener"


@dataclass(frozen=True, slots=True)
class CallBack:
    """Ring the agent's phone, then the patient (AMI Originate); `callback_id` of the list."""

    callback_id: int
    agent_interface: str
    phone: str

    @property
    def request_id(self) -> str:
        """What goes into the dialplan variable C2C_REQUEST and comes back on the call."""
        return str(self.callback_id)


@dataclass(frozen=True, slots=True)
class TransferTo112:
    """Blind-transfer the caller of `linkedid` to the emergency number."""

    linkedid: str
    agent_channel: str | None = None


Command = CallBack | TransferTo112


def encode(command: Command) -> dict[str, str]:
    """Stream fields of a command (what the desk writes with XADD)."""
    match command:
        case CallBack():
            return {
                "kind": "callback",
                "callback_id": str(command.callback_id),
                "agent_interface": command.agent_interface,
                "phone": command.phone,
            }
        case TransferTo112():
            return {
                "kind": "transfer_112",
                "linkedid": command.linkedid,
                "agent_channel": command.agent_channel or "",
            }


def decode(fields: Mapping[bytes | str, bytes | str]) -> Command:
    text = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in fields.items()
    }
    try:
        if text["kind"] == "callback":
            return CallBack(int(text["callback_id"]), text["agent_interface"], text["phone"])
        if text["kind"] == "transfer_112":
            return TransferTo112(text["linkedid"], text.get("agent_channel") or None)
    except (KeyError, ValueError) as exc:
        raise TelephonyError(f"Команда для АТС не читается: {exc}") from exc
    raise TelephonyError(f"Неизвестная команда для АТС: {text.get('kind')}")


def callback_id_of(request_id: str | None) -> int | None:
    """The call-back entry behind a click-to-call request id (`17` → 17)."""
    return int(request_id) if request_id and request_id.isdigit() else None


def describe(command: Command) -> str:
    """For logs: the number masked."""
    match command:
        case CallBack():
            return f"call back {mask_phone(command.phone)} via {command.agent_interface}"
        case TransferTo112():
            return f"transfer {command.linkedid} to 112"


class CommandReader:
    """Reads the stream as the consumer group `listener`: each command is taken once, then acked.

    A command is acknowledged before it runs: after a crash it is not repeated, because
    dialing a patient twice is worse than a missed click the agent can repeat.
    """

    def __init__(self, redis: Redis, stream: str, consumer: str, block_ms: int) -> None:
        self._redis = redis
        self._stream = stream
        self._consumer = consumer
        self._block_ms = block_ms
        self.outage = Outage("Redis (desk command stream)", log)

    async def setup(self) -> None:
        try:
            # "$": commands queued while no listener ran are stale by now (the caller is gone)
            await self._redis.xgroup_create(self._stream, GROUP, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def next_batch(self) -> list[Command]:
        """The next commands; [] after a wait when Redis is down (logged once per outage) and
        the group made anew when Redis came back without it."""
        try:
            answer: Any = await self._redis.xreadgroup(
                GROUP, self._consumer, {self._stream: ">"}, count=10, block=self._block_ms
            )
            entries = [entry for _stream, items in answer or [] for entry in items]
            if entries:
                await self._redis.xack(self._stream, GROUP, *[entry_id for entry_id, _ in entries])
        except RedisError as exc:
            if isinstance(exc, ResponseError) and "NOGROUP" in str(exc):
                with contextlib.suppress(RedisError):  # down again: the next read tells
                    await self.setup()
                return []
            if is_redis_outage(exc):
                await asyncio.sleep(self.outage.failed(exc))
            else:
                log.warning("command stream unavailable: %s", type(exc).__name__)
                await asyncio.sleep(1)
            return []
        self.outage.ok()
        commands: list[Command] = []
        for entry_id, fields in entries:
            try:
                commands.append(decode(fields))
            except TelephonyError as exc:
                log.warning("skipped command %s: %s", entry_id, exc)
        return commands
