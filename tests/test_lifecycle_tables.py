"""Intakes and notification deliveries move only as their tables allow; another move is refused
with a code and a Russian message naming both states."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pytest

from dispatcher.notify.delivery_state import (
    DeliveryMoveRefused,
    DeliveryState,
    next_delivery_state,
    sources,
)
from intake_core.errors import IllegalTransition
from intake_core.intake import IntakeMoveRefused, IntakeState, next_intake_state


@dataclass(frozen=True)
class Lifecycle:
    states: type[StrEnum]
    move: Callable[[Any, Any], Any]
    refused: type[IllegalTransition]
    code: str
    noun: str  # how the message names the object, capitalized
    allowed: dict[str, set[str]]  # from each state, the states it may move to


LIFECYCLES = {
    "intake": Lifecycle(
        IntakeState,
        next_intake_state,
        IntakeMoveRefused,
        "illegal_intake_move",
        "Заявку",
        {
            "queued": {"accepted", "rejected", "emergency"},
            "accepted": set(),
            "rejected": set(),
            "emergency": set(),
        },
    ),
    "delivery": Lifecycle(
        DeliveryState,
        next_delivery_state,
        DeliveryMoveRefused,
        "illegal_delivery_move",
        "Уведомление",
        {
            "queued": {"sending", "deferred", "skipped", "queued"},
            "retry": {"sending", "deferred", "skipped", "queued"},
            "deferred": {"sending", "deferred", "skipped", "queued"},
            "sending": {"sent", "retry", "dead", "skipped", "sending"},
            "sent": {"delivered", "undelivered"},
            "delivered": {"delivered", "undelivered"},
            "undelivered": {"delivered", "undelivered", "queued"},
            "dead": {"queued"},
            "skipped": set(),
        },
    ),
}


def _moves(legal: bool) -> list[Any]:
    return [
        pytest.param(name, current, target, id=f"{name}:{current}-{target}")
        for name, life in LIFECYCLES.items()
        for current, target in itertools.product(life.allowed, [s.value for s in life.states])
        if (target in life.allowed[current]) is legal
    ]


@pytest.mark.parametrize("name", LIFECYCLES)
def test_lifecycle_table_covers_every_state(name: str) -> None:
    life = LIFECYCLES[name]
    assert set(life.allowed) == {s.value for s in life.states}


@pytest.mark.parametrize(("name", "current", "target"), _moves(legal=True))
def test_lifecycle_legal_move_leads_to_its_target(name: str, current: str, target: str) -> None:
    life = LIFECYCLES[name]
    assert life.move(life.states(current), life.states(target)) is life.states(target)


@pytest.mark.parametrize(("name", "current", "target"), _moves(legal=False))
def test_lifecycle_illegal_move_is_refused(name: str, current: str, target: str) -> None:
    life = LIFECYCLES[name]
    with pytest.raises(IllegalTransition) as refused:
        life.move(life.states(current), life.states(target))
    assert isinstance(refused.value, life.refused)
    assert refused.value.code == life.code
    label_from = life.states(current).label  # type: ignore[attr-defined]
    label_to = life.states(target).label  # type: ignore[attr-defined]
    assert refused.value.message == (
        f"{life.noun} в состоянии «{label_from}» нельзя перевести в состояние «{label_to}»"
    )


def test_delivery_skipped_comes_only_from_the_unsent_states() -> None:
    assert sources(DeliveryState.SKIPPED) == {
        DeliveryState.QUEUED,
        DeliveryState.RETRY,
        DeliveryState.DEFERRED,
        DeliveryState.SENDING,
    }
