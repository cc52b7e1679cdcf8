"""Ordinals said or typed before a street name: «вторая владимирская», «3 парковая»."""

from __future__ import annotations

from nlp.address_elements import Draft
from nlp.address_names import NameNormalizer
from nlp.address_tokens import Kind, Token
from nlp.address_type_words import TypeWords
from nlp.address_vocab import MONTHS_GENITIVE, NUMBERED_MARKERS, ORDINALS

_GENDER_SUFFIX = {"femn": "я", "masc": "й", "neut": "е"}
_NOMINATIVE_ORDINAL_ENDINGS = ((("ая", "ья"), "я"), (("ый", "ой", "ий"), "й"))
_ADJECTIVE_ENDINGS = {"femn": ("ая", "яя"), "masc": ("ый", "ий", "ой"), "neut": ("ое", "ее")}


def spoken_ordinal(
    tokens: list[Token], i: int, draft: Draft, names: NameNormalizer, types: TypeWords
) -> str | None:
    """In a lowercase undelimited line, a small number before a street adjective is its
    ordinal («мое 3 парковая», «улица 3 почтовое отделение»): «3-я», «3-е»."""
    j = i + 1
    if not draft.loose or "house" in draft.values or j >= len(tokens):
        return None
    word = tokens[j]
    if (
        word.kind is not Kind.WORD
        or not word.text.islower()
        or len(word.key) < 3
        or not tokens[i].key.isdigit()
        or not 0 < int(tokens[i].key) <= 20
        or word.key in NUMBERED_MARKERS
        or types.marker(word.key) is not None
    ):
        return None
    genders = names.nominative_adjective_genders(word.key)
    if not genders and not names.is_plain_word(word.key):
        # a street adjective the dictionary takes for a surname («кожуховская»): by its ending
        genders = frozenset(g for g, ends in _ADJECTIVE_ENDINGS.items() if word.key.endswith(ends))
    suffix = next((_GENDER_SUFFIX[g] for g in ("femn", "neut", "masc") if g in genders), None)
    return None if suffix is None else f"{tokens[i].key}-{suffix}"


def spoken_ordinal_word(tokens: list[Token], i: int) -> str | None:
    """An ordinal said in words at the start of a street name: «вторая владимирская» -> «2-я»."""
    token = tokens[i]
    digit = ORDINALS.get(token.key)
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    if digit is None or following is None or following.kind is not Kind.WORD:
        return None
    if following.key in NUMBERED_MARKERS or following.key in MONTHS_GENITIVE:
        return None
    suffix = next((s for ends, s in _NOMINATIVE_ORDINAL_ENDINGS if token.key.endswith(ends)), None)
    return None if suffix is None else f"{digit}-{suffix}"
