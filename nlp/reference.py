"""The street catalog of a medical organisation and a built-in gazetteer, for fuzzy correction."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from nlp.address_gazetteer import CITIES, CITY_ABBREVIATIONS, COMMON_STREETS

SETTLEMENTS_FILE = Path(__file__).with_name("data") / "ru_settlements.tsv"
# Settlements at least this large are also candidates for typo correction.
FUZZY_SETTLEMENT_POPULATION = 20_000

# Below these rapidfuzz ratios a name is left as written: a wrong correction is worse than a typo.
STREET_MIN_SCORE = 85.0
CITY_MIN_SCORE = 85.0

_SPACES = re.compile(r"\s+")
_STRIP = re.compile(r"[«»\"'.]")


@lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """Comparison key of a name: casefolded, ё as е, no quotes or dots, single spaces."""
    text = _STRIP.sub(" ", text.casefold().replace("ё", "е"))
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class StreetEntry:
    """One street of the medical organisation's district catalog."""

    city: str | None
    street: str
    street_type: str | None


@dataclass(frozen=True, slots=True)
class StreetMatch:
    """A catalog entry found for a parsed street, with the rapidfuzz score (0..100)."""

    entry: StreetEntry
    score: float


class StreetReference:
    """Finds the catalog street (and the city) closest to a parsed one; the catalog may be empty."""

    def __init__(self, streets: Iterable[StreetEntry]) -> None:
        self._entries: tuple[StreetEntry, ...] = tuple(streets)
        self._by_key: dict[str, list[StreetEntry]] = {}
        self._by_city: dict[str, dict[str, list[StreetEntry]]] = {}
        for entry in self._entries:
            key = fold(entry.street)
            self._by_key.setdefault(key, []).append(entry)
            if entry.city:
                city_streets = self._by_city.setdefault(fold(entry.city), {})
                city_streets.setdefault(key, []).append(entry)
        self._street_keys = list(self._by_key)
        self._cities: dict[str, str] = {fold(name): name for name in CITIES}
        self._cities.update(
            {
                fold(e.city): e.city
                for e in self._entries
                if e.city and fold(e.city) not in self._cities
            }
        )
        settlements = load_settlements()
        self._settlements = {fold(name): name for name in settlements}
        self._city_keys = list(self._cities) + [
            fold(name)
            for name, population in settlements.items()
            if population >= FUZZY_SETTLEMENT_POPULATION and fold(name) not in self._cities
        ]
        self._common_streets = {fold(name): name for name in COMMON_STREETS}
        self._common_keys = list(self._common_streets)

    def __len__(self) -> int:
        return len(self._entries)

    def match_street(
        self, name: str, city: str | None = None, street_type: str | None = None
    ) -> StreetMatch | None:
        """The catalog street for `name` (exact, then fuzzy), preferring the city and the type."""
        if not self._entries:
            return None
        key = fold(name)
        pool = self._by_key
        if city and (city_pool := self._by_city.get(fold(city))):
            pool = city_pool
        entries = pool.get(key) or self._by_key.get(key)
        score = 100.0
        if entries is None:
            keys = list(pool) if pool is not self._by_key else self._street_keys
            found = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=STREET_MIN_SCORE)
            if found is None:
                return None
            entries, score = pool[found[0]], float(found[1])
        return StreetMatch(_prefer_type(entries, street_type), score)

    def city(self, name: str, *, fuzzy: bool = False) -> str | None:
        """The canonical city for a written name or abbreviation; `fuzzy` also forgives typos."""
        key = fold(name)
        found = self._cities.get(key) or CITY_ABBREVIATIONS.get(key)
        if found is not None or not fuzzy or len(key) < 5:
            return found
        match = process.extractOne(
            key, self._city_keys, scorer=fuzz.ratio, score_cutoff=CITY_MIN_SCORE
        )
        if match is None:
            return None
        return self._cities.get(match[0]) or self._settlements[match[0]]

    def settlement(self, name: str) -> str | None:
        """The gazetteer spelling of any Russian settlement of 500+ people (exact name only)."""
        return self._settlements.get(fold(name))

    def common_street(self, name: str) -> str | None:
        """The commonest-street-name spelling of a mistyped `name`, or None when none is close."""
        key = fold(name)
        if key in self._common_streets:
            return self._common_streets[key]
        if len(key) < 5:
            return None
        match = process.extractOne(
            key, self._common_keys, scorer=fuzz.ratio, score_cutoff=STREET_MIN_SCORE
        )
        if match is None or _differs_in_ending(key, match[0]):
            return None
        return self._common_streets[match[0]]


@lru_cache(maxsize=1)
def load_settlements() -> dict[str, int]:
    """Russian settlement names with their population (nlp/data/ru_settlements.tsv)."""
    out: dict[str, int] = {}
    with SETTLEMENTS_FILE.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            name, population = line.rstrip("\n").split("\t")
            out[name] = int(population)
    return out


def _differs_in_ending(a: str, b: str) -> bool:
    """«Панфилово» is not a typo of «Панфилова»: another ending is another name, not a typo."""
    return a[:-1] == b[:-1] or a[:-2] == b[:-2]


def _prefer_type(entries: list[StreetEntry], street_type: str | None) -> StreetEntry:
    for entry in entries:
        if street_type and entry.street_type == street_type:
            return entry
    return entries[0]
