"""A parsed address and the pieces a line is read into before it: runs of name words,
type-word markers, separators, and the draft of field values."""

from __future__ import annotations

from dataclasses import dataclass, field

from nlp.address_tokens import Token
from nlp.address_vocab import AREA_STREET_TYPES, REGION_ABBREVIATIONS, Role

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
class Marker:
    """A named-part type word (ул., г., обл., р-н) waiting to be bound to the name beside it."""

    role: Role
    value: str  # the street or settlement type; the gender for regions and districts
    key: str
    token: Token | None = None


@dataclass(slots=True)
class Run:
    """Consecutive name words between separators and markers."""

    tokens: list[Token]
    markers: list[Marker] = field(default_factory=list)
    prefixed: bool = False
    before_house: bool = False
    after_house: bool = False

    @property
    def words(self) -> list[str]:
        return [t.text for t in self.tokens]


@dataclass(slots=True)
class Sep:
    """A break between runs: punctuation, a number, a numbered part."""

    house: bool = False


Element = Run | Marker | Sep


@dataclass(slots=True)
class Draft:
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


def abbreviated_region(run: Run, marker: Marker) -> bool:
    """«мос обл химки»: the short region name before «обл» is the region, not the city after."""
    return (
        marker.role is Role.REGION
        and len(run.tokens) == 1
        and run.tokens[0].key in REGION_ABBREVIATIONS
    )


def is_name(marker: Marker, after: Element | None) -> bool:
    """«ул. Набережная», «Набережная, 5»: a full type word with no name beside it is the name."""
    if marker.role is not Role.STREET or marker.key != marker.value or marker.key == "улица":
        return False
    return not isinstance(after, Marker) or after.role is Role.STREET


def settlement_name_word(marker: Marker, token: Token, elements: list[Element]) -> bool:
    """A settlement type word written in full and capitalised right after a settlement's name."""
    return (
        marker.role is Role.CITY
        and marker.key == marker.value
        and token.text[:1].isupper()
        and not token.text.isupper()
        and len(elements) >= 2
        and isinstance(elements[-1], Run)
        and isinstance(elements[-2], Marker)
        and elements[-2].role is Role.CITY
    )


def numbered_area(elements: list[Element], tokens: list[Token], i: int) -> bool:
    """«мкр. 5», «7 линия»: a number right after an area type word names it."""
    if not elements or not isinstance(elements[-1], Marker):
        return False
    marker = elements[-1]
    return marker.role is Role.STREET and marker.value in AREA_STREET_TYPES | {"линия"}


def extend_run(elements: list[Element], token: Token) -> None:
    last = elements[-1] if elements else None
    if isinstance(last, Run):
        last.tokens.append(token)
    else:
        elements.append(Run([token]))


def set_name(draft: Draft, name: str, run: Run, value: str) -> None:
    if value:
        draft.set(name, value, run.tokens[0].start, run.tokens[-1].end)
