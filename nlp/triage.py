"""Emergency rules: which findings in a complaint mean 103/112 instead of a home visit.

Age rules and their sources:

- Fever of 38.0 °C or more in an infant under 3 months: NICE NG143 «Fever in under 5s»
  (traffic-light table, red group: age < 3 months with temperature ≥ 38 °C) and the Russian
  clinical guidelines «Лихорадка без очага инфекции у детей» (Союз педиатров России), which
  treat a fever in the first 3 months of life as a high risk of serious bacterial infection.
- A child (under 18) with 40 °C or more that is not lowering: the polyclinic's emergency list
  (hyperpyrexia; NICE NG143 treats ≥ 39 °C at 3–6 months as amber, so it is not used alone).
- Fever with a non-blanching rash in a child: NICE NG143 red group («non-blanching rash»),
  the sign of meningococcal disease (NICE NG240 «Meningitis (bacterial) and meningococcal
  disease»).

Time scope: a red flag written as history («в анамнезе», «инсульт 7 лет назад», «перенесла
инфаркт», «онемение в течение 7 лет») is not a current emergency. A faint that is over (a plain
trigger «на фоне стресса», already examined, «более не повторялось», «сейчас чувствует себя
хорошо») is not either, unless it comes with the red features of NICE CG109 «Transient loss of
consciousness in over 16s» (palpitations, chest pain, breathlessness, on exertion, head injury);
a dated faint with nothing said about now («вчера», «*ДАТА*») is a possible emergency to check.
A faint that has just happened («потеряла сознание, сейчас пришла в себя») is an emergency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

INFANT_YEARS = 0.25  # under 3 months (NICE NG143 red group)
ADULT_YEARS = 18.0
INFANT_FEVER = 38.0  # NICE NG143: ≥ 38 °C under 3 months is red
CHILD_HIGH_FEVER = 40.0
RASH_FEVER = 37.5

# History: the flag in this clause is about the past or a long-standing state.
_HISTORY = re.compile(
    r"анамнез|перенес|постинсульт|постинфаркт|последстви|остаточн"
    r"|(?:\d+|несколько|много|пару|полгода|год|месяц)\s*(?:-?х\s*|-?ти\s*)?"
    r"(?:лет|года?|мес\w*|месяц\w*|)\s*назад"
    r"|в\s+течени[еи]\s+(?:\d+|двух|тр[её]х|нескольких|многих)\s*(?:-?х\s*|-?ти\s*)?(?:лет|года)\b"
    r"|(?:много|несколько)\s+лет|годами|с\s+детства|с\s+\d{4}\s*г|в\s+\d{4}\s*г"
    r"|в\s+(?:детстве|юности|молодости|прошлом|подростковом\s+возрасте)|ранее|раньше|когда-то"
    r"|в\s+(?:возрасте\s+)?\d{1,2}\s*(?:-?ти\s*|-?х\s*)?(?:лет|года?)\b"
)
# Chronic only: «в течение 7 лет», not a past event. A long history of seizures does not make
# today's seizure any less of an emergency, so seizures ignore it.
_CHRONIC = re.compile(
    r"в\s+течени[еи]\s+(?:\d+|двух|тр[её]х|нескольких|многих)\s*(?:-?х\s*|-?ти\s*)?(?:лет|года)\b"
    r"|(?:много|несколько)\s+лет|годами|с\s+детства"
)
# A past event: when a faint happened, not how the patient is now.
_PAST_EVENT = re.compile(
    r"вчера|позавчера|прошл\w+\s+(?:недел|месяц|год)|(?<!\bс )(?<!\bсо )\*дата\*"
    r"|(?:\d+|несколько|пару|неделю|месяц|год)\s*(?:-?х\s*)?(?:дн\w*|сут\w*|недел\w*|мес\w*|лет|года?|)\s*назад"
)
# After a stroke the deficits are old news for the whole sentence («после ОНМК, слабость в руке»).
_AFTER_STROKE = re.compile(
    r"(?:после|последстви\w*|остаточн\w+\s+явлени\w*)\s+(?:перенес\w+\s+)?"
    r"(?:инсульт|онмк|инфаркт|операц|травм)|постинсульт"
)
_AFTER_STROKE_CODES = frozenset({"stroke", "stroke_named", "diplopia", "heart_attack_named"})
_SENTENCE_END = re.compile(r"[.;!?\n]")
# Attacks of something else than seizures: «приступы удушья», «приступ мигрени».
_OTHER_ATTACK = re.compile(
    r"удуш|кашл|сердцеби|головокруж|мигрен|тревог|паник|бол|ажит|астм|одышк|жар|прилив"
    r"|давлен|тахикард|аритм|стенокард|сердц|подагр|колик|чихан|зуд|страх|агресс|истер"
    r"|редк|ремисси|контрол"  # «приступы редкие», «в ремиссии»: a note on the course, not today
)
_CLAUSE_END = re.compile(r"[,.;:!?()\n]|\s[-–—]\s")
_NEVER_HISTORY = frozenset({"suicide"})


@dataclass(frozen=True, slots=True)
class Hit:
    """A phrase found in the text: a red flag, a cue or a symptom, with its character span."""

    code: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RedFlag:
    """Why the case is an emergency, in Russian for the patient and the agent.

    `possible` marks a likely but uncertain sign: still routed as an emergency, with a reason
    that asks the agent to check («Возможен экстренный случай: … — уточните»).
    """

    code: str
    reason: str
    start: int
    end: int
    possible: bool = False


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
    text: str = field(default="")  # the folded text the spans point into


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

    def __init__(self, reasons: Mapping[str, str], possible: Iterable[str] = ()) -> None:
        self._reasons = dict(reasons)
        self._possible = frozenset(possible) | _POSSIBLE_DERIVED

    def _flag(self, code: str, span: tuple[int, int]) -> RedFlag:
        return RedFlag(code, self._reasons[code], span[0], span[1], code in self._possible)

    def _historical(self, findings: Findings, hit: Hit) -> bool:
        """The flag's clause speaks of history: «в анамнезе», «7 лет назад», «в течение 7 лет»."""
        if hit.code in _NEVER_HISTORY or not findings.text:
            return False
        clause = _clause(findings.text, hit.start, hit.end)
        if hit.code in _AFTER_STROKE_CODES and _AFTER_STROKE.search(
            _sentence(findings.text, hit.start, hit.end)
        ):
            return True
        if hit.code == "seizure":
            return bool(_HISTORY.search(clause)) and not _CHRONIC.search(clause)
        return bool(_HISTORY.search(clause))

    def _faint(self, findings: Findings, hit: Hit) -> str | None:
        """Which flag a faint raises: current, recent (possible) or none when it is over.

        Palpitations, chest pain, breathlessness, exertion or a head blow keep any faint an
        emergency (NICE CG109 red flags for transient loss of consciousness). Otherwise a
        faint with a plain trigger, already examined, no longer recurring, or with the patient
        now well is over; a dated one («вчера», «*ДАТА*») is a possible emergency to check.
        """
        cues, symptoms = findings.cues, findings.symptoms
        companions = (
            "faint_companion" in cues
            or any(code in symptoms for code in ("arrhythmia", "chest_pain", "dyspnea"))
            or any(other.code in _FAINT_COMPANION_FLAGS for other in findings.flags)
        )
        if companions:
            return hit.code
        if "now_well" in cues or "faint_benign" in cues:
            return None
        if _PAST_EVENT.search(_clause(findings.text, hit.start, hit.end)):
            return "fainted_recent"
        return hit.code

    def assess(self, findings: Findings) -> tuple[RedFlag, ...]:
        """Red flags for these findings, in text order; empty when a home visit is right."""
        cues = findings.cues
        symptoms = findings.symptoms
        flags: list[RedFlag] = []
        for hit in findings.flags:
            if self._historical(findings, hit):
                continue  # history, not what is happening now
            if hit.code == "fainted":
                code = self._faint(findings, hit)
                if code is not None:
                    flags.append(self._flag(code, (hit.start, hit.end)))
                continue
            if hit.code == "chest_pain_unqualified" and "chest_pain_chronic" in cues:
                continue  # a known chronic pain, not described as acute
            if hit.code == "seizure" and "attack_passed" in cues and "usual_attack" in cues:
                continue  # the known short attack has passed
            flags.append(self._flag(hit.code, (hit.start, hit.end)))

        chest = [
            hit for hit in symptoms.get("chest_pain", ()) if not self._historical(findings, hit)
        ]
        if chest and ("radiating" in cues or "cold_sweat" in cues):
            flags.append(self._flag("chest_pain_radiating", (chest[0].start, chest[0].end)))
        attacks = [
            hit
            for hit in cues.get("attack", ())
            if not self._historical(findings, hit)
            and not _OTHER_ATTACK.search(_clause(findings.text, hit.start, hit.end))
        ]
        usual_passed = "attack_passed" in cues and "usual_attack" in cues
        if attacks and "epilepsy_context" in cues and not usual_passed:
            flags.append(self._flag("epileptic_attack", (attacks[0].start, attacks[0].end)))
        if chest and "crisis" in cues:
            flags.append(self._flag("crisis_chest_pain", _span(cues["crisis"])))
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
        for code, certain in _SUPERSEDED.items():
            if code in unique and certain & unique.keys():
                del unique[code]  # the certain sign says it already
        return tuple(unique.values())


def _span(hits: Sequence[Hit]) -> tuple[int, int]:
    return hits[0].start, hits[0].end


def _clause(text: str, start: int, end: int) -> str:
    """The clause around a span: from the previous comma, dot or dash to the next one."""
    head = text[:start]
    breaks = list(_CLAUSE_END.finditer(head))
    left = breaks[-1].end() if breaks else 0
    tail = _CLAUSE_END.search(text, end)
    right = tail.start() if tail else len(text)
    return text[left:right]


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around a span, between dots, semicolons or line breaks."""
    breaks = list(_SENTENCE_END.finditer(text, 0, start))
    left = breaks[-1].end() if breaks else 0
    tail = _SENTENCE_END.search(text, end)
    return text[left : tail.start() if tail else len(text)]


# Derived flags that are possible, not certain.
_POSSIBLE_DERIVED = frozenset({"fainted_recent"})

# A possible sign is dropped when a certain sign of the same kind was found.
_SUPERSEDED = {
    "fainted_recent": frozenset({"fainted"}),
    "bleeding_reported": frozenset({"bleeding", "bleeding_not_stopping", "pregnancy_bleeding"}),
    "chest_pain_unqualified": frozenset(
        {"chest_pain", "chest_pain_radiating", "crisis_chest_pain"}
    ),
}


# Flags that are themselves red features of a faint (seizure, stroke, head injury).
_FAINT_COMPANION_FLAGS = frozenset({"seizure", "stroke", "stroke_named", "trauma", "breathing"})
