"""A delivery's lifecycle: its channels, its states and the table of allowed moves."""

from __future__ import annotations

import enum

from dispatcher.notify.templates import DELIVERY_MOVE_REFUSED, DELIVERY_STATE_LABELS, INTERRUPTED
from intake_core.errors import IllegalTransition


class Channel(enum.StrEnum):
    SMS = "sms"
    WEBHOOK = "webhook"


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    RETRY = "retry"
    DEFERRED = "deferred"
    DEAD = "dead"
    SKIPPED = "skipped"
    UNDELIVERED = "undelivered"

    @property
    def label(self) -> str:
        return DELIVERY_STATE_LABELS[self.value]


FINAL = frozenset(
    {
        DeliveryState.SENT,
        DeliveryState.DELIVERED,
        DeliveryState.DEAD,
        DeliveryState.SKIPPED,
        DeliveryState.UNDELIVERED,
    }
)

_WAITING_MOVES = frozenset(
    {
        DeliveryState.SENDING,  # taken for an attempt
        DeliveryState.DEFERRED,  # an SMS in the MO's quiet hours (again, when still in them)
        DeliveryState.SKIPPED,  # its webhook subscription is gone
        DeliveryState.QUEUED,  # its time has come, or its job was lost: queued once more
    }
)

# state -> the states a delivery may move to from it
TRANSITIONS: dict[DeliveryState, frozenset[DeliveryState]] = {
    DeliveryState.QUEUED: _WAITING_MOVES,
    DeliveryState.RETRY: _WAITING_MOVES,
    DeliveryState.DEFERRED: _WAITING_MOVES,
    DeliveryState.SENDING: frozenset(
        {
            DeliveryState.SENT,
            DeliveryState.RETRY,
            DeliveryState.DEAD,  # failed for good, or an SMS interrupted mid-send
            DeliveryState.SKIPPED,  # a webhook whose subscription went while it was sent
            DeliveryState.SENDING,  # a webhook whose lease ran out goes again
        }
    ),
    # the SMS center's receipts; a repeated or later report of the operator wins
    DeliveryState.SENT: frozenset({DeliveryState.DELIVERED, DeliveryState.UNDELIVERED}),
    DeliveryState.DELIVERED: frozenset({DeliveryState.DELIVERED, DeliveryState.UNDELIVERED}),
    DeliveryState.UNDELIVERED: frozenset(
        {DeliveryState.DELIVERED, DeliveryState.UNDELIVERED, DeliveryState.QUEUED}  # «повторить»
    ),
    DeliveryState.DEAD: frozenset({DeliveryState.QUEUED}),  # «повторить»
    DeliveryState.SKIPPED: frozenset(),
}


class DeliveryMoveRefused(IllegalTransition):
    """A change of a delivery's state its lifecycle does not allow."""

    code = "illegal_delivery_move"

    def __init__(self, current: DeliveryState, target: DeliveryState) -> None:
        super().__init__(DELIVERY_MOVE_REFUSED.format(current=current.label, target=target.label))
        self.current = current
        self.target = target


def can_move(current: DeliveryState, target: DeliveryState) -> bool:
    return target in TRANSITIONS[current]


def next_delivery_state(current: DeliveryState, target: DeliveryState) -> DeliveryState:
    """`target` when the table allows the move from `current`, else DeliveryMoveRefused."""
    if not can_move(current, target):
        raise DeliveryMoveRefused(current, target)
    return target


def sources(target: DeliveryState) -> frozenset[DeliveryState]:
    """The states a delivery may move to `target` from (the WHERE of a bulk update)."""
    return frozenset(state for state, targets in TRANSITIONS.items() if target in targets)


def fate_unknown(channel: str, state: str, last_error: str | None) -> bool:
    """An SMS given up on mid-send: the SMS center may have it, so it may have been delivered."""
    return (
        channel == Channel.SMS.value
        and state == DeliveryState.DEAD.value
        and last_error == INTERRUPTED
    )
