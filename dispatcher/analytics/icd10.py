"""ICD-10 codes grouped as the head of an MO reads them: the class (chapter) and the category."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Chapter:
    """An ICD-10 class: its Roman number, the range of categories and the Russian name."""

    number: str
    first: str  # «A00»
    last: str  # «B99»
    name: str

    @property
    def span(self) -> str:
        return f"{self.first}–{self.last}"


CHAPTERS = (
    Chapter("I", "A00", "B99", "Некоторые инфекционные и паразитарные болезни"),
    Chapter("II", "C00", "D48", "Новообразования"),
    Chapter("III", "D50", "D89", "Болезни крови и иммунные нарушения"),
    Chapter("IV", "E00", "E90", "Болезни эндокринной системы, расстройства питания и обмена"),
    Chapter("V", "F00", "F99", "Психические расстройства и расстройства поведения"),
    Chapter("VI", "G00", "G99", "Болезни нервной системы"),
    Chapter("VII", "H00", "H59", "Болезни глаза и его придаточного аппарата"),
    Chapter("VIII", "H60", "H95", "Болезни уха и сосцевидного отростка"),
    Chapter("IX", "I00", "I99", "Болезни системы кровообращения"),
    Chapter("X", "J00", "J99", "Болезни органов дыхания"),
    Chapter("XI", "K00", "K93", "Болезни органов пищеварения"),
    Chapter("XII", "L00", "L99", "Болезни кожи и подкожной клетчатки"),
    Chapter("XIII", "M00", "M99", "Болезни костно-мышечной системы"),
    Chapter("XIV", "N00", "N99", "Болезни мочеполовой системы"),
    Chapter("XV", "O00", "O99", "Беременность, роды и послеродовой период"),
    Chapter("XVI", "P00", "P96", "Состояния перинатального периода"),
    Chapter("XVII", "Q00", "Q99", "Врождённые аномалии"),
    Chapter("XVIII", "R00", "R99", "Симптомы и признаки, не классифицированные в других рубриках"),
    Chapter("XIX", "S00", "T98", "Травмы и отравления"),
    Chapter("XX", "V01", "Y98", "Внешние причины"),
    Chapter("XXI", "Z00", "Z99", "Факторы, влияющие на здоровье, и обращения"),
    Chapter("XXII", "U00", "U85", "Коды для особых целей"),
)
_CODE = re.compile(r"^([A-Z]\d\d)(?:\.\d{1,2})?$")


def category(code: str) -> str | None:
    """«J06» for «J06.9»; None for what is not an ICD-10 code."""
    found = _CODE.match(code.strip().upper())
    return found.group(1) if found else None


def chapter(code: str) -> Chapter | None:
    """The class a code belongs to (by its three-character category), or None."""
    head = category(code)
    if head is None:
        return None
    for candidate in CHAPTERS:
        if candidate.first <= head <= candidate.last:
            return candidate
    return None
