"""The substitution table («эвакуатор»): chains under given doctor states, ЖДИТЕ and ОТЗОВИТЕ."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from intake_core.doctor_state import DoctorState
from intake_core.profile import load_profiles
from intake_core.questionnaire import Urgency
from intake_core.substitution import (
    DEFAULT_TABLE,
    DoctorSnapshot,
    SubstitutionTableError,
    Verdict,
    load_table,
    parse_table,
    suggest,
)

TABLE = load_table()


def _doctor(
    doctor_id: int,
    letter: str,
    state: DoctorState = DoctorState.FREE,
    load: int = 0,
    capacity: int = 10,
    own: bool = False,
    works: bool = True,
    on_call: Urgency | None = None,
) -> DoctorSnapshot:
    return DoctorSnapshot(
        id=doctor_id,
        name=f"Врач {doctor_id}",
        letter=letter,
        state=state,
        works_today=works,
        load_today=load,
        capacity_today=capacity,
        own_district=own,
        current_call_urgency=on_call,
    )


def test_substitution_sends_the_required_profile_own_district_and_least_loaded_first() -> None:
    doctors = [
        _doctor(1, "Т", load=1),
        _doctor(2, "Т", load=5, own=True),
        _doctor(3, "Т", load=0),
        _doctor(4, "В"),
    ]
    chosen = suggest(TABLE, "60Т", Urgency.ROUTINE, doctors)
    assert (chosen.verdict, chosen.letter, chosen.tried) == (Verdict.SEND, "Т", ())
    assert chosen.doctor is not None and chosen.doctor.id == 2
    assert not chosen.substituted
    without_own = suggest(TABLE, "60Т", Urgency.ROUTINE, doctors[:1] + doctors[2:])
    assert without_own.doctor is not None and without_own.doctor.id == 3


def test_substitution_follows_the_chain_when_the_profile_is_busy_or_full() -> None:
    doctors = [
        _doctor(1, "Т", state=DoctorState.DONE),
        _doctor(2, "Т", load=10, capacity=10),  # the day is full
        _doctor(3, "Т", works=False),
        _doctor(4, "В", load=3),
    ]
    chosen = suggest(TABLE, "60Т", Urgency.ROUTINE, doctors)
    assert (chosen.verdict, chosen.letter, chosen.tried, chosen.step) == (
        Verdict.SEND,
        "В",
        ("Т",),
        "В",
    )
    assert chosen.doctor is not None and chosen.doctor.id == 4 and chosen.substituted


def test_substitution_urgent_call_needs_a_free_doctor_now() -> None:
    doctors = [
        _doctor(1, "Т", state=DoctorState.AT_PATIENT, load=1, own=True),
        _doctor(2, "В", state=DoctorState.ON_THE_WAY),
        _doctor(3, "Ф"),
    ]
    chosen = suggest(TABLE, "61Т", Urgency.URGENT, doctors)
    assert (chosen.column.name, chosen.letter, chosen.tried) == ("Неотложно", "Ф", ("Т", "В"))
    assert chosen.doctor is not None and chosen.doctor.id == 3
    routine = suggest(TABLE, "60Т", Urgency.ROUTINE, doctors)
    assert routine.doctor is not None and routine.doctor.id == 1  # busy now, has room today


def test_substitution_ends_in_wait_when_no_one_in_the_chain_can_take_it() -> None:
    doctors = [
        _doctor(1, "П", state=DoctorState.DONE),
        _doctor(2, "В", load=8, capacity=8),
        _doctor(3, "Т"),  # not in the pediatric chain
    ]
    chosen = suggest(TABLE, "72П", Urgency.ROUTINE, doctors)
    assert (chosen.verdict, chosen.step, chosen.tried) == (Verdict.WAIT, "ЖДИТЕ", ("П", "В"))
    assert chosen.doctor is None and chosen.letter is None


def test_substitution_recalls_a_doctor_on_the_way_to_a_lower_priority_call() -> None:
    doctors = [
        _doctor(1, "П", state=DoctorState.AT_PATIENT, on_call=Urgency.ROUTINE),
        _doctor(2, "П", state=DoctorState.ON_THE_WAY, on_call=Urgency.URGENT),
        _doctor(3, "В", state=DoctorState.ON_THE_WAY, on_call=Urgency.ROUTINE, load=4),
        _doctor(4, "В", state=DoctorState.ON_THE_WAY, on_call=None, load=2),
        _doctor(5, "Т"),  # free, but not in the pediatric chain
    ]
    chosen = suggest(TABLE, "71П", Urgency.URGENT, doctors)
    assert (chosen.verdict, chosen.step, chosen.tried) == (Verdict.RECALL, "ОТЗОВИТЕ", ("П", "В"))
    assert chosen.doctor is not None and chosen.doctor.id == 4  # fewer calls today
    nobody = suggest(TABLE, "71П", Urgency.URGENT, doctors[:2])
    assert (nobody.verdict, nobody.doctor) == (Verdict.RECALL, None)


def test_substitution_routine_call_never_recalls() -> None:
    doctors = [_doctor(1, "У", state=DoctorState.DONE), _doctor(2, "Т")]
    chosen = suggest(TABLE, "86У", Urgency.ROUTINE, doctors)
    assert chosen.verdict is Verdict.WAIT and chosen.tried == ("У",)
    urgent = suggest(TABLE, "86У", Urgency.URGENT, doctors)
    assert urgent.verdict is Verdict.SEND and urgent.letter == "Т"


def test_substitution_place_columns_of_an_mo_table() -> None:
    data = _shipped()
    data["cards"]["Т"] = [
        {
            "column": "60–69",
            "urgency": ["routine"],
            "places": [60, 69],
            "chain": ["Т", "ЖДИТЕ"],
        },
        {"column": "Остальное", "urgency": ["routine", "urgent"], "chain": ["Т", "Ф", "ЖДИТЕ"]},
    ]
    table = parse_table(data)
    doctors = [_doctor(1, "Ф")]
    assert suggest(table, "60Т", Urgency.ROUTINE, doctors).verdict is Verdict.WAIT
    other = suggest(table, "80Т", Urgency.ROUTINE, doctors)
    assert (other.column.name, other.letter) == ("Остальное", "Ф")


def _shipped() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_TABLE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return copy.deepcopy(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["cards"]["Т"][0].update(chain=["Т", "В"]), "должна кончаться словом ЖДИТЕ"),
        (
            lambda d: d["cards"]["Т"][0].update(chain=["Т", "ЖДИТЕ", "В", "ОТЗОВИТЕ"]),
            "«ЖДИТЕ» может стоять только в конце",
        ),
        (lambda d: d["cards"]["Т"][0].update(chain=["Т", "К", "ЖДИТЕ"]), "подмена «К»"),
        (lambda d: d["cards"]["П"][0].update(chain=["В", "ЖДИТЕ"]), "начинается с самой буквы"),
        (lambda d: d["cards"].pop("Ф"), "нет карты для буквы «Ф»"),
        (lambda d: d["cards"]["У"].pop(), "нет колонки для срочности «В течение дня»"),
        (
            lambda d: d["cards"]["У"][0].update(urgency=["soon"]),
            "cards.У.0.urgency.0: недопустимое значение «soon»",
        ),
    ],
)
def test_substitution_bad_table_is_refused_with_a_clear_message(change: Any, message: str) -> None:
    data = _shipped()
    change(data)
    with pytest.raises(SubstitutionTableError) as caught:
        parse_table(data, "mine.yaml")
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("profile", "letter"),
    [
        ("терапевт", "Т"),
        ("Врач-терапевт участковый", "Т"),
        ("педиатр", "П"),
        ("врач общей практики", "В"),
        ("фельдшер", "Ф"),
        ("невролог", "У"),
        ("логопед", "У"),
    ],
)
def test_profile_letter_of_a_doctor_profile(profile: str, letter: str) -> None:
    assert load_profiles().letter_for(profile) == letter
