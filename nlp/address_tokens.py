"""Address text to tokens (intercom, phones and noise cut out first) and the small readers of
token sequences: glued parts, ordinals, house letters."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

from nlp.address_vocab import (
    CARDINALS,
    HOUSE_LETTERS,
    MONTHS_GENITIVE,
    NUMBERED_MARKERS,
    ORDINAL_SUFFIXES,
    ORDINALS,
    POSTFIX_ROLES,
    STREET_TYPE_WORDS,
)


class Kind(Enum):
    """Token kind."""

    WORD = "word"
    NUM = "num"
    PUNCT = "punct"


@dataclass(slots=True)
class Token:
    """One token with its place in the input; `key` is lowercase with ё as е."""

    kind: Kind
    text: str
    key: str
    start: int
    end: int
    spaced: bool  # whitespace (or the start of the text) right before it


@dataclass(frozen=True, slots=True)
class Extracted:
    """What was cut out of the text before tokenizing, with the text left to tokenize."""

    text: str  # same length as the input: cut parts are blanked
    intercom: str | None
    intercom_span: tuple[int, int] | None
    private_sector: bool


_TOKEN = re.compile(
    r"(?P<abbr>\b(?:г\.\s?о|р\.\s?п|м\.\s?р-н|с\.\s?п|м\.\s?о)(?=\.)|городско(?:й|го|м)\s+округ[а-я]*)"
    r"|(?P<word>[^\W\d_]+(?:-[^\W\d_]+)*(?:/[^\W\d_]+)?)"
    r"|(?P<num>\d+)"
    r"|(?P<punct>\S)",
    re.IGNORECASE,
)

_INTERCOM = re.compile(
    r"(?<![\w-])(?:код(?:\s+(?:домофона|подъезда|двери|на\s+двери|замка))?|домофон(?:а|ом)?"
    r"|д-фон|д/ф|дмф)(?![\w-])\.?\s*[:№]?\s*(?P<value>[^,;]*)",
    re.IGNORECASE,
)
# An intercom value ends where the next numbered part starts («домофон 18 этаж 5»).
_INTERCOM_TAIL = re.compile(
    r"\s+(?:кв|квартира|эт|этаж|подъезд|под|п-д|корп|корпус)\b\.?\s*\d.*$", re.IGNORECASE
)
# Route sheets append their separate intercom column after «; ».
_SHEET_INTERCOM = re.compile(r";\s*(?P<value>[^;,]+?)\s*$")
_PHONE = re.compile(r"(?:\+7|\b8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}\b")
_PRIVATE = re.compile(
    r"\bчастн(?:ый|ого|ом)\s+(?:дом|сектор|домовладение)[а-я]*\b|\bчастное\s+домовладение\b",
    re.IGNORECASE,
)
_NOISE = re.compile(r"\bадрес(?:у)?\s*:", re.IGNORECASE)
# A municipal settlement (поселение) is not part of a postal address: «с/п Ермолинское».
_MUNICIPALITY = re.compile(
    r"(?:\b(?:сельское|городское)\s+)?\bпоселени[еия]\b\s*[а-яё-]+"
    r"|(?<![\w.])с[/.]п(?![\w-])\.?\s*[а-яё-]+",
    re.IGNORECASE,
)

_MARKER_WORDS = frozenset(NUMBERED_MARKERS) | frozenset(STREET_TYPE_WORDS)
_KINDS: dict[str | None, Kind] = {
    "abbr": Kind.WORD,
    "word": Kind.WORD,
    "num": Kind.NUM,
    "punct": Kind.PUNCT,
}


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def extract(text: str) -> Extracted:
    """Cut the intercom, phone numbers and noise phrases out of `text` (offsets are kept)."""
    intercom: str | None = None
    span: tuple[int, int] | None = None
    private = False
    for match in _PHONE.finditer(text):
        text = _blank(text, match.start(), match.end())
    for match in _PRIVATE.finditer(text):
        private = True
        text = _blank(text, match.start(), match.end())
    for match in _MUNICIPALITY.finditer(text):
        text = _blank(text, match.start(), match.end())
    for match in _NOISE.finditer(text):
        text = _blank(text, match.start(), match.end())
    found = _INTERCOM.search(text)
    if found is not None:
        value = found.group("value")
        tail = _INTERCOM_TAIL.search(value)
        end = found.start("value") + (tail.start() if tail else len(value))
        cleaned = " ".join(text[found.start("value") : end].split()).rstrip(". ")
        if cleaned:
            intercom, span = cleaned, (found.start("value"), end)
        text = _blank(text, found.start(), end)
    sheet = _SHEET_INTERCOM.search(text)
    if sheet is not None and intercom is None:
        value = " ".join(sheet.group("value").split())
        first = re.split(r"[\s.]", value.casefold(), maxsplit=1)[0]
        if value and first not in _MARKER_WORDS:
            intercom, span = value, (sheet.start("value"), sheet.end("value"))
            text = _blank(text, sheet.start(), sheet.end())
    return Extracted(text, intercom, span, private)


def tokenize(text: str) -> list[Token]:
    """Words, digit runs and punctuation marks; ordinal words by entrance/floor become numbers."""
    tokens: list[Token] = []
    previous_end = 0
    for match in _TOKEN.finditer(text):
        group = match.lastgroup
        raw = match.group()
        start, end = match.span()
        key = raw.lower().replace("ё", "е")
        if group == "abbr":
            key = "г.о" if key.startswith("городск") else key.replace(" ", "")
        spaced = start == 0 or start > previous_end
        tokens.append(Token(_KINDS[group], raw, key, start, end, spaced))
        previous_end = end
    keys = {token.key for token in tokens}
    if not keys.isdisjoint(ORDINALS):
        _ordinals_to_numbers(tokens)
    if not keys.isdisjoint(CARDINALS):
        _cardinals_to_numbers(tokens)
    if "дробь" in keys:
        _spoken_fractions(tokens)
    return tokens


def _spoken_fractions(tokens: list[Token]) -> None:
    """«дом 19 дробь 2» is written «19/2»."""
    for i in range(1, len(tokens) - 1):
        word, right = tokens[i], tokens[i + 1]
        if word.key == "дробь" and tokens[i - 1].kind is Kind.NUM and right.kind is Kind.NUM:
            tokens[i] = Token(Kind.PUNCT, "/", "/", word.start, word.end, False)
            right.spaced = False


def _cardinals_to_numbers(tokens: list[Token]) -> None:
    """Spoken numbers: «дом сорок два» -> «дом 42», «квартира сто пять» -> «квартира 105»."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        total, used, j = 0, 0, i
        place = 1000  # each following word must be of a smaller place: сто > двадцать > два
        while j < len(tokens) and tokens[j].kind is Kind.WORD and tokens[j].text.islower():
            found = CARDINALS.get(tokens[j].key)
            if found is None or found[1] >= place:
                break
            total += found[0]
            place = found[1]
            used += 1
            j += 1
        if used:
            first, last = tokens[i], tokens[j - 1]
            text = " ".join(t.text for t in tokens[i:j])
            out.append(Token(Kind.NUM, text, str(total), first.start, last.end, first.spaced))
            i = j
        else:
            out.append(tokens[i])
            i += 1
    tokens[:] = out


def _ordinals_to_numbers(tokens: list[Token]) -> None:
    """«первый подъезд», «этаж третий»: an ordinal beside an entrance/floor marker is a number."""
    words = [i for i, t in enumerate(tokens) if t.kind is Kind.WORD]
    for position, index in enumerate(words):
        token = tokens[index]
        digit = ORDINALS.get(token.key)
        if digit is None:
            continue
        following = tokens[words[position + 1]] if position + 1 < len(words) else None
        if following is not None and following.key in MONTHS_GENITIVE:
            # «улица восьмого марта» -> «8 Марта», as a normalized address writes it
            tokens[index] = Token(Kind.NUM, digit, digit, token.start, token.end, token.spaced)
            continue
        neighbours = words[max(position - 1, 0) : position] + words[position + 1 : position + 2]
        if any(NUMBERED_MARKERS.get(tokens[n].key) in POSTFIX_ROLES for n in neighbours):
            tokens[index] = Token(Kind.NUM, token.text, digit, token.start, token.end, token.spaced)


# ---------------------------------------------------------------------- reading tokens
_BOUNDARY = frozenset(",;:!?()[]{}")
LATIN_LETTERS = str.maketrans("abcehkmoptxy", "авсенкмортху")
# Written ordinal endings to the short form of a normalized address: «4-ая» -> «4-я».
_ORDINAL_ENDINGS = {
    "ая": "я",
    "яя": "я",
    "ой": "й",
    "ий": "й",
    "ый": "й",
    "ое": "е",
    "ее": "е",
    "ье": "е",
    "ого": "го",
    "ом": "м",
}


def skip(tokens: list[Token], j: int, chars: Collection[str]) -> int:
    """The index of the first token from `j` that is not one of the punctuation `chars`."""
    while j < len(tokens) and tokens[j].kind is Kind.PUNCT and tokens[j].text in chars:
        j += 1
    return j


def is_number(tokens: list[Token], j: int) -> bool:
    """A digit run at `j`."""
    return j < len(tokens) and tokens[j].kind is Kind.NUM


def glued(tokens: list[Token], j: int, text: str) -> bool:
    """`text` at `j` with no space before it."""
    return j < len(tokens) and tokens[j].text == text and not tokens[j].spaced


def glued_word(tokens: list[Token], j: int, keys: Collection[str] | None = None) -> bool:
    """A word at `j` with no space before it, one of `keys` when given."""
    if j >= len(tokens) or tokens[j].spaced or tokens[j].kind is not Kind.WORD:
        return False
    return keys is None or tokens[j].key in keys


def glued_num(tokens: list[Token], j: int) -> bool:
    """A digit run at `j` with no space before it."""
    return is_number(tokens, j) and not tokens[j].spaced


def after_ordinal(tokens: list[Token], i: int) -> int:
    """The index after «3-й», «2ой», «3-я»: the ordinal suffix is skipped when present."""
    j = i + 1
    if glued(tokens, j, "-") and glued_word(tokens, j + 1, ORDINAL_SUFFIXES):
        return j + 2
    if j < len(tokens) and not tokens[j].spaced and tokens[j].kind is Kind.WORD:
        key = tokens[j].key
        if key in ORDINAL_SUFFIXES and key not in HOUSE_LETTERS:
            return j + 1
    return j


def postfix_owner(tokens: list[Token], i: int) -> int | None:
    """The entrance/floor marker right after the number at `i` («2 подъезд», «7 эт.»), if any."""
    j = skip(tokens, after_ordinal(tokens, i), frozenset("."))
    if j < len(tokens) and NUMBERED_MARKERS.get(tokens[j].key) in POSTFIX_ROLES:
        return j
    return None


def names_follow(tokens: list[Token], i: int) -> bool:
    """«9 Мая», «50 лет Октября»: a number that is part of a street name."""
    j = i + 1
    return j < len(tokens) and (tokens[j].key in MONTHS_GENITIVE or tokens[j].key == "лет")


def ordinal(number: str, suffix: str) -> str:
    """«4» + «ая» -> «4-я»: the ordinal as a normalized address writes it."""
    return f"{number}-{_ORDINAL_ENDINGS.get(suffix, suffix)}"


def number_with_letter(tokens: list[Token], j: int) -> tuple[str, int]:
    """The number at `j` with a glued one-letter suffix («2а» -> «2А»), and the next index."""
    value = tokens[j].key
    end = j + 1
    if glued_word(tokens, end) and len(tokens[end].key) == 1:
        return value + tokens[end].key.translate(LATIN_LETTERS).upper(), end + 1
    return value, end


def house_letter(tokens: list[Token], j: int) -> tuple[str, int]:
    """The litera of a house: glued («2а», «12-б») or apart before a break («10 Б,»)."""
    if j >= len(tokens):
        return "", j
    token = tokens[j]
    if glued(tokens, j, "-") and j + 1 < len(tokens) and not tokens[j + 1].spaced:
        nxt = tokens[j + 1]
        if nxt.kind is Kind.WORD and len(nxt.key) == 1 and nxt.key not in ORDINAL_SUFFIXES:
            return nxt.key.upper(), j + 2
    if token.kind is not Kind.WORD or len(token.key) != 1:
        return "", j
    key = token.key.translate(LATIN_LETTERS)
    if not token.spaced:
        if key in "кс" and (
            glued_num(tokens, j + 1) or (glued(tokens, j + 1, ".") and glued_num(tokens, j + 2))
        ):
            return "", j  # «12к2», «12с1», «9к.3»: korpus and building
        return key.upper(), j + 1
    if key in HOUSE_LETTERS:
        following = tokens[j + 1] if j + 1 < len(tokens) else None
        if (
            following is None
            or following.text in _BOUNDARY
            or NUMBERED_MARKERS.get(following.key) is not None
        ):
            return key.upper(), j + 1
    return "", j
