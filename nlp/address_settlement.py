"""Settlements and districts: where a settlement's name ends and what the gazetteer calls it."""

from __future__ import annotations

from nlp.address_elements import Draft, Element, Marker, Run, set_name
from nlp.address_names import NameNormalizer, title_name
from nlp.address_tokens import Kind, Token
from nlp.address_vocab import FEDERAL_CITIES, Role
from nlp.reference import StreetReference, fold


class Settlements:
    """Knows settlement names: the gazetteer through the reference, spelling through the names."""

    def __init__(self, reference: StreetReference, names: NameNormalizer) -> None:
        self._reference = reference
        self._names = names

    def inside_settlement_name(self, tokens: list[Token], i: int, elements: list[Element]) -> bool:
        """A preposition inside a hyphenated settlement said or typed with spaces."""
        if tokens[i].key not in ("на", "в") or i + 1 >= len(tokens) or i == 0:
            return False
        if not (elements and isinstance(elements[-1], Run)) or tokens[i + 1].kind is not Kind.WORD:
            return False
        name = f"{tokens[i - 1].key}-{tokens[i].key}-{tokens[i + 1].key}"
        return self._reference.settlement(name) is not None

    def named_area(self, elements: list[Element]) -> bool:
        """«Старый Оскол Жукова мкр 12»: the area's name came before its type word, so the
        number after it is the house; a bare settlement before it («Химки мкр 5») is no name."""
        if len(elements) < 2 or not isinstance(run := elements[-2], Run):
            return False
        words = run.words
        return not (self.known_city(words[-1:]) or self.known_city(words[-2:]))

    def settlement_before_street(self, run: Run, marker: Marker) -> bool:
        """«нижний новгород проспект гагарина»: a known settlement before a street type word is
        the city, though its adjective agrees with the type; the street is the name after it."""
        return marker.role is Role.STREET and self.known_city(run.words)

    def known_city(self, words: list[str]) -> bool:
        """A settlement of the gazetteer; a one-word name that is also a common word only
        when it is one of the towns we serve («Советский» is a street until typed «г.»)."""
        joined = " ".join(words)
        if self._reference.city(joined) or (
            len(words) > 1 and self._reference.settlement("-".join(words))  # «ростов на дону»
        ):
            return True
        if self._reference.settlement(joined) is None:
            nominative = self._names.city(words)
            if self._reference.city(nominative):
                return True
            if self._reference.settlement(nominative) is None:
                return False
        return len(words) > 1 or not self._names.is_plain_word(fold(words[0]))

    def split_city(
        self, run: Run, *, whole_is_city: bool, undelimited: bool = False
    ) -> tuple[Run | None, Run | None]:
        """Leading known city words of a run («красногорск ильинский»): (city part, the rest).
        After a settlement type word in an undelimited line («г Тверь Смоленский пер 14») the
        settlement is the longest name the gazetteer knows and the words after it the street."""
        words = run.words
        if whole_is_city and len(words) == 1:
            return run, None
        # A whole run right before the house number is a street unless it is one of the
        # towns we know well: «малышева 36» is a street, though a village is named so too.
        whole_city = (
            self._reference.city(" ".join(words)) is not None
            if run.before_house and not whole_is_city
            else self.known_city(words)
        )
        if whole_city:
            return run, None
        if len(words) == 1:
            return (run, None) if whole_is_city else (None, run)
        if whole_is_city and any(m.role is Role.STREET for m in run.markers):
            # «п Первомайский Лесная ул»: the street type follows its name, so the settlement
            # is the words before it — a gazetteer name, else all but the last word.
            size = next(
                (
                    n
                    for n in (2, 1)
                    if n < len(words) and self._reference.settlement(" ".join(words[:n]))
                ),
                len(words) - 1,
            )
            return Run(run.tokens[:size]), Run(
                run.tokens[size:], run.markers, run.prefixed, run.before_house
            )
        if (
            whole_is_city
            and undelimited
            and run.before_house
            and len(words) == 2
            and self._names.nominative_adjective_genders(fold(words[1]))
            and not self._names.adjective_genders(fold(words[0]))
        ):
            # «хутор обуховка степная 8»: an unknown place, then a street adjective after it
            return Run(run.tokens[:1]), Run(
                run.tokens[1:], run.markers, run.prefixed, run.before_house
            )
        if (
            whole_is_city
            and len(words) == 2
            and not (
                self._leading_settlement(words[:1], undelimited)
                and (undelimited or run.tokens[0].text.islower())
            )
        ):
            return run, None
        for size in (3, 2, 1):
            if size < len(words) and self._leading_settlement(words[:size], undelimited):
                return Run(run.tokens[:size]), Run(
                    run.tokens[size:], run.markers, run.prefixed, run.before_house
                )
        if run.tokens[0].text.islower() and not whole_is_city:
            # Speech: «подключение москва каширское шоссе» — the words before the city are talk.
            for start in range(1, len(words)):
                for size in (3, 2, 1):
                    if start + size < len(words) and self.known_city(words[start : start + size]):
                        return Run(run.tokens[start : start + size]), Run(
                            run.tokens[start + size :],
                            run.markers,
                            run.prefixed,
                            run.before_house,
                        )
        return (run, None) if whole_is_city else (None, run)

    def _leading_settlement(self, words: list[str], after_type_word: bool) -> bool:
        """Known settlement words; right after a settlement type word in an undelimited line any
        gazetteer name counts, also one that is a plain word («станица каневская таманская»)."""
        if self.known_city(words):
            return True
        return after_type_word and self._reference.settlement(" ".join(words)) is not None

    def district(self, run: Run, marker: Marker) -> str:
        if marker.value:
            return self._names.adjective_name(run.words, marker.value)
        return title_name(run.words)

    def set_city(self, draft: Draft, run: Run) -> None:
        name = self._names.city(run.words)
        if draft.values.get("city") in FEDERAL_CITIES and name != draft.values["city"]:
            # «г. Москва, г. Зеленоград»: the settlement inside the federal city is the city
            del draft.values["city"]
        set_name(draft, "city", run, name)
