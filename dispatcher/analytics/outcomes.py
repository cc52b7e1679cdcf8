"""What the service cards say happened: result codes, ICD-10 groups, the doctor's trip times.

Results count served calls with a result code (the card's, else the call's); refusals of
hospitalisation are listed with their reasons. Diagnoses count calls, not codes: a call
with J06.9 and J20.9 counts once for class X and once for each category. Trip stages run
from the last assignment (the doctor who went) to departure, departure to arrival, arrival
to the end of the visit; a stage counts only when both its points are recorded in order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dispatcher.analytics.distribution import percentile
from dispatcher.analytics.icd10 import CHAPTERS, Chapter, category, chapter
from dispatcher.analytics.records import CallFact
from intake_core.call import ServiceResult

TOP_CATEGORIES = 20
STAGES = (
    ("to_depart", "Назначение → выезд"),
    ("on_road", "Выезд → прибытие"),
    ("at_patient", "Прибытие → окончание"),
)


@dataclass(slots=True)
class ResultCounts:
    """Served calls of one group by result code."""

    key: Hashable
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, result: ServiceResult) -> float | None:
        return self.counts[result.value] / self.total if self.total else None


def _by_total(rows: Iterable[ResultCounts]) -> list[ResultCounts]:
    return sorted(rows, key=lambda r: (-r.total, str(r.key)))


def results_by(
    facts: Iterable[CallFact], key: Callable[[CallFact], Hashable]
) -> list[ResultCounts]:
    """Result codes per group, the busiest group first."""
    groups: dict[Hashable, ResultCounts] = {}
    for fact in facts:
        if fact.outcome is None or fact.outcome.result is None:
            continue
        k = key(fact)
        groups.setdefault(k, ResultCounts(k)).counts[fact.outcome.result] += 1
    return _by_total(groups.values())


def refusal_reasons(facts: Iterable[CallFact]) -> Counter[str]:
    """Why patients refused hospitalisation, as the doctors wrote it (trimmed)."""
    reasons: Counter[str] = Counter()
    for fact in facts:
        outcome = fact.outcome
        if outcome is not None and outcome.result == ServiceResult.REFUSED_HOSPITALISATION:
            reasons[(outcome.result_reason or "").strip() or "Причина не указана"] += 1
    return reasons


@dataclass(frozen=True, slots=True)
class Diagnoses:
    """Calls per ICD-10 class and per category (top), and what could not be read as ICD-10."""

    calls_with_codes: int
    chapters: list[tuple[Chapter, int]]
    categories: list[tuple[str, Chapter | None, int]]
    unreadable: Counter[str]


def diagnoses(facts: Iterable[CallFact], top: int = TOP_CATEGORIES) -> Diagnoses:
    chapters: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    unreadable: Counter[str] = Counter()
    with_codes = 0
    read: dict[str, tuple[str | None, str | None]] = {}  # code → (category, class): a few
    for fact in facts:
        codes = fact.outcome.diagnoses if fact.outcome is not None else ()
        if not codes:
            continue
        with_codes += 1
        heads: set[str] = set()
        classes: set[str] = set()
        for code in codes:
            found = read.get(code)
            if found is None:
                head = category(code)
                group = chapter(head) if head else None
                found = read[code] = (head, group.number if group else None)
            if found[0] is None:
                unreadable[code] += 1
                continue
            heads.add(found[0])
            if found[1] is not None:
                classes.add(found[1])
        categories.update(heads)
        chapters.update(classes)
    by_number = {c.number: c for c in CHAPTERS}
    ordered = sorted(categories.items(), key=lambda item: (-item[1], item[0]))[:top]
    return Diagnoses(
        calls_with_codes=with_codes,
        chapters=[
            (by_number[n], count)
            for n, count in sorted(chapters.items(), key=lambda i: (-i[1], by_number[i[0]].first))
        ],
        categories=[(code, chapter(code), count) for code, count in ordered],
        unreadable=unreadable,
    )


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    minutes = (end - start) / timedelta(minutes=1)
    return minutes if minutes >= 0 else None


def trip_stages(fact: CallFact) -> dict[str, float | None]:
    """One call's three stages in minutes (None where a point is missing or out of order)."""
    o = fact.outcome
    if o is None:
        return {name: None for name, _ in STAGES}
    return {
        "to_depart": _minutes(fact.assigned_at, o.departed_at),
        "on_road": _minutes(o.departed_at, o.arrived_at),
        "at_patient": _minutes(o.arrived_at, o.finished_at),
    }


@dataclass(slots=True)
class TripTimes:
    """Stage durations (minutes) of one group's calls."""

    key: Hashable
    minutes: dict[str, list[float]] = field(
        default_factory=lambda: {name: [] for name, _ in STAGES}
    )

    @property
    def calls(self) -> int:
        return max(len(values) for values in self.minutes.values())

    def percentile(self, stage: str, q: float) -> float | None:
        return percentile(sorted(self.minutes[stage]), q)


StagePairs = list[tuple[CallFact, dict[str, float | None]]]


def stage_pairs(facts: Iterable[CallFact]) -> StagePairs:
    """Each call with a recorded stage, beside its stages: computed once, grouped many ways."""
    pairs = ((fact, trip_stages(fact)) for fact in facts if fact.outcome is not None)
    return [(f, s) for f, s in pairs if any(v is not None for v in s.values())]


def trip_times(pairs: StagePairs, key: Callable[[CallFact], Hashable]) -> list[TripTimes]:
    """Stage durations per group, the group with most calls first."""
    groups: dict[Hashable, TripTimes] = {}
    for fact, stages in pairs:
        k = key(fact)
        group = groups.get(k)
        if group is None:
            group = groups[k] = TripTimes(k)
        for name, value in stages.items():
            if value is not None:
                group.minutes[name].append(value)
    return sorted(groups.values(), key=lambda g: (-g.calls, str(g.key)))
