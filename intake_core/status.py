"""The call lifecycle: statuses and the table of allowed moves."""

from __future__ import annotations

import enum

from intake_core.errors import IllegalTransition


class CallStatus(enum.StrEnum):
    PENDING = "pending"
    NEW = "new"
    ACTIVE = "active"
    SERVED = "served"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


_LABELS = {
    CallStatus.PENDING: "Ожидает обработки",
    CallStatus.NEW: "Новый",
    CallStatus.ACTIVE: "Активный",
    CallStatus.SERVED: "Обслуженный",
    CallStatus.CANCELLED: "Отменён",
    CallStatus.TRANSFERRED: "Передан в другую МО",
}

OPEN_STATUSES = frozenset({CallStatus.PENDING, CallStatus.NEW, CallStatus.ACTIVE})


class Action(enum.StrEnum):
    """What a person or a system does to a call; each maps to allowed source statuses."""

    ACCEPT = "accept"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    SERVE = "serve"
    CANCEL = "cancel"
    TRANSFER = "transfer"


# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[CallStatus], CallStatus]] = {
    Action.ACCEPT: (frozenset({CallStatus.PENDING}), CallStatus.NEW),
    Action.ASSIGN: (
        frozenset({CallStatus.PENDING, CallStatus.NEW, CallStatus.ACTIVE}),
        CallStatus.ACTIVE,
    ),
    Action.UNASSIGN: (frozenset({CallStatus.ACTIVE}), CallStatus.NEW),
    Action.SERVE: (frozenset({CallStatus.ACTIVE}), CallStatus.SERVED),
    Action.CANCEL: (OPEN_STATUSES, CallStatus.CANCELLED),
    Action.TRANSFER: (OPEN_STATUSES, CallStatus.TRANSFERRED),
}

_ACTION_LABELS = {
    Action.ACCEPT: "принять в работу",
    Action.ASSIGN: "назначить врача",
    Action.UNASSIGN: "снять назначение",
    Action.SERVE: "отметить обслуженным",
    Action.CANCEL: "отменить",
    Action.TRANSFER: "передать в другую МО",
}


def next_status(current: CallStatus, action: Action) -> CallStatus:
    """The status `action` leads to from `current`, or IllegalTransition with a Russian message."""
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise IllegalTransition(
            f"Нельзя {_ACTION_LABELS[action]} вызов в статусе «{current.label}»"
        )
    return target
