"""Patients: names, birth date → age and age category (a child is under 18)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class Sex(enum.StrEnum):
    MALE = "М"
    FEMALE = "Ж"


class AgeCategory(enum.StrEnum):
    ADULT = "Взрослые"
    CHILD = "Дети"


def age_in_years(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def age_in_months(birth_date: date, today: date) -> int:
    months = (today.year - birth_date.year) * 12 + today.month - birth_date.month
    if today.day < birth_date.day:
        months -= 1
    return months


def age_category(birth_date: date | None, today: date) -> AgeCategory | None:
    if birth_date is None:
        return None
    return AgeCategory.CHILD if age_in_years(birth_date, today) < 18 else AgeCategory.ADULT


def describe_age(birth_date: date, today: date) -> str:
    """«17 лет», «9 месяцев», «1 год» — as the desk and the route sheet show it."""
    years = age_in_years(birth_date, today)
    if years >= 1:
        return f"{years} {_plural(years, 'год', 'года', 'лет')}"
    months = age_in_months(birth_date, today)
    if months >= 1:
        return f"{months} {_plural(months, 'месяц', 'месяца', 'месяцев')}"
    days = (today - birth_date).days
    return f"{days} {_plural(days, 'день', 'дня', 'дней')}"


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


@dataclass(frozen=True, slots=True)
class Patient:
    """The person the doctor visits."""

    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date | None
    sex: Sex | None = None
    policy_series: str | None = None
    policy_number: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def short_name(self) -> str:
        """«Владимирова Е. В.»"""
        initials = "".join(f" {p[0]}." for p in (self.first_name, self.middle_name) if p)
        return f"{self.last_name}{initials}"
