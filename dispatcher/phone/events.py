"""Typed call events the telephony adapter publishes to the desk; no AMI dict goes past them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CallDirection(StrEnum):
    """Who placed the call: the patient (inbound) or the desk via click-to-call (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class EndReason(StrEnum):
    """Why a call is over; `caller` is the patient's side in both directions."""

    CALLER = "caller"
    AGENT = "agent"
    TRANSFER = "transfer"
    ABANDONED = "abandoned"
    UNANSWERED = "unanswered"
    LOST = "lost"  # gone while we were disconnected: the outcome is unknown


@dataclass(frozen=True, slots=True)
class CallRinging:
    """A call with a patient started: inbound reached the DID, or outbound reached the trunk."""

    linkedid: str
    phone: str | None
    direction: CallDirection
    at: datetime
    agent_interface: str | None = None
    request_id: str | None = None
    restored: bool = False
    caller_raw: str | None = None


@dataclass(frozen=True, slots=True)
class AgentAnswered:
    """An agent is talking to the patient: the moment to pop the caller's card."""

    linkedid: str
    phone: str | None
    agent_interface: str
    agent_name: str | None
    agent_channel: str
    answered_at: datetime
    direction: CallDirection = CallDirection.INBOUND
    hold_seconds: int | None = None
    request_id: str | None = None
    restored: bool = False
    caller_raw: str | None = None


@dataclass(frozen=True, slots=True)
class CallAbandoned:
    """The patient gave up waiting in the queue: a candidate for the call-back list."""

    linkedid: str
    phone: str | None
    hold_seconds: int
    at: datetime
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class CallTransferred:
    """An agent blind-transferred the patient (e.g. to 112)."""

    linkedid: str
    phone: str | None
    agent_interface: str | None
    context: str
    exten: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The patient's leg is gone; every CallRinging is closed by exactly one CallEnded."""

    linkedid: str
    phone: str | None
    direction: CallDirection
    reason: EndReason
    at: datetime
    agent_interface: str | None = None
    talk_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class OriginateResult:
    """Outcome of a click-to-call: did the agent's phone answer the originated call."""

    request_id: str
    success: bool
    channel: str | None
    uniqueid: str | None
    reason: int | None


CallEvent = CallRinging | AgentAnswered | CallAbandoned | CallTransferred | CallEnded
