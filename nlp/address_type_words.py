"""Type words of address parts («ул.», «г.», «обл.», «р-н»), their case forms and typos."""

from __future__ import annotations

from functools import lru_cache

from natasha import MorphVocab
from rapidfuzz import fuzz, process

from nlp.address_elements import Marker
from nlp.address_names import NameNormalizer
from nlp.address_vocab import (
    CITY_TYPE_WORDS,
    DISTRICT_TYPE_WORDS,
    REGION_TYPE_WORDS,
    STREET_TYPE_GENDER,
    STREET_TYPE_WORDS,
    Role,
)
from nlp.reference import fold

# Street types written in full whose other case forms («улице», «проспекту») are markers too.
_FULL_TYPE_WORDS = (
    *STREET_TYPE_GENDER,
    "область",
    "район",
    "город",
    "деревня",
    "поселок",
    "село",
)


class TypeWords:
    """Recognises a type word, also in another case form or mistyped."""

    def __init__(self, morph: MorphVocab, names: NameNormalizer) -> None:
        self._names = names
        self._type_forms = _type_word_forms(morph)
        self._fuzzy_type = lru_cache(maxsize=4096)(self._fuzzy_type_uncached)

    def marker(self, key: str) -> Marker | None:
        if key in STREET_TYPE_WORDS:
            return Marker(Role.STREET, STREET_TYPE_WORDS[key], key)
        if key in CITY_TYPE_WORDS:
            return Marker(Role.CITY, CITY_TYPE_WORDS[key], key)
        if key in REGION_TYPE_WORDS:
            return Marker(Role.REGION, REGION_TYPE_WORDS[key], key)
        if key in DISTRICT_TYPE_WORDS:
            return Marker(Role.DISTRICT, DISTRICT_TYPE_WORDS[key], key)
        full = self._type_forms.get(key) or self._fuzzy_type(key)
        if full is None:
            return None
        return self.marker(full)

    def _fuzzy_type_uncached(self, key: str) -> str | None:
        """A mistyped type word («прспект»): only for words the dictionary does not know."""
        if len(key) < 6 or not key.isalpha() or self._names.is_known(key):
            return None
        found = process.extractOne(key, _FULL_TYPE_WORDS, scorer=fuzz.ratio, score_cutoff=85)
        return None if found is None else str(found[0])


@lru_cache(maxsize=4)
def _type_word_forms(morph: MorphVocab) -> dict[str, str]:
    """Every case form of the full type words: «улице», «проспектом» -> their nominative."""
    forms: dict[str, str] = {}
    singular: set[str] = set()  # «Набережные Челны»: a plural-only form starts a name
    for word in _FULL_TYPE_WORDS:
        for parse in morph.parse(word)[:1]:
            for form in parse.lexeme:
                key = fold(str(form.word))
                forms.setdefault(key, word)
                if "sing" in str(form.tag):
                    singular.add(key)
    forms = {key: word for key, word in forms.items() if key in singular}
    for word in _FULL_TYPE_WORDS:
        forms.pop(word, None)
    return forms
