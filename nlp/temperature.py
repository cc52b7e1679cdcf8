"""Body temperature stated in a complaint: the highest value, never an age, pulse or pressure."""

from __future__ import annotations

import re
from dataclasses import dataclass

LOWEST = 34.0
HIGHEST = 43.0
# A decimal in this band reads as a temperature even without the word «температура».
BARE_DECIMAL = (35.0, 42.0)
ANCHOR_REACH = 45  # characters between «температура» and its number

_ANCHOR = re.compile(
    r"(?:температур|темпиратур|тимператур|темпратур|темперт|темпер|темп|тем-ра|т-ра"
    r"|жар|лихорад|градусник)\w*"
    r"|(?<![а-яa-z])[tт](?=\s*[=:°.-]?\s*(?:тела\s+)?(?:до\s+|max\s+|макс\w*\.?\s+)?\d)"
)
# Keywords that own the numbers after them: a number nearer to one of these is not a temperature.
_OTHER = re.compile(
    r"пульс|чсс|сатурац|\bсат\b|spo|\bад\b|давлен|сахар|глюкоз|\bвес|\bрост|возраст"
    r"|недел|беремен|срок|этаж|\bкв\b|квартир|\bдом\b|\bд\.|корп|подъезд"
)
_NUMBER = re.compile(
    r"(?<![\d/.,])(?P<int>\d{2})"
    r"(?:\s?[.,]\s?(?P<frac>\d)\d?(?![\d/])|\s+и\s+(?P<and>\d)(?!\d|[.,]\d)"
    r"|(?P<half>\s+с\s+половин\w*)|(?![\d/]))"
)
_UNIT_AFTER = re.compile(
    r"\s*(?:-?\s*(?:лет|год|мес|нед|дн|день|дня|сут|раз|кг|г\b|мл|мг|%|мин|час|ч\b|уд|см|мм"
    r"|ед|ммоль|шт|км|эт|кв|кор|стр|подъезд|руб))"
)
_PERSON_BEFORE = re.compile(r"(?:\bу\s+[а-я]+|реб[её]н\w*|малыш\w*)[\s,:]*$")
_PERSON_AFTER = re.compile(r"\s*у\s+[а-я]+")
_DEGREES_AFTER = re.compile(r"\s*(?:°|градус|гр\.|с\b|c\b)")
_BOUND_BEFORE = re.compile(
    r"(?:[<>≤≥]|\b(?:выше|ниже|более|менее|больше|меньше|свыше|не выше|не ниже))\s*$"
)

_UNITS = {
    "пять": 5,
    "шесть": 6,
    "семь": 7,
    "восемь": 8,
    "девять": 9,
}
_TENTHS = {
    "ноль": 0,
    "один": 1,
    "одна": 1,
    "одну": 1,
    "два": 2,
    "две": 2,
    "три": 3,
    "четыре": 4,
    "пять": 5,
    "шесть": 6,
    "семь": 7,
    "восемь": 8,
    "девять": 9,
}
_SPELLED = re.compile(
    r"\b(?:тридцать\s+(?P<unit>пять|шесть|семь|восемь|девять)|(?P<forty>сорок)(?:\s+(?P<one>один))?)"
    r"(?:\s+(?:и\s+)?(?P<tenth>ноль|одна|одну|один|две|два|три|четыре|пять|шесть|семь|восемь|девять)"
    r"(?:\s+десят\w*)?|\s+с\s+(?P<half>половиной))?\b"
)


@dataclass(frozen=True, slots=True)
class TemperatureValue:
    """One stated body temperature and where it was written."""

    value: float
    start: int
    end: int


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")


def _anchored(text: str, start: int) -> bool:
    """True when the nearest keyword before `start` is a temperature word, close enough."""
    low = max(0, start - ANCHOR_REACH)
    anchors = [m for m in _ANCHOR.finditer(text, low, start + 3) if m.end() <= start]
    if not anchors:
        return False
    others = [m for m in _OTHER.finditer(text, low, start) if m.end() <= start]
    return not others or others[-1].start() < anchors[-1].start()


def _owned_by_other(text: str, start: int) -> bool:
    """True when a pulse/pressure/age keyword stands right before the number."""
    window = text[max(0, start - 14) : start]
    return bool(_OTHER.search(window)) and not _ANCHOR.search(window)


def _about_person(text: str, start: int, end: int) -> bool:
    """«у ребенка 38», «38 у мамы»: a whole number said of a person is their temperature."""
    return bool(
        _PERSON_BEFORE.search(text, max(0, start - 20), start) or _PERSON_AFTER.match(text, end)
    )


def temperatures(text: str) -> tuple[TemperatureValue, ...]:
    """Every body temperature stated in the text, in order."""
    folded = _fold(text)
    found: list[TemperatureValue] = []
    for match in _NUMBER.finditer(folded):
        start, end = match.span()
        whole = int(match["int"])
        tenth = match["frac"] or match["and"]
        if match["and"] and _UNIT_AFTER.match(folded, end):
            # «39 и 2 раза рвота»: the digit after «и» counts something else
            tenth, end = None, match.end("int")
        value = whole + (int(tenth) / 10 if tenth else 0.5 if match["half"] else 0.0)
        if not LOWEST <= value <= HIGHEST:
            continue
        if _BOUND_BEFORE.search(folded[max(0, start - 12) : start]):
            continue
        if _UNIT_AFTER.match(folded, end):
            continue
        degrees = bool(_DEGREES_AFTER.match(folded, end))
        fractional = bool(match["frac"] or match["and"] or match["half"])
        bare = (
            (fractional or _about_person(folded, start, end))
            and BARE_DECIMAL[0] <= value <= BARE_DECIMAL[1]
            and not _owned_by_other(folded, start)
        )
        if _anchored(folded, start) or degrees or bare:
            found.append(TemperatureValue(value, start, end))
    for match in _SPELLED.finditer(folded):
        start, end = match.span()
        whole = 30 + _UNITS[match["unit"]] if match["unit"] else 40 + (1 if match["one"] else 0)
        tenth = 5 if match["half"] else _TENTHS.get(match["tenth"] or "ноль", 0)
        value = whole + tenth / 10
        if _UNIT_AFTER.match(folded, end) or _BOUND_BEFORE.search(
            folded[max(0, start - 12) : start]
        ):
            continue
        if match["forty"] and not _anchored(folded, start):
            continue
        found.append(TemperatureValue(value, start, end))
    found.sort(key=lambda item: item.start)
    return tuple(found)


def body_temperature(text: str) -> float | None:
    """The highest body temperature stated in the text, or None."""
    values = temperatures(text)
    if not values:
        return None
    return round(max(item.value for item in values), 1)
