"""An intake is settled once: queued, then accepted, rejected or sent to 103/112; no other move."""

from __future__ import annotations

import itertools

import pytest

from intake_core.errors import IllegalTransition
from intake_core.intake import IntakeMoveRefused, IntakeState, next_intake_state

# from each state, the states an intake may move to
ALLOWED = {
    "queued": {"accepted", "rejected", "emergency"},
    "accepted": set(),
    "rejected": set(),
    "emergency": set(),
}
PAIRS = list(itertools.product(ALLOWED, [s.value for s in IntakeState]))
LEGAL = [pytest.param(c, t, id=f"{c}-{t}") for c, t in PAIRS if t in ALLOWED[c]]
ILLEGAL = [pytest.param(c, t, id=f"{c}-{t}") for c, t in PAIRS if t not in ALLOWED[c]]


def test_intake_state_table_covers_every_state() -> None:
    assert set(ALLOWED) == {s.value for s in IntakeState}


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_intake_state_legal_move_leads_to_its_target(current: str, target: str) -> None:
    assert next_intake_state(IntakeState(current), IntakeState(target)) is IntakeState(target)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_intake_state_illegal_move_is_refused(current: str, target: str) -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_intake_state(IntakeState(current), IntakeState(target))
    assert isinstance(refused.value, IntakeMoveRefused)
    assert refused.value.code == "illegal_intake_move"
    assert refused.value.message == (
        f"Заявку в состоянии «{IntakeState(current).label}» нельзя перевести "
        f"в состояние «{IntakeState(target).label}»"
    )
