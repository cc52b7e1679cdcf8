"""Analytics figures from the database equal the ones counted by hand from the generated month.

Every expectation is recomputed here from the generator's own records (codes, not ids), with
plain loops and numpy, never by the functions under test.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy
import pytest
from sqlalchemy import update

from dispatcher.analytics.records import Period
from dispatcher.analytics.sla import Compliance
from dispatcher.demo.month import MonthCall
from dispatcher.storage import tables
from intake_core.status import CallStatus
from tests.analytics.conftest import StoredCase

MOSCOW = ZoneInfo("Europe/Moscow")
K = TypeVar("K", bound=Hashable)  # a group key of the hand count


def _invert(ids: dict[str, int]) -> dict[int, str]:
    return {value: key for key, value in ids.items()}


def _carded(case: StoredCase) -> list[MonthCall]:
    return [c for c in case.month.calls if c.card is not None]


def test_month_is_thousands_of_calls_with_cards(case: StoredCase) -> None:
    report = case.report()
    assert len(case.month.calls) > 2000
    assert report.calls == len(case.month.calls)
    assert report.quality.cards == len(_carded(case))
    reassigned = [c for c in case.month.calls if c.assigned_at != c.first_assigned_at]
    assert len(reassigned) > 50  # their «time to assign» ends at the first assignment
    statuses = Counter(c.status for c in case.month.calls)
    assert statuses[CallStatus.SERVED] > 0.9 * len(case.month.calls)
    assert statuses[CallStatus.CANCELLED] and statuses[CallStatus.ACTIVE]


def test_reason_vs_postfactum_per_operator_equals_hand_count(case: StoredCase) -> None:
    expected: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for call in _carded(case):
        card = call.card
        assert card is not None
        if card.postfactum_letter is None:
            continue
        expected[card.operator_login][0] += 1
        expected[card.operator_login][1] += card.postfactum_letter != card.branch.letter
    logins = _invert(case.stored.operator_ids)
    got = {
        logins[m.key] if m.key is not None else None: [m.total, m.mismatched]  # type: ignore[index]
        for m in case.report().quality.by_operator
    }
    assert got == dict(expected)


def test_weak_operator_stands_out(case: StoredCase) -> None:
    rows = case.report().quality.by_operator
    logins = _invert(case.stored.operator_ids)
    worst = rows[0]
    assert logins[worst.key] == "month-op3"  # type: ignore[index]
    others = [m.rate for m in rows[1:] if m.key is not None and m.rate is not None]
    assert worst.rate is not None and worst.rate > 1.4 * (sum(others) / len(others))


def test_reason_vs_postfactum_per_branch_equals_hand_count(case: StoredCase) -> None:
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for call in _carded(case):
        card = call.card
        assert card is not None
        if card.postfactum_letter is not None:
            key = (card.branch.id, card.branch.reason_code)
            expected[key][0] += 1
            expected[key][1] += card.postfactum_letter != card.branch.letter
    got = {
        (m.key[2], m.key[3]): [m.total, m.mismatched]  # type: ignore[index]
        for m in case.report().quality.by_branch
    }
    assert got == dict(expected)
    versions = {m.key[:2] for m in case.report().quality.by_branch}  # type: ignore[index]
    assert versions == {(case.month.questionnaire_id, case.month.questionnaire_version)}
    rates = {branch: mismatched / total for (branch, _), (total, mismatched) in expected.items()}
    assert rates["adult_pressure_high"] > 2 * rates["adult_fever_home"]
    assert rates["child_rash_home"] > 2 * rates["child_fever"]


def test_shortage_reason_vs_sent_by_profile_equals_hand_count(case: StoredCase) -> None:
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    substitutes: dict[str, Counter[str]] = defaultdict(Counter)
    for call in _carded(case):
        card = call.card
        assert card is not None
        if card.sent_letter is None:
            continue
        expected[card.branch.letter][0] += 1
        if card.sent_letter != card.branch.letter:
            expected[card.branch.letter][1] += 1
            substitutes[card.branch.letter][card.sent_letter] += 1
    rows = case.report().quality.shortage
    assert {m.key: [m.total, m.mismatched] for m in rows} == dict(expected)
    assert {m.key: dict(m.instead) for m in rows if m.instead} == {
        k: dict(v) for k, v in substitutes.items()
    }
    assert rows[0].key == "У"  # specialists are the scarcest profile
    pediatric = next(m for m in rows if m.key == "П")
    assert pediatric.instead.keys() == {"В", "Ф"}


def test_sent_vs_postfactum_equals_hand_count(case: StoredCase) -> None:
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for call in _carded(case):
        card = call.card
        assert card is not None
        if card.sent_letter is not None and card.postfactum_letter is not None:
            expected[card.sent_letter][0] += 1
            expected[card.sent_letter][1] += card.postfactum_letter != card.sent_letter
    quality = case.report().quality
    assert {m.key: [m.total, m.mismatched] for m in quality.by_sent} == dict(expected)
    complete = [
        c.card for c in _carded(case) if c.card and c.card.sent_letter and c.card.postfactum_letter
    ]
    assert quality.complete == len(complete)
    assert quality.exact == sum(
        c.branch.letter == c.sent_letter == c.postfactum_letter for c in complete
    )


@dataclass
class HandGroup:
    """Counted by hand: calls, (counted, within) for each deadline, and the raw durations."""

    calls: int = 0
    assign: tuple[int, int] = (0, 0)
    serve: tuple[int, int] = (0, 0)
    assign_minutes: list[float] = field(default_factory=list)
    serve_hours: list[float] = field(default_factory=list)

    def figures(self) -> dict[str, object]:
        def p(values: list[float], q: int) -> float | None:
            return float(numpy.percentile(values, q)) if values else None

        return {
            "calls": self.calls,
            "assign": self.assign,
            "serve": self.serve,
            "a50": p(self.assign_minutes, 50),
            "a90": p(self.assign_minutes, 90),
            "s50": p(self.serve_hours, 50),
            "s90": p(self.serve_hours, 90),
        }


def _hand_sla(
    case: StoredCase,
    key: Callable[[MonthCall], K],
    assign_limit: timedelta = timedelta(minutes=30),
    serve_limit: timedelta = timedelta(hours=24),
) -> dict[K, dict[str, object]]:
    now = case.month.now
    groups: dict[K, HandGroup] = {}
    for call in case.month.calls:
        g = groups.setdefault(key(call), HandGroup())
        g.calls += 1
        counted, within = g.assign
        if call.first_assigned_at is not None:  # the first assignment, not a later one
            delay = call.first_assigned_at - call.created_at
            g.assign = (counted + 1, within + (delay <= assign_limit))
            g.assign_minutes.append(delay.total_seconds() / 60)
        elif call.status is CallStatus.NEW and now - call.created_at > assign_limit:
            g.assign = (counted + 1, within)
        counted, within = g.serve
        if call.served_at is not None and call.assigned_at is not None:
            delay = call.served_at - call.assigned_at
            g.serve = (counted + 1, within + (delay <= serve_limit))
            g.serve_hours.append(delay.total_seconds() / 3600)
        elif call.status is CallStatus.ACTIVE and call.assigned_at is not None:
            g.serve = (counted + (now - call.assigned_at > serve_limit), within)
    return {k: g.figures() for k, g in groups.items()}


def _as_hand(
    rows: list[Compliance], rename: Callable[[Hashable], Hashable]
) -> dict[Hashable, dict[str, object]]:
    return {
        rename(c.key): {
            "calls": c.calls,
            "assign": (c.assign_counted, c.assign_within),
            "serve": (c.serve_counted, c.serve_within),
            "a50": _approx(c.assign_percentile(50)),
            "a90": _approx(c.assign_percentile(90)),
            "s50": _approx(c.serve_percentile(50)),
            "s90": _approx(c.serve_percentile(90)),
        }
        for c in rows
    }


def _approx(value: float | None) -> object:
    return None if value is None else pytest.approx(value)


def _ids(
    case: StoredCase, table: type[tables.Department] | type[tables.District]
) -> dict[int, str]:
    with case.db.session() as session:
        rows = session.query(table.id, table.code).filter(table.mo_id == case.stored.mo_id)
        return {row_id: code for row_id, code in rows}


def test_sla_per_department_and_district_equal_hand_count(case: StoredCase) -> None:
    sla = case.report().sla
    departments = _ids(case, tables.Department)
    districts = _ids(case, tables.District)
    assert _as_hand(sla.by_department, lambda k: departments[k]) == _hand_sla(  # type: ignore[index]
        case, lambda c: c.department_code
    )
    assert _as_hand(sla.by_district, lambda k: districts[k]) == _hand_sla(  # type: ignore[index]
        case, lambda c: c.district_code
    )
    by_code = {departments[c.key]: c for c in sla.by_department}  # type: ignore[index]
    assert by_code["CHILD"].assign_share < by_code["ADULT"].assign_share  # type: ignore[operator]


def test_sla_per_day_and_channel_equal_hand_count(case: StoredCase) -> None:
    sla = case.report().sla
    by_day = _hand_sla(case, lambda c: c.created_at.astimezone(MOSCOW).date())
    assert _as_hand(sla.by_day, lambda k: k) == by_day
    assert len(by_day) == 31
    assert _as_hand(sla.by_channel, lambda k: k) == _hand_sla(case, lambda c: c.channel.value)
    overall = _hand_sla(case, lambda c: "all")["all"]
    assert (sla.overall.assign_counted, sla.overall.assign_within) == overall["assign"]
    assert (sla.overall.serve_counted, sla.overall.serve_within) == overall["serve"]


def test_sla_distributions_equal_numpy(case: StoredCase) -> None:
    sla = case.report().sla
    assign = [
        (c.first_assigned_at - c.created_at).total_seconds() / 60
        for c in case.month.calls
        if c.first_assigned_at is not None
    ]
    serve = [
        (c.served_at - c.assigned_at).total_seconds() / 3600
        for c in case.month.calls
        if c.served_at is not None and c.assigned_at is not None
    ]
    for q in (50, 75, 90, 95):
        assert sla.assign.percentiles[q] == pytest.approx(numpy.percentile(assign, q))
        assert sla.serve.percentiles[q] == pytest.approx(numpy.percentile(serve, q))
    assert sla.assign.maximum == pytest.approx(max(assign))
    edges = [-numpy.inf, 10, 30, 60, 120, 240, numpy.inf]
    counts = [sum(lo < v <= hi for v in assign) for lo, hi in itertools.pairwise(edges)]
    assert [b.count for b in sla.assign.buckets] == counts
    assert sum(b.count for b in sla.serve.buckets) == len(serve)


def test_sla_follows_the_mo_deadline_settings(case: StoredCase) -> None:
    with case.db.session() as session:
        session.execute(
            update(tables.MedicalOrganization)
            .where(tables.MedicalOrganization.id == case.stored.mo_id)
            .values(assign_deadline_minutes=15, serve_deadline_hours=12)
        )
    try:
        sla = case.report().sla
    finally:
        with case.db.session() as session:
            session.execute(
                update(tables.MedicalOrganization)
                .where(tables.MedicalOrganization.id == case.stored.mo_id)
                .values(assign_deadline_minutes=30, serve_deadline_hours=24)
            )
    hand = _hand_sla(case, lambda c: "all", timedelta(minutes=15), timedelta(hours=12))["all"]
    assert (sla.overall.assign_counted, sla.overall.assign_within) == hand["assign"]
    assert (sla.overall.serve_counted, sla.overall.serve_within) == hand["serve"]
    assert sla.overall.assign_share < case.report().sla.overall.assign_share  # type: ignore[operator]


def test_doctor_load_equals_hand_count(case: StoredCase) -> None:
    expected: dict[str, dict[str, object]] = {}
    days: dict[str, Counter[date]] = defaultdict(Counter)
    for call in case.month.calls:
        if call.doctor_code is None:
            continue
        row = expected.setdefault(call.doctor_code, {"calls": 0, "served": 0, "substitute": 0})
        row["calls"] += 1  # type: ignore[operator]
        row["served"] += call.status is CallStatus.SERVED  # type: ignore[operator]
        card = call.card
        if card is not None and card.sent_letter is not None:
            row["substitute"] += card.sent_letter != card.branch.letter  # type: ignore[operator]
        moment = call.served_at or call.assigned_at
        assert moment is not None
        days[call.doctor_code][moment.astimezone(MOSCOW).date()] += 1
    for code, row in expected.items():
        row["days"] = len(days[code])
        row["busiest"] = max(days[code].values())
    codes = _invert(case.stored.doctor_ids)
    got = {
        codes[d.doctor_id]: {
            "calls": d.calls,
            "served": d.served,
            "substitute": d.substitute,
            "days": d.days,
            "busiest": d.busiest,
        }
        for d in case.report().load
    }
    assert got == expected


def test_period_counts_local_days_only(case: StoredCase) -> None:
    week = Period(date(2026, 10, 5), date(2026, 10, 11))
    report = case.report(week)
    inside = [
        c
        for c in case.month.calls
        if week.first <= c.created_at.astimezone(MOSCOW).date() <= week.last
    ]
    assert report.calls == len(inside) > 0
    assert {c.key for c in report.sla.by_day} == {week.first + timedelta(days=n) for n in range(7)}


def test_report_counts_only_the_mo_calls(case: StoredCase) -> None:
    from dispatcher.demo.month import generate_month
    from dispatcher.demo.month_store import mo_layout, store_month

    before = case.report().calls
    with case.db.session() as session:
        _, districts = mo_layout(session, "DEMO-KRASNOGORSK")
        other = generate_month(date(2026, 10, 1), districts, seed=3, calls_per_day=10, days=3)
        store_month(session, "DEMO-KRASNOGORSK", other)
    assert case.report().calls == before
