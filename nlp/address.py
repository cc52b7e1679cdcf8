"""Russian free-text address to its components: rules over tokens, type-word tables, a catalog."""

from __future__ import annotations

from natasha import MorphVocab

from nlp.address_elements import (
    FIELDS,
    Draft,
    Element,
    Marker,
    ParsedAddress,
    Run,
    Sep,
    Span,
    abbreviated_region,
    extend_run,
    is_name,
    numbered_area,
    set_name,
    settlement_name_word,
)
from nlp.address_house import read_house, read_numbered, resolve_k
from nlp.address_names import NameNormalizer
from nlp.address_ordinals import spoken_ordinal, spoken_ordinal_word
from nlp.address_settlement import Settlements
from nlp.address_street import Streets
from nlp.address_tokens import (
    LATIN_LETTERS,
    Kind,
    Token,
    after_ordinal,
    extract,
    glued,
    is_number,
    names_follow,
    number_with_letter,
    ordinal,
    postfix_owner,
    skip,
    tokenize,
)
from nlp.address_type_words import TypeWords
from nlp.address_vocab import (
    FEDERAL_CITIES,
    KORPUS_NUMBERED_CITIES,
    LOWERCASE_NAME_WORDS,
    NOISE_WORDS,
    NUMBERED_MARKERS,
    REGION_ABBREVIATIONS,
    RURAL_CITY_TYPES,
    STREET_TYPE_WORDS,
    Role,
)
from nlp.reference import StreetReference, fold

_TRANSPARENT = frozenset(".«»\"'“”„-–—№#")
_SKIP_AFTER_MARKER = frozenset(".№#:")
_QUOTES = frozenset("«»\"'“”„")
_NUMBER_WORDS = frozenset({"номер", "нумер"})  # «дом номер 12», «корпус номер два»
_STATION_OR_BUILDING = "ст"  # станица or строение


class AddressParser:
    """Parses one address line; cheap per call, built once per street catalog."""

    def __init__(self, morph: MorphVocab, reference: StreetReference) -> None:
        self._reference = reference
        self._names = NameNormalizer(morph, reference)
        self._places = Settlements(reference, self._names)
        self._types = TypeWords(morph, self._names)
        self._streets = Streets(self._names)

    # ------------------------------------------------------------------ tokens -> parts
    def parse(self, text: str) -> ParsedAddress:
        cut = extract(text)
        tokens = tokenize(cut.text)
        if _shouting(tokens):
            for token in tokens:
                token.text = token.text.lower()
        draft = Draft(loose=not any(c in cut.text for c in ",;\n"))
        if cut.intercom is not None and cut.intercom_span is not None:
            draft.set("intercom", cut.intercom, *cut.intercom_span)
        elements = self._scan(tokens, draft)
        resolve_k(draft)
        self._bind(elements)
        return self._assemble(elements, draft, cut.private_sector)

    def _scan(self, tokens: list[Token], draft: Draft) -> list[Element]:
        elements: list[Element] = []
        claimed: set[int] = set()
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if i in claimed:
                i += 1
            elif token.kind is Kind.PUNCT:
                if token.text not in _TRANSPARENT:
                    elements.append(Sep())
                i += 1
            elif token.kind is Kind.NUM:
                i = self._number(tokens, i, draft, claimed, elements)
            else:
                i = self._word(tokens, i, draft, claimed, elements)
        return elements

    def _word(
        self,
        tokens: list[Token],
        i: int,
        draft: Draft,
        claimed: set[int],
        elements: list[Element],
    ) -> int:
        token = tokens[i]
        key = token.key
        j = skip(tokens, i + 1, _SKIP_AFTER_MARKER)
        role = NUMBERED_MARKERS.get(key)
        if role is not None and j < len(tokens) and tokens[j].key in _NUMBER_WORDS:
            j = skip(tokens, j + 1, _SKIP_AFTER_MARKER)
        if role is not None and is_number(tokens, j):
            return read_numbered(tokens, i, j, role, draft, claimed, elements)
        if role is Role.LETTER:
            j = skip(tokens, j, _QUOTES)  # «литера "А"»
            if j < len(tokens) and tokens[j].kind is Kind.WORD and len(tokens[j].key) == 1:
                letter = tokens[j].key.translate(LATIN_LETTERS).upper()
                draft.set("letter", letter, tokens[j].start, tokens[j].end)
                return skip(tokens, j + 1, _QUOTES)
        if key == "м.о" or (key in REGION_ABBREVIATIONS and token.text[:2].isupper()):
            region = REGION_ABBREVIATIONS["мо" if key == "м.о" else key]
            draft.set("region", region, token.start, token.end)
            elements.append(Sep())
            return i + 1
        marker = self._types.marker(key)
        if (
            marker is not None
            and settlement_name_word(marker, token, elements)
            and not (
                j < len(tokens)
                and tokens[j].kind is Kind.WORD
                and self._types.marker(tokens[j].key) is None
                and tokens[j].key not in NUMBERED_MARKERS
            )
        ):
            marker = None  # «д. Новая Деревня»: a capitalised type word inside the name
        if marker is not None:
            marker.token = token
            elements.append(marker)
            return i + 1
        if (
            key == _STATION_OR_BUILDING
            and j < len(tokens)
            and self._reference.city(f"{key} {tokens[j].key}")  # «Ст. Оскол»
        ):
            extend_run(elements, token)
            return j
        if key == _STATION_OR_BUILDING and _settlement_name_follows(tokens, j):
            # «ст. Каневская»: «ст» before a name is a станица, before a number an строение
            elements.append(Marker(Role.CITY, "станица", key, token))
            return i + 1
        if role is not None:
            elements.append(Sep())  # «Квартира,» of exports, «дом» without a number
            return i + 1
        if self._places.inside_settlement_name(tokens, i, elements):
            extend_run(elements, token)  # «ростов на дону», «комсомольск на амуре»
            return i + 1
        if key in NOISE_WORDS or (
            token.text.islower()
            and not (key in LOWERCASE_NAME_WORDS and elements and isinstance(elements[-1], Run))
            and self._names.is_filler(key)
            and not self._settlement_named(key, elements)
        ):
            if not (elements and isinstance(elements[-1], Marker)):
                elements.append(Sep())  # a greeting, a preposition, a caller's chatter
            return i + 1  # «улица значит Лесная»: the type word still reaches its name
        if len(key) == 1 and glued(tokens, i + 1, "."):
            token = Token(
                token.kind, token.text + ".", key, token.start, token.end + 1, token.spaced
            )
        spoken = spoken_ordinal_word(tokens, i)
        if spoken is not None:  # «третья парковая» -> «3-я Парковая»
            token = Token(Kind.WORD, spoken, spoken, token.start, token.end, token.spaced)
        extend_run(elements, token)
        return i + 1

    def _settlement_named(self, key: str, elements: list[Element]) -> bool:
        """«аул тахтамукай»: right after a settlement type word, a word the dictionary only
        guesses (as a verb here) or a gazetteer name is the settlement's name, not talk."""
        last = elements[-1] if elements else None
        if not (isinstance(last, Marker) and last.role is Role.CITY):
            return False
        return not self._names.is_known(key) or self._reference.settlement(key) is not None

    def _number(
        self,
        tokens: list[Token],
        i: int,
        draft: Draft,
        claimed: set[int],
        elements: list[Element],
    ) -> int:
        token = tokens[i]
        if len(token.key) == 6 or glued(tokens, i + 1, "%"):  # a postal code, a percentage
            elements.append(Sep())
            return i + 1
        run = _numbered_territory(elements, tokens, i)
        if run is not None:  # «СНТ Березка-2»: the number is part of the name
            last = run.tokens[-1]
            text = f"{last.text}-{token.key}"
            run.tokens[-1] = Token(last.kind, text, fold(text), last.start, token.end, last.spaced)
            return i + 1
        after = after_ordinal(tokens, i)
        marker = postfix_owner(tokens, i)
        if marker is not None:
            own = skip(tokens, marker + 1, ".№")
            if not is_number(tokens, own) or postfix_owner(tokens, own) is not None:
                role = NUMBERED_MARKERS[tokens[marker].key]
                draft.set(role.value, token.key, token.start, token.end)
                draft.postfix_marker_at.append(marker)
                claimed.add(marker)
                elements.append(Sep())
                return marker + 1
        if (
            after > i + 1
            or names_follow(tokens, i)
            or (numbered_area(elements, tokens, i) and not self._places.named_area(elements))
        ):
            suffix = "".join(t.key for t in tokens[i + 1 : after]).lstrip("-")
            text = ordinal(token.key, suffix) if suffix else token.text
            run_token = Token(Kind.WORD, text, text, token.start, tokens[after - 1].end, True)
            extend_run(elements, run_token)
            return after
        spoken = spoken_ordinal(tokens, i, draft, self._names, self._types)
        if spoken is not None:  # «третья парковая» said as «3 парковая»
            extend_run(elements, Token(Kind.WORD, spoken, spoken, token.start, token.end, True))
            return i + 1
        if "house" not in draft.values and "korpus" not in draft.values:
            elements.append(Sep(house=True))
            draft.bare_house = True
            return read_house(tokens, i, draft)
        value, end = number_with_letter(tokens, i)
        if not (i > 0 and tokens[i - 1].text == "("):  # «д.28 (3)»: a remark, not the flat
            draft.spare_numbers.append((value, token.start, tokens[end - 1].end))
        elements.append(Sep())
        return end

    # ------------------------------------------------------------------ names
    def _bind(self, elements: list[Element]) -> None:
        """Give each type word the name it belongs to: the one after it, or the one before it."""
        for index in range(len(elements) - 1):
            first, second = elements[index], elements[index + 1]
            if isinstance(first, Marker) and isinstance(second, Marker):
                if is_name(second, None) and second.token and first.role is Role.STREET:
                    elements[index + 1] = Run([second.token])  # «ул. Набережная»
                elif (
                    first.role is Role.STREET
                    and second.role is Role.STREET
                    and index > 0
                    and isinstance(previous := elements[index - 1], Run)
                    and self._streets.agrees(previous, first)
                ):
                    elements[index + 1] = Sep()  # «Серебристый бульвар ул.»: the real type wins
                elif is_name(first, None) and first.token and second.role is Role.STREET:
                    elements[index] = Run([first.token])  # «Набережная ул.»
        for index in range(1, len(elements) - 1):
            number, marker, name = elements[index - 1 : index + 2]
            if (
                isinstance(marker, Marker)
                and marker.role is Role.STREET
                and isinstance(number, Run)
                and isinstance(name, Run)
                and all(t.key[:1].isdigit() for t in number.tokens)
            ):
                name.tokens[:0] = number.tokens  # «5-я улица Соколиной Горы»
                elements[index - 1] = Sep()
        for index, element in enumerate(elements):
            if not isinstance(element, Marker):
                continue
            before = elements[index - 1] if index > 0 else None
            after = elements[index + 1] if index + 1 < len(elements) else None
            prev_run = before if isinstance(before, Run) else None
            next_run = after if isinstance(after, Run) and not after.prefixed else None
            if (
                next_run is not None
                and prev_run is not None
                and not prev_run.markers
                and (
                    self._streets.agrees(prev_run, element) or abbreviated_region(prev_run, element)
                )
                and not self._streets.agrees(next_run, element)
                and not self._places.settlement_before_street(prev_run, element)
            ):
                next_run = None
            lonely = prev_run is None or isinstance(after, Marker)
            if next_run is None and lonely and is_name(element, after):
                elements[index] = Run([element.token]) if element.token else Sep()
            elif next_run is not None:
                next_run.markers.insert(0, element)
                next_run.prefixed = True
            elif prev_run is not None:
                prev_run.markers.append(element)
        seen_house = False
        for index, element in enumerate(elements):
            if isinstance(element, Sep) and element.house:
                seen_house = True
            if isinstance(element, Run):
                element.after_house = seen_house
                following = elements[index + 1 : index + 3]
                element.before_house = any(isinstance(e, Sep) and e.house for e in following) and (
                    not isinstance(following[0], Run)
                )

    def _assemble(self, elements: list[Element], draft: Draft, private: bool) -> ParsedAddress:
        runs = [e for e in elements if isinstance(e, Run)]
        streets: list[tuple[Run, list[Marker]]] = []
        unmarked: list[Run] = []
        city_type: str | None = None
        for run in runs:
            roles = {m.role for m in run.markers}
            if Role.REGION in roles:
                marker = next(m for m in run.markers if m.role is Role.REGION)
                set_name(draft, "region", run, self._names.adjective_name(run.words, marker.value))
            elif Role.DISTRICT in roles:
                marker = next(m for m in run.markers if m.role is Role.DISTRICT)
                set_name(draft, "district", run, self._places.district(run, marker))
            elif Role.CITY in roles:
                city_run, rest = self._places.split_city(
                    run, whole_is_city=True, undelimited=draft.loose or Role.STREET in roles
                )
                city_type = city_type or next(m.value for m in run.markers if m.role is Role.CITY)
                if city_run is not None:
                    self._places.set_city(draft, city_run)
                if rest is not None:
                    street_markers = [m for m in run.markers if m.role is Role.STREET]
                    (
                        streets.append((rest, street_markers))
                        if street_markers
                        else unmarked.append(rest)
                    )
            elif Role.STREET in roles:
                city_run, rest = self._places.split_city(run, whole_is_city=False)
                if city_run is not None and rest is not None and "city" not in draft.values:
                    self._places.set_city(draft, city_run)
                    run = rest
                streets.append((run, [m for m in run.markers if m.role is Role.STREET]))
            else:
                unmarked.append(run)
        for run in unmarked:
            city_run, rest = self._places.split_city(run, whole_is_city=False)
            if city_run is not None:
                if "city" not in draft.values or draft.values["city"] in FEDERAL_CITIES:
                    self._places.set_city(draft, city_run)
                if rest is None:
                    continue  # a second known city is not a street
                run = rest
            if run.after_house and not run.before_house:
                continue  # a remark after the house number: «вход со двора»
            if run.before_house or (streets == [] and "city" in draft.values):
                streets.append((run, []))
            elif "city" not in draft.values and (
                not draft.loose or self._places.known_city(run.words)
            ):
                self._places.set_city(draft, run)
            elif draft.loose and "city" not in draft.values and not run.words[0][:1].isdigit():
                continue  # talk with no type word, no house and no known place is not an address
            else:
                streets.append((run, []))
        street_matched = draft.street_matched = self._streets.set_street(draft, streets)
        if draft.loose and not self._streets.evidence(draft):
            # «сто мегабит», «скорость 100»: a word and a number are not an address
            for name in ("street", "house", "street_type"):
                draft.values.pop(name, None)
                draft.spans.pop(name, None)
        return self._result(draft, private, city_type, street_matched)

    def _result(
        self, draft: Draft, private: bool, city_type: str | None, street_matched: bool
    ) -> ParsedAddress:
        values = draft.values
        numbered_by_korpus = values.get("city") in KORPUS_NUMBERED_CITIES
        if (
            numbered_by_korpus
            and "street" not in values
            and "korpus" not in values
            and ("house" in values)
        ):
            values["korpus"] = values.pop("house")
            draft.spans["korpus"] = draft.spans.pop("house")
        private = private or draft.plot
        if city_type in RURAL_CITY_TYPES and "flat" not in values:
            private = True
        confidence = 0.0
        if "house" in values or "korpus" in values:
            confidence += 0.4
        if "street" in values:
            confidence += 0.3
        elif private and "city" in values:
            confidence += 0.2
        if "city" in values:
            confidence += 0.1
        if street_matched:
            confidence += 0.2
        elif len(self._reference) == 0 and "street" in values:
            confidence += 0.05
        spans = tuple(
            Span(name, start, end) for name, (start, end) in draft.spans.items() if name in FIELDS
        )
        return ParsedAddress(
            **{name: values.get(name) for name in FIELDS},
            private_sector=private,
            confidence=round(min(confidence, 1.0), 2),
            street_matched=street_matched,
            spans=spans,
        )


# ---------------------------------------------------------------------- token helpers


def _settlement_name_follows(tokens: list[Token], j: int) -> bool:
    """A capitalised or spoken name word after «ст», not «ст. м.» (a metro station)."""
    if j >= len(tokens) or tokens[j].kind is not Kind.WORD or len(tokens[j].key) < 3:
        return False
    return tokens[j].key not in NUMBERED_MARKERS and tokens[j].key not in STREET_TYPE_WORDS


def _numbered_territory(elements: list[Element], tokens: list[Token], i: int) -> Run | None:
    """The partnership name a number is hyphen-glued to: «СНТ Березка-2», «ДНТ Луч-3»."""
    if len(elements) < 2 or not isinstance(run := elements[-1], Run):
        return None
    marker = elements[-2]
    glued_to_name = (
        isinstance(marker, Marker)
        and marker.value == "территория"
        and i >= 2
        and tokens[i - 1].text == "-"
        and not tokens[i - 1].spaced
        and not tokens[i].spaced
        and run.tokens[-1].end == tokens[i - 1].start
    )
    return run if glued_to_name else None


def _shouting(tokens: list[Token]) -> bool:
    """A text typed in capitals: its words are recapitalised; otherwise «ВЛКСМ» stays as written."""
    letters = "".join(t.text for t in tokens if t.kind is Kind.WORD)
    return sum(map(str.isupper, letters)) > 0.6 * max(len(letters), 1)
