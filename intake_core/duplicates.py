"""Duplicates are the same person, never the same household: who a call is for, and how to tell."""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar


def normalize_name(value: str | None) -> str:
    """«  Семёнова-Тян  » and «семенова-тян» compare equal: case, ё/е and spaces aside."""
    return " ".join((value or "").casefold().replace("ё", "е").split())


@dataclass(frozen=True, slots=True)
class Identity:
    """What identifies a patient: the ОМС policy (ЕНП), or the name with the birth date."""

    policy_number: str | None
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date | None

    @property
    def identified(self) -> bool:
        """A policy, or a name with a birth date: enough to merge without a person looking."""
        return bool(self.policy_number) or self.birth_date is not None

    def same_name(self, other: Identity) -> bool:
        """Last and first name match; the middle name too when both calls give one."""
        if normalize_name(self.last_name) != normalize_name(other.last_name):
            return False
        if normalize_name(self.first_name) != normalize_name(other.first_name):
            return False
        mine, theirs = normalize_name(self.middle_name), normalize_name(other.middle_name)
        return not (mine and theirs and mine != theirs)

    def same_person(self, other: Identity) -> bool:
        """The same policy; or, unless two different policies say otherwise, the same name and
        birth date. A shared phone or address never makes two people one."""
        if self.policy_number and other.policy_number:
            return self.policy_number == other.policy_number
        if self.birth_date is None or other.birth_date is None:
            return False
        return self.birth_date == other.birth_date and self.same_name(other)


class Verdict(enum.Enum):
    """What the intake does with a new request, given the open calls around it."""

    NEW = "new"  # nobody else open: a call of its own
    MERGE = "merge"  # the same person's open call: add this request to it
    HOUSEHOLD = "household"  # another person at the same phone and address: a second call
    ASK = "ask"  # cannot tell who it is, phone and address match an open call: a person decides


@dataclass(frozen=True, slots=True)
class Match:
    verdict: Verdict
    call_ids: tuple[int, ...] = ()  # the call to merge into, or the household's open calls


def judge(
    new: Identity,
    same_person: list[tuple[int, Identity]],
    same_home: list[tuple[int, Identity]],
) -> Match:
    """Decide from the open calls found by identity (`same_person` candidates) and by the same
    phone and address (`same_home`); candidates are filtered here, where the rule lives."""
    for call_id, identity in same_person:
        if new.same_person(identity):
            return Match(Verdict.MERGE, (call_id,))
    home = tuple(call_id for call_id, identity in same_home if not new.same_person(identity))
    if not home:
        return Match(Verdict.NEW)
    unsure = not new.identified or any(
        not identity.identified and new.same_name(identity) for _, identity in same_home
    )
    return Match(Verdict.ASK if unsure else Verdict.HOUSEHOLD, home)


def possible_duplicate_reason(numbers: list[int]) -> str:
    """The pending reason a person reads on the desk."""
    listed = ", ".join(f"№ {n}" for n in numbers)
    return (
        f"Возможный дубликат: тот же телефон и адрес, что у открытого вызова {listed}; "
        "пациент не идентифицирован (нет полиса и даты рождения) — решите, тот же ли это человек"
    )


def household_note(numbers: list[int]) -> str:
    """The history note of a second call at the same phone and address."""
    listed = ", ".join(f"№ {n}" for n in numbers)
    return f"Одна семья/один адрес: открытый вызов {listed} — другой пациент"


def household_label(numbers: list[int]) -> str:
    """The marker beside a call in the desk list and on the route sheet."""
    return "Одна семья/один адрес: " + ", ".join(f"№ {n}" for n in numbers)


T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def together(items: Sequence[T], key: Callable[[T], K | None]) -> list[T]:
    """`items` in their order, except that items with one key follow the first of them: a
    household's calls stay adjacent in a list and on a route sheet. A None key stays put."""
    slots: list[list[T]] = []
    slot_of: dict[K, list[T]] = {}
    for item in items:
        group = key(item)
        if group is None:
            slots.append([item])
        elif group in slot_of:
            slot_of[group].append(item)
        else:
            slot_of[group] = [item]
            slots.append(slot_of[group])
    return [item for slot in slots for item in slot]
