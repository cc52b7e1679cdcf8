"""Results, ICD-10 groups, trip times and the hour breakdown equal hand counts of the month.

Expectations come from the generator's records (codes, not ids), counted with plain loops
and numpy; ICD-10 classes are assigned here by their own letter rules.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import numpy
import pytest

from dispatcher.analytics.icd10 import chapter
from dispatcher.analytics.outcomes import TripTimes
from dispatcher.analytics.report import Cell, tables
from dispatcher.demo.month import DEATH_BRANCH, MonthCall
from dispatcher.storage import tables as db_tables
from dispatcher.storage.dispatch_tables import CallServiceCard
from intake_core.call import ServiceResult
from tests.analytics.conftest import StoredCase
from tests.analytics.test_figures import _as_hand, _hand_sla, _ids

MOSCOW = ZoneInfo("Europe/Moscow")


def _invert(ids: dict[str, int]) -> dict[int, str]:
    return {value: key for key, value in ids.items()}


def _hand_results(
    case: StoredCase, key: Callable[[MonthCall], Hashable]
) -> dict[Hashable, dict[str, int]]:
    groups: dict[Hashable, Counter[str]] = defaultdict(Counter)
    for call in case.month.calls:
        if call.result is not None:
            groups[key(call)][call.result] += 1
    return {k: dict(v) for k, v in groups.items()}


def test_results_per_department_doctor_and_profile_equal_hand_count(case: StoredCase) -> None:
    outcomes = case.report().outcomes
    departments = _ids(case, db_tables.Department)
    doctors = _invert(case.stored.doctor_ids)
    letters = {d.code: d.letter for d in case.month.doctors}
    assert {departments[r.key]: dict(r.counts) for r in outcomes.by_department} == _hand_results(  # type: ignore[index]
        case, lambda c: c.department_code
    )
    assert {doctors[r.key]: dict(r.counts) for r in outcomes.by_doctor} == _hand_results(  # type: ignore[index]
        case, lambda c: c.doctor_code
    )
    assert {r.key: dict(r.counts) for r in outcomes.by_profile} == _hand_results(
        case, lambda c: letters[c.doctor_code or ""]
    )
    seen = Counter(c.result for c in case.month.calls if c.result)
    assert set(seen) == {r.value for r in ServiceResult}  # every result code occurs
    assert all(
        (c.result == "death") == (c.real_branch.id == DEATH_BRANCH)
        for c in case.month.calls
        if c.result
    )


def test_refusals_of_hospitalisation_are_listed_with_their_reasons(case: StoredCase) -> None:
    report = case.report()
    refused = [c for c in case.month.calls if c.result == "refused_hospitalisation"]
    assert refused and all(c.result_reason for c in refused)
    # the reason is kept on the service card; a call never coded has none to show
    assert report.outcomes.refusals == Counter(
        c.result_reason if c.card is not None else "Причина не указана" for c in refused
    )
    table = next(t for t in tables(report) if t.name == "refusals")
    assert sum(row[1] for row in table.rows) == len(refused)  # type: ignore[misc]
    assert table.rows[0][1] == max(report.outcomes.refusals.values())


def _hand_class(code: str) -> str:
    """The ICD-10 class by the letter and the two digits after it."""
    letter, number = code[0], int(code[1:3])
    if letter in "AB":
        return "I"
    if letter == "C" or (letter == "D" and number <= 48):
        return "II"
    if letter == "H":
        return "VII" if number <= 59 else "VIII"
    if letter in "ST":
        return "XIX"
    if letter in "VWXY":
        return "XX"
    single = {
        "D": "III", "E": "IV", "F": "V", "G": "VI", "I": "IX", "J": "X", "K": "XI", "L": "XII",
        "M": "XIII", "N": "XIV", "O": "XV", "P": "XVI", "Q": "XVII", "R": "XVIII", "Z": "XXI",
        "U": "XXII",
    }  # fmt: skip
    return single[letter]


@pytest.mark.parametrize(
    ("code", "number"),
    [
        ("A09", "I"),
        ("C50.9", "II"),
        ("D10.3", "II"),
        ("D50.0", "III"),
        ("H10.1", "VII"),
        ("H66.9", "VIII"),
        ("I10", "IX"),
        ("j06.9", "X"),
        ("T78.3", "XIX"),
        ("W19", "XX"),
        ("Z00.1", "XXI"),
        ("U07.1", "XXII"),
        ("ОРВИ", None),
        ("J06.95", "X"),
    ],
)
def test_icd10_code_falls_into_its_class(code: str, number: str | None) -> None:
    found = chapter(code)
    assert (found.number if found else None) == number


def test_diagnosis_classes_and_top_categories_equal_hand_count(case: StoredCase) -> None:
    d = case.report().outcomes.diagnoses
    classes: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    with_codes = 0
    for call in case.month.calls:
        if not call.diagnoses:
            continue
        with_codes += 1
        classes.update({_hand_class(code) for code in call.diagnoses})
        categories.update({code[:3] for code in call.diagnoses})
    assert d.calls_with_codes == with_codes
    assert {c.number: count for c, count in d.chapters} == dict(classes)
    assert [count for _, count in d.chapters] == sorted(classes.values(), reverse=True)
    top = sorted(categories.items(), key=lambda item: (-item[1], item[0]))[:20]
    assert [(code, count) for code, _, count in d.categories] == top
    assert d.chapters[0][0].number == "X"  # respiratory visits lead, as in any polyclinic
    assert not d.unreadable
    nobody = [c for c in case.month.calls if c.result == "nobody_home"]
    assert nobody and not any(c.diagnoses for c in nobody)


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(minutes=1)


def _hand_trips(
    case: StoredCase, key: Callable[[MonthCall], Hashable]
) -> dict[Hashable, dict[str, object]]:
    """Stages of the calls with a card (where the time points are kept), numpy percentiles."""
    stages: dict[Hashable, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for call in case.month.calls:
        if call.card is None or call.departed_at is None:
            continue
        assert call.assigned_at and call.arrived_at and call.served_at
        group = stages[key(call)]
        group["to_depart"].append(_minutes(call.assigned_at, call.departed_at))
        group["on_road"].append(_minutes(call.departed_at, call.arrived_at))
        group["at_patient"].append(_minutes(call.arrived_at, call.served_at))
    return {
        k: {
            name: (
                len(values),
                pytest.approx(float(numpy.percentile(values, 50))),
                pytest.approx(float(numpy.percentile(values, 90))),
            )
            for name, values in v.items()
        }
        for k, v in stages.items()
    }


def _as_trips(
    rows: list[TripTimes], rename: Callable[[Hashable], Hashable]
) -> dict[Hashable, dict[str, object]]:
    return {
        rename(t.key): {
            name: (len(values), t.percentile(name, 50), t.percentile(name, 90))
            for name, values in t.minutes.items()
        }
        for t in rows
    }


def test_trip_times_per_doctor_and_department_equal_numpy(case: StoredCase) -> None:
    outcomes = case.report().outcomes
    departments = _ids(case, db_tables.Department)
    doctors = _invert(case.stored.doctor_ids)
    assert _hand_trips(case, lambda c: c.department_code) == _as_trips(
        outcomes.trip_by_department,
        lambda k: departments[k],  # type: ignore[index]
    )
    by_doctor = _hand_trips(case, lambda c: c.doctor_code)
    assert by_doctor == _as_trips(outcomes.trip_by_doctor, lambda k: doctors[k])  # type: ignore[index]
    assert _hand_trips(case, lambda c: "all") == _as_trips([outcomes.trip_overall], lambda k: k)
    medians = {t.key: t.percentile("on_road", 50) for t in outcomes.trip_by_doctor if t.calls > 30}
    slow = [doctors[k] for k, m in medians.items() if m and m > 1.5 * min(medians.values())]  # type: ignore[index,operator,type-var]
    district_codes = sorted(d.code for d in case.month.doctors if d.district_code)
    assert sorted(slow) == district_codes[-3:]  # the generator's slow doctors stand out


def test_hour_breakdown_of_calls_and_deadlines_equals_hand_count(case: StoredCase) -> None:
    report = case.report()
    by_hour = _hand_sla(case, lambda c: c.created_at.astimezone(MOSCOW).hour)
    assert _as_hand(report.sla.by_hour, lambda k: k) == by_hour
    assert [c.key for c in report.sla.by_hour] == sorted(by_hour)
    assert sum(c.calls for c in report.sla.by_hour) == len(case.month.calls)
    table = next(t for t in tables(report) if t.name == "sla_hours")
    assert [row[0] for row in table.rows] == [f"{h:02d}:00–{h:02d}:59" for h in sorted(by_hour)]


def test_outcome_tables_name_departments_doctors_and_profiles(case: StoredCase) -> None:
    found = {t.name: t for t in tables(case.report())}
    results = found["results_departments"]
    assert results.columns[2:8] == tuple(r.label for r in ServiceResult)
    names = {row[0]: row[1] for row in results.rows}
    served = Counter(c.department_code for c in case.month.calls if c.result)
    assert names == {
        "Взрослое поликлиническое отделение": served["ADULT"],
        "Детское поликлиническое отделение": served["CHILD"],
    }
    assert {row[0] for row in found["results_profiles"].rows} >= {"Т — терапевт", "П — педиатр"}
    assert found["trip_departments"].rows[0][0] == "Все отделения"
    assert len(found["trip_doctors"].rows) == len(
        {c.doctor_code for c in case.month.calls if c.card and c.departed_at}
    )
    summary = dict(cast(list[tuple[Cell, Cell]], found["summary"].rows))
    with_result = [c for c in case.month.calls if c.result]
    assert summary["Вызовов с результатом"] == len(with_result)
    hospitalised = sum(c.result == "hospitalised" for c in with_result)
    assert summary["Госпитализировано, %"] == round(100 * hospitalised / len(with_result), 1)
    top = found["diagnosis_top"].rows[0]
    assert top[1] == "X" and isinstance(top[2], int)


def test_a_doctor_on_the_way_counts_for_the_departure_stage_only(case: StoredCase) -> None:
    active = next(c for c in case.month.calls if c.status.value == "active" and c.card is not None)
    call_id = case.stored.call_ids[active.index]
    assert active.assigned_at is not None
    departed = active.assigned_at + timedelta(minutes=17)
    with case.db.session() as session:
        card = session.get(CallServiceCard, call_id)
        assert card is not None
        card.departed_at = departed
    try:
        outcomes = case.report().outcomes
    finally:
        with case.db.session() as session:
            card = session.get(CallServiceCard, call_id)
            assert card is not None
            card.departed_at = None
    before = _hand_trips(case, lambda c: "all")["all"]
    after = _as_trips([outcomes.trip_overall], lambda k: k)["all"]
    assert after["to_depart"][0] == before["to_depart"][0] + 1  # type: ignore[index]
    assert after["on_road"][0] == before["on_road"][0]  # type: ignore[index]
    assert sum(r.total for r in outcomes.by_department) == sum(
        1 for c in case.month.calls if c.result
    )
