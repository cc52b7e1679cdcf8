"""A delivery moves only as its lifecycle allows; another move is refused in Russian."""

from __future__ import annotations

import itertools

import pytest

from dispatcher.notify.delivery_state import (
    DeliveryMoveRefused,
    DeliveryState,
    next_delivery_state,
    sources,
)
from intake_core.errors import IllegalTransition

# from each state, the states a delivery may move to
ALLOWED = {
    "queued": {"sending", "deferred", "skipped", "queued"},
    "retry": {"sending", "deferred", "skipped", "queued"},
    "deferred": {"sending", "deferred", "skipped", "queued"},
    "sending": {"sent", "retry", "dead", "skipped", "sending"},
    "sent": {"delivered", "undelivered"},
    "delivered": {"delivered", "undelivered"},
    "undelivered": {"delivered", "undelivered", "queued"},
    "dead": {"queued"},
    "skipped": set(),
}
PAIRS = list(itertools.product(ALLOWED, [s.value for s in DeliveryState]))
LEGAL = [pytest.param(c, t, id=f"{c}-{t}") for c, t in PAIRS if t in ALLOWED[c]]
ILLEGAL = [pytest.param(c, t, id=f"{c}-{t}") for c, t in PAIRS if t not in ALLOWED[c]]


def test_delivery_state_table_covers_every_state() -> None:
    assert set(ALLOWED) == {s.value for s in DeliveryState}


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_delivery_state_legal_move_leads_to_its_target(current: str, target: str) -> None:
    assert next_delivery_state(DeliveryState(current), DeliveryState(target)) is DeliveryState(
        target
    )


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_delivery_state_illegal_move_is_refused(current: str, target: str) -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_delivery_state(DeliveryState(current), DeliveryState(target))
    assert isinstance(refused.value, DeliveryMoveRefused)
    assert refused.value.code == "illegal_delivery_move"
    assert refused.value.message == (
        f"Уведомление в состоянии «{DeliveryState(current).label}» нельзя перевести "
        f"в состояние «{DeliveryState(target).label}»"
    )


def test_delivery_state_sources_of_skipped_are_the_unsent_states() -> None:
    assert sources(DeliveryState.SKIPPED) == {
        DeliveryState.QUEUED,
        DeliveryState.RETRY,
        DeliveryState.DEFERRED,
        DeliveryState.SENDING,
    }
