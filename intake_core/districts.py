"""Districts (участки): streets with house ranges («Ч(2-20)», «Н(1-19)») matched to an address."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from intake_core.errors import InvalidValue
from intake_core.patient import AgeCategory

_RANGE = re.compile(r"^(?P<parity>[ЧНчн])?\s*\(?\s*(?P<lo>\d+)\s*-\s*(?P<hi>\d+)\s*\)?$")
_SINGLE = re.compile(r"^\d+[\w/]*$")
_HOUSE_NUMBER = re.compile(r"^(\d+)")
_ALL_HOUSES = {"", "все", "*", "весь"}


class HouseRuleError(InvalidValue):
    """A house rule in the catalog that cannot be read; the message is Russian."""

    code = "invalid_house_rule"


@dataclass(frozen=True, slots=True)
class HouseRule:
    """Houses of one street in a district: a range (optionally even/odd only) or one house."""

    lo: int | None = None
    hi: int | None = None
    parity: str | None = None  # "even", "odd" or None
    house: str | None = None  # one exact house, e.g. "27К1"

    def matches(self, house: str) -> bool:
        normalized = normalize_house(house)
        if self.house is not None:
            return normalized == self.house
        if self.lo is None or self.hi is None:
            return True
        found = _HOUSE_NUMBER.match(normalized)
        if not found:
            return False
        number = int(found.group(1))
        if not self.lo <= number <= self.hi:
            return False
        if self.parity == "even":
            return number % 2 == 0
        if self.parity == "odd":
            return number % 2 == 1
        return True


def normalize_house(house: str) -> str:
    return re.sub(r"\s+", "", house).upper()


def parse_house_rules(text: str) -> tuple[HouseRule, ...]:
    """«Ч(2-20), Н(1-19), 25, 27к1» → rules; an empty text or «все» means every house."""
    parts = [p.strip() for p in re.split(r"[;,]", text or "")]
    if all(p.casefold() in _ALL_HOUSES for p in parts):
        return (HouseRule(),)
    rules: list[HouseRule] = []
    for part in parts:
        if not part:
            continue
        found = _RANGE.match(part)
        if found:
            lo, hi = int(found.group("lo")), int(found.group("hi"))
            if lo > hi:
                raise HouseRuleError(f"Диапазон домов «{part}»: начало больше конца")
            parity = {"ч": "even", "н": "odd"}.get((found.group("parity") or "").lower())
            rules.append(HouseRule(lo=lo, hi=hi, parity=parity))
        elif _SINGLE.match(part):
            rules.append(HouseRule(house=normalize_house(part)))
        else:
            raise HouseRuleError(f"Непонятное обозначение домов «{part}»")
    return tuple(rules)


def street_key(name: str) -> str:
    return re.sub(r"\s+", " ", name.casefold().replace("ё", "е")).strip()


@dataclass(frozen=True, slots=True)
class DistrictStreet:
    city: str | None
    street: str
    street_type: str | None
    houses: tuple[HouseRule, ...]


@dataclass(frozen=True, slots=True)
class District:
    """One участок of an MO's department, adult or children's."""

    code: str
    name: str
    department_code: str
    category: AgeCategory
    streets: tuple[DistrictStreet, ...]


@dataclass(frozen=True, slots=True)
class DistrictMatch:
    district: District
    street: DistrictStreet


class DistrictCatalog:
    """An MO's districts, indexed by street for fast matching."""

    def __init__(self, districts: Iterable[District]) -> None:
        self.districts = tuple(districts)
        self._by_street: dict[str, list[tuple[District, DistrictStreet]]] = {}
        for district in self.districts:
            for street in district.streets:
                self._by_street.setdefault(street_key(street.street), []).append((district, street))

    def streets(self) -> list[DistrictStreet]:
        return [s for d in self.districts for s in d.streets]

    def match(
        self,
        city: str | None,
        street: str | None,
        house: str | None,
        category: AgeCategory | None,
    ) -> DistrictMatch | None:
        """The district serving this house for this age category, or None."""
        if not street or not house:
            return None
        candidates = self._by_street.get(street_key(street), [])
        preferred = category or AgeCategory.ADULT
        for want in (preferred, None):
            for district, entry in candidates:
                if want is not None and district.category is not want:
                    continue
                if city and entry.city and street_key(city) != street_key(entry.city):
                    continue
                if any(rule.matches(house) for rule in entry.houses):
                    return DistrictMatch(district, entry)
            if category is not None:
                # an adult address must not fall back into a children's district and vice versa
                break
        return None
