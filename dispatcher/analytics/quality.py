"""Dispatch-code mismatches: reason≠post-factum (operators, branches), reason≠sent, sent≠needed.

The dispatch code is three letters: the reason letter the questionnaire gave, the profile of
the doctor sent and the profile the doctor says was needed. Reason≠post-factum finds weak
operators and weak questionnaire branches; reason≠sent is the shortage of a profile;
sent≠post-factum is help given by not quite the right doctor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

from dispatcher.analytics.records import CallFact, CardFact


@dataclass(slots=True)
class Mismatch:
    """Cards compared in one group, how many differ, and the letters they differed to."""

    key: Hashable
    total: int = 0
    mismatched: int = 0
    instead: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float | None:
        return self.mismatched / self.total if self.total else None

    def add(self, expected: str, actual: str) -> None:
        self.total += 1
        if actual != expected:
            self.mismatched += 1
            self.instead[actual] += 1


@dataclass(frozen=True, slots=True)
class DispatchQuality:
    """All mismatch figures of a period."""

    cards: int
    complete: int  # cards with all three letters
    exact: int  # of them, all three letters equal
    coded_vs_needed: Mismatch
    coded_vs_sent: Mismatch
    sent_vs_needed: Mismatch
    by_operator: list[Mismatch]  # key: operator id or None (a bot, the portal)
    by_branch: list[Mismatch]  # key: branch_key()
    shortage: list[Mismatch]  # key: reason letter; `instead`: the letters sent
    by_sent: list[Mismatch]  # key: sent letter; `instead`: the letters needed
    branch_texts: dict[Hashable, str]  # by_branch key → the reason text


def _grouped(
    cards: Iterable[CardFact],
    key: Callable[[CardFact], Hashable],
    pair: Callable[[CardFact], tuple[str | None, str | None]],
) -> list[Mismatch]:
    groups: dict[Hashable, Mismatch] = {}
    for card in cards:
        expected, actual = pair(card)
        if expected is None or actual is None:
            continue
        k = key(card)
        groups.setdefault(k, Mismatch(k)).add(expected, actual)
    return sorted(groups.values(), key=lambda m: (-(m.rate or 0.0), -m.total, str(m.key)))


def _total(
    cards: Iterable[CardFact], pair: Callable[[CardFact], tuple[str | None, str | None]]
) -> Mismatch:
    total = Mismatch("all")
    for card in cards:
        expected, actual = pair(card)
        if expected is not None and actual is not None:
            total.add(expected, actual)
    return total


def _reason_needed(card: CardFact) -> tuple[str | None, str | None]:
    return card.reason_letter, card.postfactum_letter


def _reason_sent(card: CardFact) -> tuple[str | None, str | None]:
    return card.reason_letter, card.sent_letter


def _sent_needed(card: CardFact) -> tuple[str | None, str | None]:
    return card.sent_letter, card.postfactum_letter


def branch_key(card: CardFact) -> tuple[str, str, str, str]:
    """A questionnaire branch per version, so an edited tree is judged apart from the old."""
    return card.questionnaire, card.questionnaire_version, card.branch, card.reason_code


def dispatch_quality(facts: Iterable[CallFact]) -> DispatchQuality:
    """Mismatch rates over the cards of the given calls (calls without a card are skipped)."""
    cards = [fact.card for fact in facts if fact.card is not None]
    complete = [c for c in cards if c.sent_letter is not None and c.postfactum_letter is not None]
    return DispatchQuality(
        cards=len(cards),
        complete=len(complete),
        exact=sum(c.reason_letter == c.sent_letter == c.postfactum_letter for c in complete),
        coded_vs_needed=_total(cards, _reason_needed),
        coded_vs_sent=_total(cards, _reason_sent),
        sent_vs_needed=_total(cards, _sent_needed),
        by_operator=_grouped(cards, lambda c: c.operator_id, _reason_needed),
        by_branch=_grouped(cards, branch_key, _reason_needed),
        shortage=_grouped(cards, lambda c: c.reason_letter, _reason_sent),
        by_sent=_grouped(cards, lambda c: c.sent_letter, _sent_needed),
        branch_texts={branch_key(c): c.reason_text for c in cards},
    )
