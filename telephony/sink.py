"""The seam to the desk: where the telephony adapter publishes typed call events."""

from __future__ import annotations

import logging
from typing import Protocol

from dispatcher.phone.events import (
    AgentAnswered,
    CallAbandoned,
    CallEnded,
    CallRinging,
    CallTransferred,
    OriginateResult,
)
from intake_core.phones import mask_phone

log = logging.getLogger(__name__)


class CallSink(Protocol):
    """Receiver of call events; each method is awaited in AMI order, one at a time."""

    async def call_ringing(self, event: CallRinging) -> None: ...

    async def agent_answered(self, event: AgentAnswered) -> None: ...

    async def call_abandoned(self, event: CallAbandoned) -> None: ...

    async def call_ended(self, event: CallEnded) -> None: ...

    async def transferred(self, event: CallTransferred) -> None: ...

    async def originated(self, result: OriginateResult) -> None:
        """A desk's click-to-call: did the agent's phone answer (the patient is dialled next)."""


class LoggingSink:
    """A sink that only logs (phones masked): the default until the desk is wired in."""

    async def call_ringing(self, event: CallRinging) -> None:
        log.info("call %s ringing from %s", event.linkedid, mask_phone(event.phone))

    async def agent_answered(self, event: AgentAnswered) -> None:
        log.info(
            "call %s from %s answered by %s",
            event.linkedid,
            mask_phone(event.phone),
            event.agent_interface,
        )

    async def call_abandoned(self, event: CallAbandoned) -> None:
        log.info(
            "call %s from %s abandoned after %ss",
            event.linkedid,
            mask_phone(event.phone),
            event.hold_seconds,
        )

    async def call_ended(self, event: CallEnded) -> None:
        log.info("call %s ended: %s", event.linkedid, event.reason)

    async def transferred(self, event: CallTransferred) -> None:
        log.info("call %s transferred to %s@%s", event.linkedid, event.exten, event.context)

    async def originated(self, result: OriginateResult) -> None:
        log.info("click-to-call %s: success=%s", result.request_id, result.success)
