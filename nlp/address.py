"""Russian free-text address to its components: rules over tokens, type-word tables, a catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from natasha import MorphVocab
from rapidfuzz import fuzz, process

from nlp.address_names import NameNormalizer, title_name
from nlp.address_tokens import (
    LATIN_LETTERS,
    Kind,
    Token,
    after_ordinal,
    extract,
    glued,
    glued_num,
    glued_word,
    house_letter,
    is_number,
    names_follow,
    number_with_letter,
    ordinal,
    postfix_owner,
    skip,
    tokenize,
)
from nlp.address_vocab import (
    AREA_STREET_TYPES,
    CITY_TYPE_WORDS,
    DISTRICT_TYPE_WORDS,
    FEDERAL_CITIES,
    KORPUS_NUMBERED_CITIES,
    LOWERCASE_NAME_WORDS,
    MONTHS_GENITIVE,
    NOISE_WORDS,
    NUMBERED_MARKERS,
    ORDINALS,
    POSTFIX_ROLES,
    PRIVATE_TERRITORY_WORDS,
    REGION_ABBREVIATIONS,
    REGION_TYPE_WORDS,
    RURAL_CITY_TYPES,
    STREET_TYPE_GENDER,
    STREET_TYPE_WORDS,
    Role,
)
from nlp.reference import StreetReference, fold

FIELDS = (
    "region",
    "district",
    "city",
    "street",
    "street_type",
    "house",
    "korpus",
    "building",
    "flat",
    "entrance",
    "floor",
    "intercom",
)

_TRANSPARENT = frozenset(".«»\"'“”„-–—№#")
_SKIP_AFTER_MARKER = frozenset(".№#:")
_QUOTES = frozenset("«»\"'“”„")
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
_NUMBER_WORDS = frozenset({"номер", "нумер"})  # «дом номер 12», «корпус номер два»
_AMBIGUOUS_PR = "пр"  # проспект or проезд
_STATION_OR_BUILDING = "ст"  # станица or строение
_GENDER_SUFFIX = {"femn": "я", "masc": "й", "neut": "е"}
_NOMINATIVE_ORDINAL_ENDINGS = ((("ая", "ья"), "я"), (("ый", "ой", "ий"), "й"))
_ADJECTIVE_ENDINGS = {"femn": ("ая", "яя"), "masc": ("ый", "ий", "ой"), "neut": ("ое", "ее")}


@dataclass(frozen=True, slots=True)
class Span:
    """Where a field's value was found in the input (character offsets)."""

    field: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """Address components as the eval README defines them, plus how far to trust them."""

    region: str | None = None
    district: str | None = None
    city: str | None = None
    street: str | None = None
    street_type: str | None = None
    house: str | None = None
    korpus: str | None = None
    building: str | None = None
    flat: str | None = None
    entrance: str | None = None
    floor: str | None = None
    intercom: str | None = None
    private_sector: bool = False
    confidence: float = 0.0
    street_matched: bool = False
    spans: tuple[Span, ...] = ()

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {name: getattr(self, name) for name in FIELDS}
        out.update(
            private_sector=self.private_sector,
            confidence=self.confidence,
            street_matched=self.street_matched,
        )
        return out


@dataclass(slots=True)
class _Marker:
    """A named-part type word (ул., г., обл., р-н) waiting to be bound to the name beside it."""

    role: Role
    value: str  # the street or settlement type; the gender for regions and districts
    key: str
    token: Token | None = None


@dataclass(slots=True)
class _Run:
    """Consecutive name words between separators and markers."""

    tokens: list[Token]
    markers: list[_Marker] = field(default_factory=list)
    prefixed: bool = False
    before_house: bool = False
    after_house: bool = False

    @property
    def words(self) -> list[str]:
        return [t.text for t in self.tokens]


@dataclass(slots=True)
class _Sep:
    """A break between runs: punctuation, a number, a numbered part."""

    house: bool = False


_Element = _Run | _Marker | _Sep


@dataclass(slots=True)
class _Draft:
    """Mutable field values and spans while a text is parsed."""

    values: dict[str, str] = field(default_factory=dict)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    pending_k: list[tuple[str, int, int, int]] = field(default_factory=list)
    flat_marker_at: list[int] = field(default_factory=list)
    building_marker_at: list[int] = field(default_factory=list)
    postfix_marker_at: list[int] = field(default_factory=list)
    spare_numbers: list[tuple[str, int, int]] = field(default_factory=list)
    plot: bool = False
    street_matched: bool = False
    loose: bool = False  # no commas: speech or a hurried line, parts are not delimited
    bare_house: bool = False  # the house number came with no «д.» before it

    def set(self, name: str, value: str, start: int, end: int) -> None:
        if name not in self.values:
            self.values[name] = value
            self.spans[name] = (start, end)


def _abbreviated_region(run: _Run, marker: _Marker) -> bool:
    """«мос обл химки»: the short region name before «обл» is the region, not the city after."""
    return (
        marker.role is Role.REGION
        and len(run.tokens) == 1
        and run.tokens[0].key in REGION_ABBREVIATIONS
    )


class AddressParser:
    """Parses one address line; cheap per call, built once per street catalog."""

    def __init__(self, morph: MorphVocab, reference: StreetReference) -> None:
        self._morph = morph
        self._reference = reference
        self._names = NameNormalizer(morph, reference)
        self._type_forms = _type_word_forms(morph)
        self._fuzzy_type = lru_cache(maxsize=4096)(self._fuzzy_type_uncached)

    # ------------------------------------------------------------------ tokens -> parts
    def parse(self, text: str) -> ParsedAddress:
        cut = extract(text)
        tokens = tokenize(cut.text)
        if _shouting(tokens):
            for token in tokens:
                token.text = token.text.lower()
        draft = _Draft(loose=not any(c in cut.text for c in ",;\n"))
        if cut.intercom is not None and cut.intercom_span is not None:
            draft.set("intercom", cut.intercom, *cut.intercom_span)
        elements = self._scan(tokens, draft)
        self._resolve_k(draft)
        self._bind(elements)
        return self._assemble(elements, draft, cut.private_sector)

    def _named_marker(self, key: str) -> _Marker | None:
        if key in STREET_TYPE_WORDS:
            return _Marker(Role.STREET, STREET_TYPE_WORDS[key], key)
        if key in CITY_TYPE_WORDS:
            return _Marker(Role.CITY, CITY_TYPE_WORDS[key], key)
        if key in REGION_TYPE_WORDS:
            return _Marker(Role.REGION, REGION_TYPE_WORDS[key], key)
        if key in DISTRICT_TYPE_WORDS:
            return _Marker(Role.DISTRICT, DISTRICT_TYPE_WORDS[key], key)
        full = self._type_forms.get(key) or self._fuzzy_type(key)
        if full is None:
            return None
        return self._named_marker(full)

    def _fuzzy_type_uncached(self, key: str) -> str | None:
        """A mistyped type word («прспект»): only for words the dictionary does not know."""
        if len(key) < 6 or not key.isalpha() or self._names.is_known(key):
            return None
        found = process.extractOne(key, _FULL_TYPE_WORDS, scorer=fuzz.ratio, score_cutoff=85)
        return None if found is None else str(found[0])

    def _scan(self, tokens: list[Token], draft: _Draft) -> list[_Element]:
        elements: list[_Element] = []
        claimed: set[int] = set()
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if i in claimed:
                i += 1
            elif token.kind is Kind.PUNCT:
                if token.text not in _TRANSPARENT:
                    elements.append(_Sep())
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
        draft: _Draft,
        claimed: set[int],
        elements: list[_Element],
    ) -> int:
        token = tokens[i]
        key = token.key
        j = skip(tokens, i + 1, _SKIP_AFTER_MARKER)
        role = NUMBERED_MARKERS.get(key)
        if role is not None and j < len(tokens) and tokens[j].key in _NUMBER_WORDS:
            j = skip(tokens, j + 1, _SKIP_AFTER_MARKER)
        if role is not None and is_number(tokens, j):
            return self._numbered(tokens, i, j, role, draft, claimed, elements)
        if role is Role.LETTER:
            j = skip(tokens, j, _QUOTES)  # «литера "А"»
            if j < len(tokens) and tokens[j].kind is Kind.WORD and len(tokens[j].key) == 1:
                letter = tokens[j].key.translate(LATIN_LETTERS).upper()
                draft.set("letter", letter, tokens[j].start, tokens[j].end)
                return skip(tokens, j + 1, _QUOTES)
        if key == "м.о" or (key in REGION_ABBREVIATIONS and token.text[:2].isupper()):
            region = REGION_ABBREVIATIONS["мо" if key == "м.о" else key]
            draft.set("region", region, token.start, token.end)
            elements.append(_Sep())
            return i + 1
        marker = self._named_marker(key)
        if (
            marker is not None
            and _settlement_name_word(marker, token, elements)
            and not (
                j < len(tokens)
                and tokens[j].kind is Kind.WORD
                and self._named_marker(tokens[j].key) is None
                and tokens[j].key not in NUMBERED_MARKERS
            )
        ):
            marker = None  # «д. Новая Деревня»: a capitalised type word inside the name
        if marker is not None:
            marker.token = token
            elements.append(marker)
            return i + 1
        if key == _STATION_OR_BUILDING and _settlement_name_follows(tokens, j):
            # «ст. Каневская»: «ст» before a name is a станица, before a number an строение
            elements.append(_Marker(Role.CITY, "станица", key, token))
            return i + 1
        if role is not None:
            elements.append(_Sep())  # «Квартира,» of exports, «дом» without a number
            return i + 1
        if self._inside_settlement_name(tokens, i, elements):
            _extend_run(elements, token)  # «ростов на дону», «комсомольск на амуре»
            return i + 1
        if key in NOISE_WORDS or (
            token.text.islower()
            and not (key in LOWERCASE_NAME_WORDS and elements and isinstance(elements[-1], _Run))
            and self._names.is_filler(key)
        ):
            if not (elements and isinstance(elements[-1], _Marker)):
                elements.append(_Sep())  # a greeting, a preposition, a caller's chatter
            return i + 1  # «улица значит Лесная»: the type word still reaches its name
        if len(key) == 1 and glued(tokens, i + 1, "."):
            token = Token(
                token.kind, token.text + ".", key, token.start, token.end + 1, token.spaced
            )
        spoken = _spoken_ordinal_word(tokens, i)
        if spoken is not None:  # «третья парковая» -> «3-я Парковая»
            token = Token(Kind.WORD, spoken, spoken, token.start, token.end, token.spaced)
        _extend_run(elements, token)
        return i + 1

    def _inside_settlement_name(
        self, tokens: list[Token], i: int, elements: list[_Element]
    ) -> bool:
        """A preposition inside a hyphenated settlement said or typed with spaces."""
        if tokens[i].key not in ("на", "в") or i + 1 >= len(tokens) or i == 0:
            return False
        if not (elements and isinstance(elements[-1], _Run)) or tokens[i + 1].kind is not Kind.WORD:
            return False
        name = f"{tokens[i - 1].key}-{tokens[i].key}-{tokens[i + 1].key}"
        return self._reference.settlement(name) is not None

    def _numbered(
        self,
        tokens: list[Token],
        i: int,
        j: int,
        role: Role,
        draft: _Draft,
        claimed: set[int],
        elements: list[_Element],
    ) -> int:
        """A marker followed by its number: «д. 5», «кв 12», «корп. 2», «п-д 1»."""
        elements.append(_Sep(house=role in (Role.HOUSE, Role.PLOT)))
        if role in (Role.HOUSE, Role.PLOT):
            end = self._house(tokens, j, draft)
            draft.plot = draft.plot or role is Role.PLOT
            return end
        value, end = number_with_letter(tokens, j)
        start, stop = tokens[j].start, tokens[end - 1].end
        if role is Role.KORPUS:
            draft.set("korpus", value, start, stop)
        elif role is Role.KORPUS_OR_FLAT and j == i + 1 and not tokens[j].spaced:
            draft.set("korpus", value, start, stop)  # «к2» glued: always корпус
        elif role is Role.KORPUS_OR_FLAT:
            draft.pending_k.append((value, start, stop, i))
        elif role is Role.BUILDING:
            draft.building_marker_at.append(i)
            draft.set("building", value, start, stop)
        elif role is Role.FLAT:
            draft.flat_marker_at.append(i)
            if glued(tokens, end, "/") and glued_word(tokens, end + 1):
                value += "/" + tokens[end + 1].text  # «кв. 39/ЖП»
                end += 2
                stop = tokens[end - 1].end
            draft.set("flat", value, start, stop)
        elif role is Role.PREMISES:
            pass  # an office or a storeroom number is not the flat
        elif role in POSTFIX_ROLES:
            owner = postfix_owner(tokens, j)
            if owner is not None and not is_number(tokens, skip(tokens, owner + 1, ".№")):
                return j  # «под 2 эт» is unusual; «2» belongs to the marker after it
            draft.set(role.value, tokens[j].key, tokens[j].start, tokens[j].end)
            draft.postfix_marker_at.append(i)
            end = after_ordinal(tokens, j)
            if glued(tokens, end, "/") and glued_num(tokens, end + 1):
                end += 2  # «эт. 3/9»: floor 3 of 9
        claimed.update(range(i, end))
        return end

    def _number(
        self,
        tokens: list[Token],
        i: int,
        draft: _Draft,
        claimed: set[int],
        elements: list[_Element],
    ) -> int:
        token = tokens[i]
        if len(token.key) == 6 or glued(tokens, i + 1, "%"):  # a postal code, a percentage
            elements.append(_Sep())
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
                elements.append(_Sep())
                return marker + 1
        if (
            after > i + 1
            or names_follow(tokens, i)
            or (_numbered_area(elements, tokens, i) and not self._named_area(elements))
        ):
            suffix = "".join(t.key for t in tokens[i + 1 : after]).lstrip("-")
            text = ordinal(token.key, suffix) if suffix else token.text
            run_token = Token(Kind.WORD, text, text, token.start, tokens[after - 1].end, True)
            _extend_run(elements, run_token)
            return after
        spoken = self._spoken_ordinal(tokens, i, draft)
        if spoken is not None:  # «третья парковая» said as «3 парковая»
            _extend_run(elements, Token(Kind.WORD, spoken, spoken, token.start, token.end, True))
            return i + 1
        if "house" not in draft.values and "korpus" not in draft.values:
            elements.append(_Sep(house=True))
            draft.bare_house = True
            return self._house(tokens, i, draft)
        value, end = number_with_letter(tokens, i)
        if not (i > 0 and tokens[i - 1].text == "("):  # «д.28 (3)»: a remark, not the flat
            draft.spare_numbers.append((value, token.start, tokens[end - 1].end))
        elements.append(_Sep())
        return end

    def _named_area(self, elements: list[_Element]) -> bool:
        """«Старый Оскол Жукова мкр 12»: the area's name came before its type word, so the
        number after it is the house; a bare settlement before it («Химки мкр 5») is no name."""
        if len(elements) < 2 or not isinstance(run := elements[-2], _Run):
            return False
        words = run.words
        return not (self._known_city(words[-1:]) or self._known_city(words[-2:]))

    def _spoken_ordinal(self, tokens: list[Token], i: int, draft: _Draft) -> str | None:
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
            or self._named_marker(word.key) is not None
        ):
            return None
        genders = self._names.nominative_adjective_genders(word.key)
        if not genders and not self._names.is_plain_word(word.key):
            # a street adjective the dictionary takes for a surname («кожуховская»): by its ending
            genders = frozenset(
                g for g, ends in _ADJECTIVE_ENDINGS.items() if word.key.endswith(ends)
            )
        suffix = next((_GENDER_SUFFIX[g] for g in ("femn", "neut", "masc") if g in genders), None)
        return None if suffix is None else f"{tokens[i].key}-{suffix}"

    def _house(self, tokens: list[Token], i: int, draft: _Draft) -> int:
        """A house number and what is glued to it: «10 Б», «5/2», «152к2-91», «12с1», «18-31»."""
        value = tokens[i].key
        j = i + 1
        if glued(tokens, j, "/") and glued_num(tokens, j + 1):
            value += "/" + tokens[j + 1].key
            j += 2
        letter, j = house_letter(tokens, j)
        value += letter
        if glued(tokens, j, "/") and glued_num(tokens, j + 1):
            value += "/" + tokens[j + 1].key
            j += 2
        draft.set("house", value, tokens[i].start, tokens[j - 1].end)
        if glued_word(tokens, j, ("к", "корп", "кор")):
            dot = 1 if glued(tokens, j + 1, ".") else 0  # «9к.3»
            if glued_num(tokens, j + 1 + dot):
                korpus, end = number_with_letter(tokens, j + 1 + dot)
                draft.set("korpus", korpus, tokens[j + 1 + dot].start, tokens[end - 1].end)
                j = end
        if glued_word(tokens, j, ("с", "стр")) and glued_num(tokens, j + 1):
            draft.set("building", tokens[j + 1].key, tokens[j + 1].start, tokens[j + 1].end)
            j += 2
        if (
            glued(tokens, j, "-")
            and glued_num(tokens, j + 1)
            and after_ordinal(tokens, j + 1) == j + 2
        ):
            draft.set("flat", tokens[j + 1].key, tokens[j + 1].start, tokens[j + 1].end)
            j += 2
        return j

    def _resolve_k(self, draft: _Draft) -> None:
        """Bare «к.N» is the корпус («д.14 к.2», «к.2, кв.45»); it is the flat only in registry
        exports, where an entrance or a floor follows it with no «кв.» («10, к.94 П-д. 1»)."""
        for value, start, end, at in draft.pending_k:
            explicit_after = any(m > at for m in draft.flat_marker_at + draft.building_marker_at)
            export_flat = not draft.flat_marker_at and any(m > at for m in draft.postfix_marker_at)
            if "korpus" not in draft.values and (
                explicit_after or not export_flat or "house" not in draft.values
            ):
                draft.set("korpus", value, start, end)
            else:
                draft.set("flat", value, start, end)
        if "flat" not in draft.values and len(draft.spare_numbers) == 1:
            draft.set("flat", *draft.spare_numbers[0])
        letter = draft.values.pop("letter", None)
        if letter and "house" in draft.values:
            draft.values["house"] += letter

    # ------------------------------------------------------------------ names
    def _bind(self, elements: list[_Element]) -> None:
        """Give each type word the name it belongs to: the one after it, or the one before it."""
        for index in range(len(elements) - 1):
            first, second = elements[index], elements[index + 1]
            if isinstance(first, _Marker) and isinstance(second, _Marker):
                if _is_name(second, None) and second.token and first.role is Role.STREET:
                    elements[index + 1] = _Run([second.token])  # «ул. Набережная»
                elif (
                    first.role is Role.STREET
                    and second.role is Role.STREET
                    and index > 0
                    and isinstance(previous := elements[index - 1], _Run)
                    and self._agrees(previous, first)
                ):
                    elements[index + 1] = _Sep()  # «Серебристый бульвар ул.»: the real type wins
                elif _is_name(first, None) and first.token and second.role is Role.STREET:
                    elements[index] = _Run([first.token])  # «Набережная ул.»
        for index in range(1, len(elements) - 1):
            number, marker, name = elements[index - 1 : index + 2]
            if (
                isinstance(marker, _Marker)
                and marker.role is Role.STREET
                and isinstance(number, _Run)
                and isinstance(name, _Run)
                and all(t.key[:1].isdigit() for t in number.tokens)
            ):
                name.tokens[:0] = number.tokens  # «5-я улица Соколиной Горы»
                elements[index - 1] = _Sep()
        for index, element in enumerate(elements):
            if not isinstance(element, _Marker):
                continue
            before = elements[index - 1] if index > 0 else None
            after = elements[index + 1] if index + 1 < len(elements) else None
            prev_run = before if isinstance(before, _Run) else None
            next_run = after if isinstance(after, _Run) and not after.prefixed else None
            if (
                next_run is not None
                and prev_run is not None
                and not prev_run.markers
                and (self._agrees(prev_run, element) or _abbreviated_region(prev_run, element))
                and not self._agrees(next_run, element)
                and not self._settlement_before_street(prev_run, element)
            ):
                next_run = None
            lonely = prev_run is None or isinstance(after, _Marker)
            if next_run is None and lonely and _is_name(element, after):
                elements[index] = _Run([element.token]) if element.token else _Sep()
            elif next_run is not None:
                next_run.markers.insert(0, element)
                next_run.prefixed = True
            elif prev_run is not None:
                prev_run.markers.append(element)
        seen_house = False
        for index, element in enumerate(elements):
            if isinstance(element, _Sep) and element.house:
                seen_house = True
            if isinstance(element, _Run):
                element.after_house = seen_house
                following = elements[index + 1 : index + 3]
                element.before_house = any(isinstance(e, _Sep) and e.house for e in following) and (
                    not isinstance(following[0], _Run)
                )

    def _settlement_before_street(self, run: _Run, marker: _Marker) -> bool:
        """«нижний новгород проспект гагарина»: a known settlement before a street type word is
        the city, though its adjective agrees with the type; the street is the name after it."""
        return marker.role is Role.STREET and self._known_city(run.words)

    def _agrees(self, run: _Run, marker: _Marker) -> bool:
        gender = self._marker_gender(marker)
        if not gender:
            return False
        return any(gender in self._names.adjective_genders(t.key) for t in run.tokens)

    @staticmethod
    def _marker_gender(marker: _Marker) -> str | None:
        if marker.role is Role.STREET:
            return STREET_TYPE_GENDER.get(marker.value)
        if marker.role in (Role.REGION, Role.DISTRICT):
            return marker.value or None
        return None

    def _assemble(self, elements: list[_Element], draft: _Draft, private: bool) -> ParsedAddress:
        runs = [e for e in elements if isinstance(e, _Run)]
        streets: list[tuple[_Run, list[_Marker]]] = []
        unmarked: list[_Run] = []
        city_type: str | None = None
        for run in runs:
            roles = {m.role for m in run.markers}
            if Role.REGION in roles:
                marker = next(m for m in run.markers if m.role is Role.REGION)
                self._set_name(
                    draft, "region", run, self._names.adjective_name(run.words, marker.value)
                )
            elif Role.DISTRICT in roles:
                marker = next(m for m in run.markers if m.role is Role.DISTRICT)
                self._set_name(draft, "district", run, self._district(run, marker))
            elif Role.CITY in roles:
                city_run, rest = self._split_city(
                    run, whole_is_city=True, undelimited=draft.loose or Role.STREET in roles
                )
                city_type = city_type or next(m.value for m in run.markers if m.role is Role.CITY)
                if city_run is not None:
                    self._set_city(draft, city_run)
                if rest is not None:
                    street_markers = [m for m in run.markers if m.role is Role.STREET]
                    (
                        streets.append((rest, street_markers))
                        if street_markers
                        else unmarked.append(rest)
                    )
            elif Role.STREET in roles:
                city_run, rest = self._split_city(run, whole_is_city=False)
                if city_run is not None and rest is not None and "city" not in draft.values:
                    self._set_city(draft, city_run)
                    run = rest
                streets.append((run, [m for m in run.markers if m.role is Role.STREET]))
            else:
                unmarked.append(run)
        for run in unmarked:
            city_run, rest = self._split_city(run, whole_is_city=False)
            if city_run is not None:
                if "city" not in draft.values or draft.values["city"] in FEDERAL_CITIES:
                    self._set_city(draft, city_run)
                if rest is None:
                    continue  # a second known city is not a street
                run = rest
            if run.after_house and not run.before_house:
                continue  # a remark after the house number: «вход со двора»
            if run.before_house or (streets == [] and "city" in draft.values):
                streets.append((run, []))
            elif "city" not in draft.values and (not draft.loose or self._known_city(run.words)):
                self._set_city(draft, run)
            elif draft.loose and "city" not in draft.values and not run.words[0][:1].isdigit():
                continue  # talk with no type word, no house and no known place is not an address
            else:
                streets.append((run, []))
        street_matched = draft.street_matched = self._set_street(draft, streets)
        if draft.loose and not self._evidence(draft):
            # «сто мегабит», «скорость 100»: a word and a number are not an address
            for name in ("street", "house", "street_type"):
                draft.values.pop(name, None)
                draft.spans.pop(name, None)
        return self._result(draft, private, city_type, street_matched)

    def _evidence(self, draft: _Draft) -> bool:
        """Something only an address has: a place, a type word, a marked house or flat,
        a numbered street («3-я Парковая»), or a house after a name that is not a common
        noun («молодежная 5» is an address, «скорость 100» is not)."""
        values = draft.values
        if {"city", "region", "district", "street_type", "korpus", "flat", "building"} & set(
            values
        ):
            return True
        if "house" in values and not draft.bare_house:
            return True
        street = values.get("street", "")
        if street[:1].isdigit() or draft.street_matched:
            return True
        return (
            bool(street)
            and "house" in values
            and not any(self._names.is_common_noun(fold(w)) for w in street.split())
        )

    def _known_city(self, words: list[str]) -> bool:
        """A settlement of the gazetteer; a one-word name that is also a common word only
        when it is one of the towns we serve («Советский» is a street until typed «г.»)."""
        joined = " ".join(words)
        if self._reference.city(joined) or (
            len(words) > 2 and self._reference.settlement("-".join(words))  # «ростов на дону»
        ):
            return True
        if self._reference.settlement(joined) is None:
            nominative = self._names.city(words)
            if self._reference.city(nominative):
                return True
            if self._reference.settlement(nominative) is None:
                return False
        return len(words) > 1 or not self._names.is_plain_word(fold(words[0]))

    def _split_city(
        self, run: _Run, *, whole_is_city: bool, undelimited: bool = False
    ) -> tuple[_Run | None, _Run | None]:
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
            else self._known_city(words)
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
            return _Run(run.tokens[:size]), _Run(
                run.tokens[size:], run.markers, run.prefixed, run.before_house
            )
        if (
            whole_is_city
            and len(words) == 2
            and not (self._known_city(words[:1]) and (undelimited or run.tokens[0].text.islower()))
        ):
            return run, None
        for size in (3, 2, 1):
            if size < len(words) and self._known_city(words[:size]):
                return _Run(run.tokens[:size]), _Run(
                    run.tokens[size:], run.markers, run.prefixed, run.before_house
                )
        if run.tokens[0].text.islower() and not whole_is_city:
            # Speech: «подключение москва каширское шоссе» — the words before the city are talk.
            for start in range(1, len(words)):
                for size in (3, 2, 1):
                    if start + size < len(words) and self._known_city(words[start : start + size]):
                        return _Run(run.tokens[start : start + size]), _Run(
                            run.tokens[start + size :],
                            run.markers,
                            run.prefixed,
                            run.before_house,
                        )
        return (run, None) if whole_is_city else (None, run)

    def _district(self, run: _Run, marker: _Marker) -> str:
        if marker.value:
            return self._names.adjective_name(run.words, marker.value)
        return title_name(run.words)

    def _set_city(self, draft: _Draft, run: _Run) -> None:
        name = self._names.city(run.words)
        if draft.values.get("city") in FEDERAL_CITIES and name != draft.values["city"]:
            # «г. Москва, г. Зеленоград»: the settlement inside the federal city is the city
            del draft.values["city"]
        self._set_name(draft, "city", run, name)

    @staticmethod
    def _set_name(draft: _Draft, name: str, run: _Run, value: str) -> None:
        if value:
            draft.set(name, value, run.tokens[0].start, run.tokens[-1].end)

    def _set_street(self, draft: _Draft, streets: list[tuple[_Run, list[_Marker]]]) -> bool:
        """The street wins over a microdistrict or territory; among equals, the last one."""
        if not streets:
            return False

        def rank(item: tuple[_Run, list[_Marker]]) -> int:
            types = {m.value for m in item[1]}
            if types and not types <= AREA_STREET_TYPES:
                return 3
            if item[0].before_house and not types:
                return 2
            return 1 if types else 0

        run, markers = max(reversed(streets), key=rank)
        street_type = self._street_type(run, markers)
        gender = STREET_TYPE_GENDER.get(street_type) if street_type else None
        name = self._names.street(run.words, street_type, gender, draft.values.get("city"))
        if (
            name.catalog_type
            and markers
            and (
                any(m.key == _AMBIGUOUS_PR for m in markers)
                or name.catalog_type in {m.value for m in markers}
            )
        ):
            street_type = name.catalog_type
        self._set_name(draft, "street", run, name.name)
        if street_type:
            draft.values["street_type"] = street_type
        if any(m.key in PRIVATE_TERRITORY_WORDS for m in markers):
            draft.plot = True
        return name.matched

    def _street_type(self, run: _Run, markers: list[_Marker]) -> str | None:
        types = list(dict.fromkeys(m.value for m in markers))
        if len(types) <= 1:
            return types[0] if types else None
        agreeing = [t for t in types if self._agrees(run, _Marker(Role.STREET, t, t))]
        if len(agreeing) == 1:
            return agreeing[0]
        specific = [t for t in types if t != "улица"]
        return specific[-1] if specific else types[0]

    def _result(
        self, draft: _Draft, private: bool, city_type: str | None, street_matched: bool
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
def _is_name(marker: _Marker, after: _Element | None) -> bool:
    """«ул. Набережная», «Набережная, 5»: a full type word with no name beside it is the name."""
    if marker.role is not Role.STREET or marker.key != marker.value or marker.key == "улица":
        return False
    return not isinstance(after, _Marker) or after.role is Role.STREET


def _settlement_name_word(marker: _Marker, token: Token, elements: list[_Element]) -> bool:
    """A settlement type word written in full and capitalised right after a settlement's name."""
    return (
        marker.role is Role.CITY
        and marker.key == marker.value
        and token.text[:1].isupper()
        and not token.text.isupper()
        and len(elements) >= 2
        and isinstance(elements[-1], _Run)
        and isinstance(elements[-2], _Marker)
        and elements[-2].role is Role.CITY
    )


def _settlement_name_follows(tokens: list[Token], j: int) -> bool:
    """A capitalised or spoken name word after «ст», not «ст. м.» (a metro station)."""
    if j >= len(tokens) or tokens[j].kind is not Kind.WORD or len(tokens[j].key) < 3:
        return False
    return tokens[j].key not in NUMBERED_MARKERS and tokens[j].key not in STREET_TYPE_WORDS


def _shouting(tokens: list[Token]) -> bool:
    """A text typed in capitals: its words are recapitalised; otherwise «ВЛКСМ» stays as written."""
    letters = "".join(t.text for t in tokens if t.kind is Kind.WORD)
    return sum(c.isupper() for c in letters) > 0.6 * max(len(letters), 1)


def _numbered_area(elements: list[_Element], tokens: list[Token], i: int) -> bool:
    """«мкр. 5», «7 линия»: a number right after an area type word names it."""
    if not elements or not isinstance(elements[-1], _Marker):
        return False
    marker = elements[-1]
    return marker.role is Role.STREET and marker.value in AREA_STREET_TYPES | {"линия"}


def _spoken_ordinal_word(tokens: list[Token], i: int) -> str | None:
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


def _extend_run(elements: list[_Element], token: Token) -> None:
    last = elements[-1] if elements else None
    if isinstance(last, _Run):
        last.tokens.append(token)
    else:
        elements.append(_Run([token]))


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
