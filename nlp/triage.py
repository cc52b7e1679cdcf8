"""Emergency rules: which findings in a complaint mean 103/112 instead of a home visit."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

INFANT_YEARS = 0.25  # under 3 months
ADULT_YEARS = 18.0
INFANT_FEVER = 38.0
CHILD_HIGH_FEVER = 40.0
RASH_FEVER = 37.5


@dataclass(frozen=True, slots=True)
class Hit:
    """A phrase found in the text: a red flag, a cue or a symptom, with its character span."""

    code: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RedFlag:
    """Why the case is an emergency, in Russian for the patient and the agent."""

    code: str
    reason: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Findings:
    """What the complaint parser found, as the triage rules need it."""

    flags: Sequence[Hit]
    cues: Mapping[str, Sequence[Hit]]
    symptoms: Mapping[str, Sequence[Hit]]
    temperature: float | None
    temperature_span: tuple[int, int] | None
    age_years: float | None
    text_length: int = field(default=0)


_PERSON = (
    r"(?:реб[её]н\w*|малыш\w*|дочк\w*|доч\w*|сын\w*|внук\w*|внучк\w*|девочк\w*|мальчик\w*"
    r"|пациент\w*|возраст\w*|младен\w*|грудничк\w*|новорожд\w*|бабушк\w*|дедушк\w*|пожил\w*"
    r"|мужчин\w*|женщин\w*)"
)
# Nominative or dative only: «ребенку 10 дней» is an age, «у ребенка 3 дня» a duration.
_PERSON_NOM_DAT = (
    r"(?:реб[её]нок|реб[её]нку|малыш|малышу|дочка|дочке|сын|сыну|внук|внуку|внучка|внучке"
    r"|девочка|девочке|мальчик|мальчику|младенец|младенцу|грудничок|грудничку"
    r"|новорожденн(?:ый|ому|ая|ой))"
)
_YEARS = r"(?P<num>\d{1,2}(?:[.,]5)?)\s*-?\s*(?P<unit>лет|год\w*|г\b\.?)"
_SMALL = r"(?P<num>\d{1,2})\s*-?\s*(?P<unit>мес\w*|м\b\.?|нед\w*|дн\w*|день|сут\w*)"
_MONTHS_WEEKS = r"(?P<num>\d{1,2})\s*-?\s*(?P<unit>мес\w*|м\b\.?|нед\w*)"
_AGE_PATTERNS = (
    re.compile(_PERSON_NOM_DAT + r"[\s,:(]+" + _SMALL),
    re.compile(_PERSON + r"[\s,:(]+(?:[а-я]+\s+){0,2}?" + _YEARS),
    re.compile(r"(?<![\d.,/<>])" + _MONTHS_WEEKS + r"[\s,)]+" + _PERSON),
    re.compile(r"(?<![\d.,/<>])" + _YEARS + r"[\s,)]+" + _PERSON),
    re.compile(r"(?<![\d.,/<>])(?P<num>\d{1,3})\s*(?P<unit>лет|годик\w*)\b"),
)
_AGE_WORDS = {
    "новорожд": 0.02,
    "одномесячн": 1 / 12,
    "месячн": 1 / 12,
    "двухмесячн": 2 / 12,
    "трехмесячн": 3 / 12,
    "полугодовал": 0.5,
    "годовал": 1.0,
}
_AGE_WORD = re.compile(r"\b(" + "|".join(_AGE_WORDS) + r")\w*")


def _unit_years(num: float, unit: str) -> float:
    if unit.startswith("нед"):
        return num / 52
    if unit.startswith(("дн", "день", "сут")):
        return num / 365
    if unit.startswith("м"):
        return num / 12
    return num


def stated_age(text: str) -> float | None:
    """Age in years written in the text («ребенку 2 мес», «ребенок 3 лет», «85 лет»), or None."""
    folded = text.lower().replace("ё", "е")
    for pattern in _AGE_PATTERNS:
        match = pattern.search(folded)
        if match:
            return _unit_years(float(match["num"].replace(",", ".")), match["unit"])
    word = _AGE_WORD.search(folded)
    if word:
        return _AGE_WORDS[word.group(1)]
    return None


class Triage:
    """Turns findings into red flags; every rule here is one line of the emergency list."""

    def __init__(self, reasons: Mapping[str, str]) -> None:
        self._reasons = dict(reasons)

    def _flag(self, code: str, span: tuple[int, int]) -> RedFlag:
        return RedFlag(code, self._reasons[code], span[0], span[1])

    def assess(self, findings: Findings) -> tuple[RedFlag, ...]:
        """Red flags for these findings, in text order; empty when a home visit is right."""
        cues = findings.cues
        symptoms = findings.symptoms
        flags: list[RedFlag] = []
        for hit in findings.flags:
            if hit.code == "fainted" and "now_well" in cues:
                continue  # a past faint with the patient now well
            if hit.code == "chest_pain_unqualified" and "chest_pain_chronic" in cues:
                continue  # a known chronic pain, not described as acute
            if hit.code == "seizure" and "attack_passed" in cues and "usual_attack" in cues:
                continue  # the known short attack has passed
            flags.append(self._flag(hit.code, (hit.start, hit.end)))

        chest = symptoms.get("chest_pain")
        if chest and ("radiating" in cues or "cold_sweat" in cues):
            flags.append(self._flag("chest_pain_radiating", (chest[0].start, chest[0].end)))
        if "pregnant" in cues and "bleeding_any" in cues:
            flags.append(self._flag("pregnancy_bleeding", _span(cues["bleeding_any"])))
        if "fell" in cues and "cannot_stand" in cues:
            flags.append(self._flag("fall_cannot_stand", _span(cues["fell"])))
        if "not_stopping" in cues and "bleeding_any" in cues:
            flags.append(self._flag("bleeding_not_stopping", _span(cues["bleeding_any"])))
        if "facial_swelling" in cues and ("allergy" in symptoms or "insect_bite" in symptoms):
            flags.append(self._flag("anaphylaxis_face", _span(cues["facial_swelling"])))

        age = findings.age_years
        infant = age < INFANT_YEARS if age is not None else "infant" in cues
        child = (
            age < ADULT_YEARS
            if age is not None
            else (infant or "child" in cues) and "adult" not in cues
        )
        temperature = findings.temperature
        temp_span = findings.temperature_span or (0, findings.text_length)
        if infant and (
            (temperature is not None and temperature >= INFANT_FEVER)
            or (temperature is None and "high_fever" in cues)
        ):
            flags.append(self._flag("infant_fever", temp_span))
        lowering = "lowering" in cues and "not_lowering" not in cues
        if child and temperature is not None and temperature >= CHILD_HIGH_FEVER and not lowering:
            flags.append(self._flag("child_high_fever", temp_span))
        feverish = "fever" in symptoms or (temperature is not None and temperature >= RASH_FEVER)
        if "nonblanching" in cues and (feverish or child):
            flags.append(self._flag("nonblanching_rash", _span(cues["nonblanching"])))

        unique: dict[str, RedFlag] = {}
        for flag in sorted(flags, key=lambda item: (item.start, item.end)):
            unique.setdefault(flag.code, flag)
        return tuple(unique.values())


def _span(hits: Sequence[Hit]) -> tuple[int, int]:
    return hits[0].start, hits[0].end
