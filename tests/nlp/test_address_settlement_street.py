"""Where the settlement ends and the street begins: Russian data tables of invented lines."""

from __future__ import annotations

import pytest
from natasha import MorphVocab

from nlp.address import AddressParser
from nlp.address_elements import FIELDS, ParsedAddress
from nlp.reference import StreetReference


@pytest.fixture(scope="module")
def parser() -> AddressParser:
    return AddressParser(MorphVocab(), StreetReference(()))


def _fields(parsed: ParsedAddress) -> dict[str, object]:
    return {name: value for name, value in parsed.as_dict().items() if name in FIELDS and value}


# (text, expected non-null fields); every field not listed must be null.
CASES: list[tuple[str, dict[str, str]]] = [
    # --- registry style «<settlement> <street> <type>» after a settlement type word
    (
        "г Тверь Смоленский пер 14 кв 2",
        {
            "city": "Тверь",
            "street": "Смоленский",
            "street_type": "переулок",
            "house": "14",
            "flat": "2",
        },
    ),
    (
        "г Казань Чистопольская ул 40",
        {"city": "Казань", "street": "Чистопольская", "street_type": "улица", "house": "40"},
    ),
    (
        "г Сергиев Посад Валовая ул 5",
        {"city": "Сергиев Посад", "street": "Валовая", "street_type": "улица", "house": "5"},
    ),
    (
        "г Нижний Тагил Ленина пр 20",
        {"city": "Нижний Тагил", "street": "Ленина", "street_type": "проспект", "house": "20"},
    ),
    (
        "п Первомайский Лесная ул 3",
        {"city": "Первомайский", "street": "Лесная", "street_type": "улица", "house": "3"},
    ),
    # --- the same without a street type word: the gazetteer name is the settlement
    (
        "г Тверь Смоленский 14 кв 2",
        {"city": "Тверь", "street": "Смоленский", "house": "14", "flat": "2"},
    ),
    (
        "г Великий Новгород Ломоносова 12",
        {"city": "Великий Новгород", "street": "Ломоносова", "house": "12"},
    ),
    # --- the type word before the street, the settlement named in full
    (
        "г Тверь ул Советская 5",
        {"city": "Тверь", "street": "Советская", "street_type": "улица", "house": "5"},
    ),
    (
        "г Великий Новгород ул Большая Московская 10",
        {
            "city": "Великий Новгород",
            "street": "Большая Московская",
            "street_type": "улица",
            "house": "10",
        },
    ),
    # --- speech: a two-word settlement whose adjective agrees with the street type after it
    (
        "алло да это нижний новгород проспект гагарина 100 корпус 3",
        {
            "city": "Нижний Новгород",
            "street": "Гагарина",
            "street_type": "проспект",
            "house": "100",
            "korpus": "3",
        },
    ),
    (
        "старый оскол микрорайон жукова 12 квартира 40",
        {
            "city": "Старый Оскол",
            "street": "Жукова",
            "street_type": "микрорайон",
            "house": "12",
            "flat": "40",
        },
    ),
    (
        "эээ ну нижний новгород ну улица бекетова 3 кв 5",
        {
            "city": "Нижний Новгород",
            "street": "Бекетова",
            "street_type": "улица",
            "house": "3",
            "flat": "5",
        },
    ),
    (
        "здравствуйте нижний тагил улица ленина 5",
        {"city": "Нижний Тагил", "street": "Ленина", "street_type": "улица", "house": "5"},
    ),
    (
        "алло мы в старом осколе проспект комсомольский 40 квартира 12",
        {
            "city": "Старый Оскол",
            "street": "Комсомольский",
            "street_type": "проспект",
            "house": "40",
            "flat": "12",
        },
    ),
    # --- a street named by an adjective before its type word is still the street
    (
        "москва кутузовский проспект 10 кв 5",
        {
            "city": "Москва",
            "street": "Кутузовский",
            "street_type": "проспект",
            "house": "10",
            "flat": "5",
        },
    ),
    (
        "Москва Ленинский 45 кв 3",
        {"city": "Москва", "street": "Ленинский", "house": "45", "flat": "3"},
    ),
    # --- a microdistrict named before its type word: the number after it is the house
    (
        "г Старый Оскол Жукова мкр 12",
        {"city": "Старый Оскол", "street": "Жукова", "street_type": "микрорайон", "house": "12"},
    ),
    (
        "Химки мкр 5 д 3",
        {"city": "Химки", "street": "5", "street_type": "микрорайон", "house": "3"},
    ),
    (
        "мкр. Северный, д. 5, кв. 12",
        {"street": "Северный", "street_type": "микрорайон", "house": "5", "flat": "12"},
    ),
    # --- rural settlement types
    (
        "ст. Каневская, ул. Горького, д. 10",
        {"city": "Каневская", "street": "Горького", "street_type": "улица", "house": "10"},
    ),
    (
        "ст Ленинградская Красная ул 5",
        {"city": "Ленинградская", "street": "Красная", "street_type": "улица", "house": "5"},
    ),
    (
        "станица каневская улица горького 10",
        {"city": "Каневская", "street": "Горького", "street_type": "улица", "house": "10"},
    ),
    (
        "хутор веселый улица садовая 3",
        {"city": "Веселый", "street": "Садовая", "street_type": "улица", "house": "3"},
    ),
    (
        "аул Хабез ул Ленина 7",
        {"city": "Хабез", "street": "Ленина", "street_type": "улица", "house": "7"},
    ),
    (
        "кп Лесные Дали, ул. Сосновая, уч. 4",
        {"city": "Лесные Дали", "street": "Сосновая", "street_type": "улица", "house": "4"},
    ),
    (
        "снт Березка уч 15",
        {"street": "Березка", "street_type": "территория", "house": "15"},
    ),
    # --- settlements whose names hold a type word or a preposition
    (
        "г Набережные Челны пр Мира 10",
        {"city": "Набережные Челны", "street": "Мира", "street_type": "проспект", "house": "10"},
    ),
    (
        "набережные челны проспект мира 10",
        {"city": "Набережные Челны", "street": "Мира", "street_type": "проспект", "house": "10"},
    ),
    (
        "ростов на дону пушкинская улица 10 кв 3",
        {
            "city": "Ростов-на-Дону",
            "street": "Пушкинская",
            "street_type": "улица",
            "house": "10",
            "flat": "3",
        },
    ),
    (
        "комсомольск на амуре улица ленина 5",
        {"city": "Комсомольск-на-Амуре", "street": "Ленина", "street_type": "улица", "house": "5"},
    ),
    (
        "д. Новая Деревня, ул. Садовая, д. 3",
        {"city": "Новая Деревня", "street": "Садовая", "street_type": "улица", "house": "3"},
    ),
    (
        "п. Лесной Поселок, ул. Мира 3",
        {"city": "Лесной Поселок", "street": "Мира", "street_type": "улица", "house": "3"},
    ),
    (
        "санкт петербург невский проспект 10 кв 5",
        {
            "city": "Санкт-Петербург",
            "street": "Невский",
            "street_type": "проспект",
            "house": "10",
            "flat": "5",
        },
    ),
    (
        "г Гусь Хрустальный Калинина ул 5",
        {"city": "Гусь-Хрустальный", "street": "Калинина", "street_type": "улица", "house": "5"},
    ),
    (
        "в городе нижний новгород на улице белинского дом 3",
        {"city": "Нижний Новгород", "street": "Белинского", "street_type": "улица", "house": "3"},
    ),
    (
        "великие луки ленина 5",
        {"city": "Великие Луки", "street": "Ленина", "house": "5"},
    ),
    (
        "станица каневская таманская 60",
        {"city": "Каневская", "street": "Таманская", "house": "60"},
    ),
    (
        "хутор обуховка степная 8",
        {"city": "Обуховка", "street": "Степная", "house": "8"},
    ),
    (
        "аул тахтамукай улица ленина 12",
        {"city": "Тахтамукай", "street": "Ленина", "street_type": "улица", "house": "12"},
    ),
    # --- garden partnerships
    (
        "с/т Березка уч. 5",
        {"street": "Березка", "street_type": "территория", "house": "5"},
    ),
    (
        "ДНТ Луч-3, уч. 7",
        {"street": "Луч-3", "street_type": "территория", "house": "7"},
    ),
    (
        "снт дружба-2 участок 15",
        {"street": "Дружба-2", "street_type": "территория", "house": "15"},
    ),
    # --- a settlement said in the genitive or written abbreviated
    (
        "мы из старого оскола улица ленина пять",
        {"city": "Старый Оскол", "street": "Ленина", "street_type": "улица", "house": "5"},
    ),
    (
        "из нижнего новгорода звоню улица белинского 3",
        {"city": "Нижний Новгород", "street": "Белинского", "street_type": "улица", "house": "3"},
    ),
    (
        "Ст. Оскол, мкр Жукова 12",
        {"city": "Старый Оскол", "street": "Жукова", "street_type": "микрорайон", "house": "12"},
    ),
    # --- an organisation's number before the address is not the house
    (
        "ГБУЗ ГКБ 5, 603000, г. Нижний Новгород, ул. Нестерова, д. 34",
        {"city": "Нижний Новгород", "street": "Нестерова", "street_type": "улица", "house": "34"},
    ),
    (
        "Поликлиника 3, г. Тверь, пр-т Победы, д. 20, кв. 8",
        {
            "city": "Тверь",
            "street": "Победы",
            "street_type": "проспект",
            "house": "20",
            "flat": "8",
        },
    ),
    # --- «ст» before a number stays строение
    (
        "ул Ленина д 5 ст. 1",
        {"street": "Ленина", "street_type": "улица", "house": "5", "building": "1"},
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_address_settlement_and_street_split(
    parser: AddressParser, text: str, expected: dict[str, str]
) -> None:
    assert _fields(parser.parse(text)) == expected


@pytest.mark.parametrize(
    ("text", "private"),
    [
        ("станица каневская улица горького 10", True),
        ("аул Хабез ул Ленина 7", True),
        ("с/т Березка уч. 5", True),
        ("аул тахтамукай улица ленина 12", True),
        ("г Тверь Смоленский пер 14 кв 2", False),
    ],
)
def test_address_rural_settlement_is_private_sector(
    parser: AddressParser, text: str, private: bool
) -> None:
    assert parser.parse(text).private_sector is private
