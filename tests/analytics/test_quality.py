"""Mismatch rates over plain records: versions apart, missing letters skipped, ordering."""

from __future__ import annotations

from datetime import UTC, datetime

from dispatcher.analytics.quality import dispatch_quality
from dispatcher.analytics.records import CallFact, CardFact

AT = datetime(2026, 10, 1, 9, tzinfo=UTC)


def _fact(n: int, version: str, sent: str | None, needed: str | None) -> CallFact:
    card = CardFact(
        operator_id=7,
        questionnaire="home_visit",
        branch="adult_pressure_high",
        reason_code="64Т",
        reason_letter="Т",
        sent_letter=sent,
        postfactum_letter=needed,
        reason_text="Давление",
        questionnaire_version=version,
    )
    return CallFact(n, "served", "registry", None, None, None, AT, AT, AT, card)


def test_branch_versions_are_judged_apart() -> None:
    facts = [
        _fact(1, "1", "Т", "У"),
        _fact(2, "1", "Т", "У"),
        _fact(3, "1", "Т", "Т"),
        _fact(4, "2", "Т", "Т"),
        _fact(5, "2", "В", "Т"),
        _fact(6, "2", None, None),  # cancelled before anyone was sent: not compared
    ]
    quality = dispatch_quality(facts)
    rows = {m.key[1]: (m.total, m.mismatched, dict(m.instead)) for m in quality.by_branch}  # type: ignore[index]
    assert rows == {"1": (3, 2, {"У": 2}), "2": (2, 0, {})}
    assert quality.by_branch[0].key[1] == "1"  # type: ignore[index]  # the worst first
    assert (quality.cards, quality.complete, quality.exact) == (6, 5, 2)
    assert [(m.key, m.total, m.mismatched) for m in quality.shortage] == [("Т", 5, 1)]
    assert {m.key: (m.total, m.mismatched) for m in quality.by_sent} == {"Т": (4, 2), "В": (1, 1)}


def test_calls_without_a_card_are_not_counted() -> None:
    bare = CallFact(9, "served", "ambulance", None, None, None, AT, AT, AT, None)
    quality = dispatch_quality([bare])
    assert quality.cards == 0 and quality.by_operator == [] and quality.coded_vs_needed.rate is None
