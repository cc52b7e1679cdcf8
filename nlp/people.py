"""People in an intake text: the patient's or caller's name, birth date and who is calling."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from natasha import MorphVocab, NamesExtractor

OLDEST_YEARS = 130

_MONTHS = {
    "янв": 1,
    "фев": 2,
    "мар": 3,
    "апр": 4,
    "мая": 5,
    "май": 5,
    "июн": 6,
    "июл": 7,
    "авг": 8,
    "сен": 9,
    "окт": 10,
    "ноя": 11,
    "дек": 12,
}
_NUMERIC_DATE = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})[./\-](?P<m>\d{1,2})[./\-](?P<y>\d{4}|\d{2})(?!\d)"
)
_ISO_DATE = re.compile(r"(?<!\d)(?P<y>\d{4})[-./](?P<m>\d{1,2})[-./](?P<d>\d{1,2})(?!\d)")
_WORD_DATE = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})\s+(?P<m>янв|фев|мар|апр|мая|май|июн|июл|авг|сен|окт|ноя|дек)[а-я]*\.?"
    r"\s+(?P<y>\d{4})(?!\d)"
)
_PATRONYMIC = re.compile(r"(?:вич|вна|чна|ична|тич|оглы|кызы)$")
_ROLE_WORD = re.compile(r"[а-яё]+")

# Lemma -> caller type; the first role word in the text wins.
_CALLER_TYPES = {
    "сам": "сам пациент",
    "сама": "сам пациент",
    "лично": "сам пациент",
    "пациент": "сам пациент",
    "мать": "мать",
    "мама": "мать",
    "мамочка": "мать",
    "отец": "отец",
    "папа": "отец",
    "дочь": "родственник",
    "дочка": "родственник",
    "сын": "родственник",
    "бабушка": "родственник",
    "дедушка": "родственник",
    "жена": "родственник",
    "муж": "родственник",
    "внук": "родственник",
    "внучка": "родственник",
    "сестра": "родственник",
    "брат": "родственник",
    "тётя": "родственник",
    "тетя": "родственник",
    "дядя": "родственник",
    "невестка": "родственник",
    "зять": "родственник",
    "сноха": "родственник",
    "свекровь": "родственник",
    "тёща": "родственник",
    "теща": "родственник",
    "племянник": "родственник",
    "племянница": "родственник",
    "родственник": "родственник",
    "родственница": "родственник",
    "опекун": "родственник",
    "соцработник": "соцработник",
    "соцработница": "соцработник",
    "смп": "СМП",
    "скорая": "СМП",
    "скорый": "СМП",
    "сосед": "другое",
    "соседка": "другое",
    "знакомый": "другое",
    "знакомая": "другое",
    "сиделка": "другое",
    "няня": "другое",
    "коллега": "другое",
    "друг": "другое",
    "подруга": "другое",
    "воспитатель": "другое",
    "учитель": "другое",
}
_SOCIAL_WORKER = re.compile(r"соц(?:иальн\w*)?\.?\s*работни\w*", re.IGNORECASE)
_SELF = re.compile(r"\bсам[аи]?\s+(?:пациент\w*|звонит|за\s+себя|себе)\b|\bпациент\w*\s+сам\b")


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name as written, each part capitalised; missing parts are None."""

    last: str | None
    first: str | None
    middle: str | None


def _capitalised(word: str | None) -> str | None:
    if not word:
        return None
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


class PeopleExtractor:
    """Names (natasha), birth dates and the caller's relation to the patient."""

    def __init__(self, morph: MorphVocab) -> None:
        self._morph = morph
        self._names = NamesExtractor(morph)

    def name(self, text: str) -> PersonName | None:
        """The first full or partial name in the text, or None."""
        # natasha reads capitalisation: make lower- and upper-case input look like a name list
        source = text.title() if text.islower() or text.isupper() else text
        words: list[str] = []
        for match in self._names(source):
            words = re.findall(r"[А-Яа-яЁё-]+", source[match.start : match.stop])
            if words:
                break
        if not words or not any(self._is_name_part(word) for word in words):
            return None
        last = first = middle = None
        for word in words:
            role = self._role(word)
            if role == "middle" and middle is None:
                middle = word
            elif role == "first" and first is None:
                first = word
            elif last is None:
                last = word
            elif first is None:
                first = word
        if first is None and last is None:
            return None
        return PersonName(_capitalised(last), _capitalised(first), _capitalised(middle))

    def _is_name_part(self, word: str) -> bool:
        lowered = word.lower()
        if _PATRONYMIC.search(lowered):
            return True
        return any(
            {"Name", "Surn", "Patr"} & set(parse.tag.grammemes)
            for parse in self._morph.parse(lowered)[:3]
        )

    def _role(self, word: str) -> str:
        lowered = word.lower()
        if _PATRONYMIC.search(lowered):
            return "middle"
        tags = [parse.tag for parse in self._morph.parse(lowered)[:3]]
        if any("Name" in tag for tag in tags) and not any("Surn" in tag for tag in tags[:1]):
            return "first"
        if any("Patr" in tag for tag in tags[:1]):
            return "middle"
        return "last"

    def birth_date(self, text: str, today: datetime.date | None = None) -> datetime.date | None:
        """The first possible birth date in the text; impossible and future dates are rejected."""
        today = today or datetime.date.today()
        lowered = text.lower()
        candidates: list[tuple[int, int, int, int]] = []
        for pattern in (_ISO_DATE, _NUMERIC_DATE, _WORD_DATE):
            for match in pattern.finditer(lowered):
                month_text = match["m"]
                month = _MONTHS[month_text] if month_text in _MONTHS else int(month_text)
                candidates.append(
                    (match.start(), int(match["d"]), month, self._year(match["y"], today))
                )
        for _, day, month, year in sorted(candidates):
            try:
                born = datetime.date(year, month, day)
            except ValueError:
                continue
            if born <= today and today.year - born.year <= OLDEST_YEARS:
                return born
        return None

    @staticmethod
    def _year(text: str, today: datetime.date) -> int:
        year = int(text)
        if len(text) == 2:
            century = today.year // 100 * 100
            year = century + year if century + year <= today.year else century - 100 + year
        return year

    def caller_type(self, text: str) -> str | None:
        """Who calls: сам пациент, мать, отец, родственник, соцработник, СМП or другое."""
        lowered = text.lower().replace("ё", "е")
        if _SOCIAL_WORKER.search(lowered):
            return "соцработник"
        if _SELF.search(lowered):
            return "сам пациент"
        for match in _ROLE_WORD.finditer(lowered):
            word = match.group()
            if word in _CALLER_TYPES:
                return _CALLER_TYPES[word]
            for parse in self._morph.parse(word)[:2]:
                lemma = parse.normal_form.replace("ё", "е")
                if lemma in _CALLER_TYPES:
                    return _CALLER_TYPES[lemma]
        return None
