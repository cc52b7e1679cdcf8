"""Street catalog and gazetteer: fuzzy correction, no match, and what the parser makes of them."""

from __future__ import annotations

import pytest
from natasha import MorphVocab

from nlp.address import AddressParser
from nlp.reference import StreetEntry, StreetReference

CATALOG = (
    StreetEntry("Химки", "Москвина", "улица"),
    StreetEntry("Химки", "Молодёжная", "улица"),
    StreetEntry("Химки", "Мельникова", "проспект"),
    StreetEntry("Химки", "Летчика Ивана Федорова", "улица"),
    StreetEntry("Москва", "Россошанский", "проезд"),
    StreetEntry("Москва", "Молодёжная", "улица"),
    StreetEntry("Белгород", "Королева", "улица"),
    StreetEntry("Таврово", "Садовая", "улица"),
)


@pytest.fixture(scope="module")
def reference() -> StreetReference:
    return StreetReference(CATALOG)


@pytest.fixture(scope="module")
def morph() -> MorphVocab:
    return MorphVocab()


@pytest.mark.parametrize(
    ("written", "city", "street"),
    [
        ("Москвинна", "Химки", "Москвина"),
        ("Москвиа", None, "Москвина"),
        ("молодежная", "Химки", "Молодёжная"),
        ("Летчика Ивана Федорва", "Химки", "Летчика Ивана Федорова"),
        ("Россошанськй", "Москва", "Россошанский"),
        ("королёва", "Белгород", "Королева"),
    ],
)
def test_reference_match_street_corrects_typos(
    reference: StreetReference, written: str, city: str | None, street: str
) -> None:
    match = reference.match_street(written, city)
    assert match is not None
    assert match.entry.street == street
    assert 85 <= match.score <= 100


@pytest.mark.parametrize("written", ["Тверская", "Мира", "Куркинское", "Ленинградская"])
def test_reference_match_street_none_when_nothing_close(
    reference: StreetReference, written: str
) -> None:
    assert reference.match_street(written, "Химки") is None


def test_reference_match_street_prefers_the_city(reference: StreetReference) -> None:
    match = reference.match_street("Молодежная", "Москва")
    assert match is not None and match.entry.city == "Москва"
    assert match.score == 100


def test_reference_match_street_none_when_catalog_empty() -> None:
    assert StreetReference(()).match_street("Москвина", "Химки") is None
    assert len(StreetReference(())) == 0


@pytest.mark.parametrize(
    ("written", "fuzzy", "city"),
    [
        ("СПб", False, "Санкт-Петербург"),
        ("питер", False, "Санкт-Петербург"),
        ("мск", False, "Москва"),
        ("химки", False, "Химки"),
        ("Белгрод", True, "Белгород"),
        ("Шебекинно", True, "Шебекино"),
        ("Красногоск", True, "Красногорск"),
        ("Белгрод", False, None),
        ("Таврово", False, "Таврово"),  # known from the catalog
        ("Усть-Неведомск", True, None),
    ],
)
def test_reference_city_gazetteer(
    reference: StreetReference, written: str, fuzzy: bool, city: str | None
) -> None:
    assert reference.city(written, fuzzy=fuzzy) == city


@pytest.mark.parametrize(
    ("written", "common"),
    [
        ("Маяковскго", "Маяковского"),
        ("Гагарна", "Гагарина"),
        ("Первомайска", "Первомайская"),
        ("Панфилово", None),  # another ending is another name, not a typo
        ("Рекинцо", None),
    ],
)
def test_reference_common_street_corrects_only_typos(
    reference: StreetReference, written: str, common: str | None
) -> None:
    assert reference.common_street(written) == common


@pytest.mark.parametrize(
    ("text", "street", "street_type"),
    [
        ("Химки, ул. Москвинна, д. 3, кв. 5", "Москвина", "улица"),
        ("Химки пр Мельникова 3", "Мельникова", "проспект"),
        ("Москва, Россошанский пр, д. 3", "Россошанский", "проезд"),
        ("Химки, летчика Ивана Федорва улица, 8", "Летчика Ивана Федорова", "улица"),
        ("с. Таврово, на Садовой, д 5", "Садовая", None),
    ],
)
def test_parser_street_matched_from_catalog(
    morph: MorphVocab, reference: StreetReference, text: str, street: str, street_type: str | None
) -> None:
    parsed = AddressParser(morph, reference).parse(text)
    assert (parsed.street, parsed.street_type, parsed.street_matched) == (
        street,
        street_type,
        True,
    )
    assert parsed.confidence >= 0.9


def test_parser_confidence_lower_when_street_not_in_catalog(
    morph: MorphVocab, reference: StreetReference
) -> None:
    parser = AddressParser(morph, reference)
    matched = parser.parse("Химки, ул. Москвина, д. 3, кв. 5")
    unknown = parser.parse("Химки, ул. Неизвестная, д. 3, кв. 5")
    assert matched.street_matched and not unknown.street_matched
    assert unknown.street == "Неизвестная"
    assert matched.confidence > unknown.confidence


@pytest.mark.parametrize("text", ["перезвоните мне пожалуйста", "", "Химки", "кв. 5"])
def test_parser_confidence_low_without_street_and_house(morph: MorphVocab, text: str) -> None:
    parsed = AddressParser(morph, StreetReference(())).parse(text)
    assert parsed.confidence < 0.6
    assert not parsed.street_matched


def test_parser_spans_point_into_the_text(morph: MorphVocab, reference: StreetReference) -> None:
    text = "Химки, ул. Москвинна, д. 3Б, кв. 5, эт. 2, п-д. 1, д-фон. 5к"
    parsed = AddressParser(morph, reference).parse(text)
    found = {span.field: text[span.start : span.end] for span in parsed.spans}
    assert found == {
        "city": "Химки",
        "street": "Москвинна",
        "house": "3Б",
        "flat": "5",
        "floor": "2",
        "entrance": "1",
        "intercom": "5к",
    }
