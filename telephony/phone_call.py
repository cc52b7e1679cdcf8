"""A call's lifecycle: its states, the allowed moves between them, and what we know of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from dispatcher.phone.events import CallDirection, EndReason
from intake_core.errors import IllegalTransition


class PhoneCallState(StrEnum):
    """Where a call is in its life; moves follow `TRANSITIONS`."""

    ORIGINATED = "originated"  # click-to-call: the agent's leg exists, the patient not dialled yet
    RINGING = "ringing"
    QUEUED = "queued"
    AGENTS_RINGING = "agents_ringing"
    ANSWERED = "answered"
    TRANSFERRED = "transferred"
    ABANDONED = "abandoned"
    ENDED = "ended"


TRANSITIONS: Mapping[PhoneCallState, frozenset[PhoneCallState]] = {
    PhoneCallState.ORIGINATED: frozenset(
        {PhoneCallState.RINGING, PhoneCallState.ANSWERED, PhoneCallState.ENDED}
    ),
    PhoneCallState.RINGING: frozenset(
        {
            PhoneCallState.QUEUED,
            PhoneCallState.AGENTS_RINGING,
            PhoneCallState.ANSWERED,
            PhoneCallState.ENDED,
        }
    ),
    PhoneCallState.QUEUED: frozenset(
        {
            PhoneCallState.AGENTS_RINGING,
            PhoneCallState.ANSWERED,
            PhoneCallState.ABANDONED,
            PhoneCallState.ENDED,
        }
    ),
    PhoneCallState.AGENTS_RINGING: frozenset(
        {
            PhoneCallState.QUEUED,
            PhoneCallState.ANSWERED,
            PhoneCallState.ABANDONED,
            PhoneCallState.ENDED,
        }
    ),
    PhoneCallState.ANSWERED: frozenset({PhoneCallState.TRANSFERRED, PhoneCallState.ENDED}),
    PhoneCallState.TRANSFERRED: frozenset({PhoneCallState.ENDED}),
    PhoneCallState.ABANDONED: frozenset({PhoneCallState.ENDED}),
    PhoneCallState.ENDED: frozenset(),
}

# Stages in order, so a resync only moves a call forward.
RANK = {state: rank for rank, state in enumerate(PhoneCallState)}


@dataclass(frozen=True, slots=True)
class PhoneCall:
    """What we know about one call in progress."""

    linkedid: str
    direction: CallDirection
    state: PhoneCallState
    phone: str | None
    started_at: datetime
    root_channel: str
    caller_raw: str | None = None  # CallerIDNum as the PBX wrote it ("anonymous", "8903…")
    queue: str | None = None
    agent_interface: str | None = None
    agent_name: str | None = None
    agent_channel: str | None = None
    patient_uniqueid: str | None = None  # outbound: the trunk leg to the patient
    hold_seconds: int | None = None
    talk_seconds: int | None = None
    end_reason: EndReason | None = None
    request_id: str | None = None
    announced: bool = False  # CallRinging was published, so CallEnded must follow

    def move(self, state: PhoneCallState) -> PhoneCall:
        if state == self.state:
            return self
        if state not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"Звонок {self.linkedid}: нельзя из {self.state} в {state}")
        return replace(self, state=state)


def interface_of(channel: str) -> str:
    """`PJSIP/101-00000001` → `PJSIP/101`: the stable device, not the per-call channel."""
    base, sep, _suffix = channel.rpartition("-")
    return base if sep else channel
