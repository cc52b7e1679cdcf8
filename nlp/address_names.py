"""Names in an address in their normalized form: nominative, capitalised, typos corrected."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from natasha import MorphVocab

from nlp.address_vocab import (
    ABBREVIATED_NAME_ADJECTIVES,
    LEADING_LOWERCASE_NAME_WORDS,
    LOWERCASE_NAME_WORDS,
    REGION_ABBREVIATIONS,
)
from nlp.reference import StreetReference, fold

_OBLIQUE = frozenset({"datv", "ablt", "loct", "loc2"})
_PERSON = frozenset({"Surn", "Name", "Patr"})
_UD_GENDER = {"masc": "Masc", "femn": "Fem", "neut": "Neut"}
# Parts of speech that never name a place: the chatter of a caller («так», «значит», «я думаю»).
_FILLER_POS = frozenset(
    {"NPRO", "CONJ", "PRCL", "INTJ", "PREP", "PRED", "VERB", "INFN", "ADVB", "GRND", "COMP"}
)
_FILLER_GRAMMEMES = frozenset({"Apro", "Anph"})  # «мой», «какой», «этот»
_PROPER = frozenset({"Geox", "Surn", "Name", "Patr", "Orgn"})


@dataclass(frozen=True, slots=True)
class StreetName:
    """A normalized street name; `catalog_type` is the street type the catalog gives it."""

    name: str
    matched: bool
    catalog_type: str | None


def title(word: str, *, first: bool = True) -> str:
    """Capitalise as a normalized address does; mixed case and acronyms are kept as written."""
    if any(c.isupper() for c in word) and (any(c.islower() for c in word) or len(word) > 1):
        return word
    if word in LEADING_LOWERCASE_NAME_WORDS or (not first and word in LOWERCASE_NAME_WORDS):
        return word
    parts = word.lower().split("-")
    if not parts[0].isalpha():
        return word.lower()
    return "-".join(p[:1].upper() + p[1:] for p in parts)


def title_name(words: list[str]) -> str:
    """Capitalise every word of a name but its function words («50 лет ВЛКСМ»)."""
    return " ".join(title(w, first=n == 0) for n, w in enumerate(words))


class NameNormalizer:
    """Nominative, capitalised, typo-corrected names; pymorphy answers are cached per word."""

    def __init__(self, morph: MorphVocab, reference: StreetReference) -> None:
        self._morph = morph
        self._reference = reference
        self.is_known = lru_cache(maxsize=8192)(self._is_known)
        self._adjective_nominative = lru_cache(maxsize=8192)(self._adjective_nominative_uncached)
        self._geo_lemma = lru_cache(maxsize=8192)(self._geo_lemma_uncached)
        self.adjective_genders = lru_cache(maxsize=8192)(self._adjective_genders)
        self.is_filler = lru_cache(maxsize=8192)(self._is_filler)
        self.is_plain_word = lru_cache(maxsize=8192)(self._is_plain_word)
        self._city = lru_cache(maxsize=8192)(self._city_uncached)

    def nominative_adjective_genders(self, key: str) -> frozenset[str]:
        """Genders in which `key` is a nominative singular adjective («парковая» -> femn)."""
        return frozenset(
            str(p.tag.gender)
            for p in self._morph.parse(key)
            if p.tag.POS == "ADJF" and p.tag.case == "nomn" and p.tag.number == "sing"
        )

    def nominative_genders(self, key: str) -> frozenset[str]:
        """Genders of `key` as a nominative singular adjective or noun («Якиманка» -> femn)."""
        return frozenset(
            str(p.tag.gender)
            for p in self._morph.parse(key)
            if p.tag.POS in ("ADJF", "NOUN")
            and p.tag.case == "nomn"
            and p.tag.number == "sing"
            and p.tag.gender
        )

    def _is_filler(self, key: str) -> bool:
        """A word of speech, not of a name: its likeliest reading is a pronoun, verb, particle."""
        if not key.isalpha() or len(key) < 1:
            return False
        parses = self._morph.parse(key)
        if not parses or _PROPER & parses[0].tag.grammemes:
            return False  # the likeliest reading decides: «короче» is talk, not «Короча»
        top = parses[0].tag
        return str(top.POS) in _FILLER_POS or bool(_FILLER_GRAMMEMES & top.grammemes)

    def is_common_noun(self, key: str) -> bool:
        """The likeliest reading is an ordinary noun in the nominative («скорость»): not a name,
        an adjective or a dedication in the genitive («академика», «героев»)."""
        parses = self._morph.parse(key)
        if not parses:
            return False
        top = parses[0].tag
        return top.POS == "NOUN" and top.case == "nomn" and not (_PROPER & top.grammemes)

    def _is_plain_word(self, key: str) -> bool:
        """An ordinary adjective or noun too («Советский», «Заречный»): a place only when typed."""
        return any(
            p.tag.POS in ("ADJF", "NOUN")
            and p.tag.case == "nomn"
            and not (_PROPER & p.tag.grammemes)
            for p in self._morph.parse(key)
        )

    def _is_known(self, key: str) -> bool:
        return bool(self._morph.word_is_known(key))

    def _adjective_genders(self, key: str) -> frozenset[str]:
        return frozenset(
            str(p.tag.gender)
            for p in self._morph.parse(key)
            if p.tag.POS == "ADJF" and p.tag.gender
        )

    def _adjective_nominative_uncached(
        self, key: str, gender: str | None, typed: bool
    ) -> str | None:
        """The nominative of an adjective in an oblique case, or None to keep the word."""
        parses = self._morph.parse(key)
        if any(
            p.tag.case == "nomn"
            and (gender is None or p.tag.POS != "ADJF" or p.tag.gender == gender)
            for p in parses
        ):
            return None  # «на улице лесной»: «лесной» is nominative only as a masculine
        adjectives = [p for p in parses if p.tag.POS == "ADJF" and "Poss" not in p.tag]
        if not adjectives:
            return None
        oblique = [p for p in adjectives if p.tag.case in _OBLIQUE]
        if oblique:
            agreeing = [p for p in oblique if gender is None or p.tag.gender == gender]
            form = (agreeing or oblique)[0]
        else:
            # A genitive adjective is the dictionary form of «ул. Маяковского», «ул. Крупской»:
            # it is only an inflected street name when it agrees with the written street type.
            if not typed or any(_PERSON & p.tag.grammemes for p in parses):
                return None
            agreeing = [p for p in adjectives if p.tag.case == "gent" and p.tag.gender == gender]
            if not agreeing:
                return None
            form = agreeing[0]
        target = gender or str(form.tag.gender or "masc")
        inflected = form.inflect({"Nom", _UD_GENDER.get(target, "Masc"), "Sing"})
        return None if inflected is None else str(inflected.word)

    def _geo_lemma_uncached(self, key: str) -> str | None:
        """The nominative of a toponym in an oblique case («химках» -> «химки»)."""
        parses = self._morph.parse(key)
        if any(p.tag.case == "nomn" for p in parses):
            return None
        geo = [p for p in parses if "Geox" in p.tag.grammemes]
        nouns = [p for p in parses if p.tag.POS == "NOUN" and p.tag.case in _OBLIQUE]
        found = (geo or nouns or [None])[0]
        return None if found is None else str(found.normal_form)

    def street(
        self, words: list[str], street_type: str | None, gender: str | None, city: str | None
    ) -> StreetName:
        """The street name in its dictionary form, matched against the catalog when possible."""
        words = self._expand_size_word(words)
        keys = [fold(w) for w in words]
        if all(self._is_adjectival(k) for k in keys):
            words = [
                _keep_e(w, self._adjective_nominative(k, gender, street_type is not None) or w)
                for w, k in zip(words, keys, strict=True)
            ]
        name = title_name(words)
        match = self._reference.match_street(name, city, street_type)
        if match is not None:
            return StreetName(match.entry.street, True, match.entry.street_type)
        if any(k.isalpha() and not self.is_known(k) for k in keys):
            common = self._reference.common_street(name)
            if common is not None:
                return StreetName(common, False, None)
        return StreetName(name, False, None)

    def _expand_size_word(self, words: list[str]) -> list[str]:
        """«Б. Серпуховская» -> «Большая Серпуховская»: the abbreviated first adjective agrees
        with the next word."""
        if len(words) < 2:
            return words
        forms = ABBREVIATED_NAME_ADJECTIVES.get(fold(words[0]).rstrip("."))
        if forms is None:
            return words
        genders = self.nominative_genders(fold(words[1]))  # not «Б. Хмельницкого»
        gender = next((g for g in ("femn", "masc", "neut") if g in genders), None)
        if gender is None:
            return words
        return [forms[gender], *words[1:]]

    def _is_adjectival(self, key: str) -> bool:
        if not key.isalpha():
            return True  # numbers of «3-я Парковая» agree with anything
        return bool(self.adjective_genders(key))

    def city(self, words: list[str]) -> str:
        """The settlement name: gazetteer spelling, nominative, typos corrected."""
        return self._city(tuple(words))

    def _city_uncached(self, words: tuple[str, ...]) -> str:
        joined = " ".join(words)
        known = self._reference.city(joined)
        if known is None and len(words) > 1:
            known = self._reference.settlement("-".join(words))  # «ростов на дону»
        if known is not None:
            return known
        noun = self._geo_lemma(fold(words[-1])) or words[-1]
        gender = self._noun_gender(fold(noun))
        # «из старого оскола»: with the noun inflected, a genitive adjective is inflected too
        inflected = fold(noun) != fold(words[-1])
        lemmas = [
            _keep_e(w, self._adjective_nominative(fold(w), gender, inflected) or w)
            if self.adjective_genders(fold(w))
            else self._geo_lemma(fold(w)) or w
            for w in words[:-1]
        ] + [noun]
        lemma_joined = " ".join(lemmas)
        known = self._reference.city(lemma_joined)
        if known is None and any(not self.is_known(fold(w)) for w in words):
            known = self._reference.city(joined, fuzzy=True)
        return known or title_name(lemma_joined.split())

    def _noun_gender(self, key: str) -> str | None:
        for p in self._morph.parse(key):
            if p.tag.POS == "NOUN" and p.tag.gender:
                return str(p.tag.gender)
        return None

    def adjective_name(self, words: list[str], gender: str | None) -> str:
        """A region or district name in the nominative: «Московской обл.» -> «Московская»."""
        if len(words) == 1 and (abbr := REGION_ABBREVIATIONS.get(fold(words[0]))):
            return abbr
        out = []
        for word in words:
            key = fold(word)
            nominative = None
            if gender and gender in self.adjective_genders(key):
                nominative = self._adjective_nominative(key, gender, True)
            out.append(_keep_e(word, nominative or word))
        return title_name(out)


def _keep_e(original: str, word: str) -> str:
    """pymorphy writes ё; keep е when the text had it."""
    return word if "ё" in original.lower() else word.replace("ё", "е").replace("Ё", "Е")
