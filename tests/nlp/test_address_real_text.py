"""Address parser on the kinds of text people really send: registry lines, hurried typing,
caller speech transcripts. Russian data tables written for these tests (invented addresses)."""

from __future__ import annotations

import pytest
from natasha import MorphVocab

from nlp.address import AddressParser
from nlp.address_elements import FIELDS, ParsedAddress
from nlp.reference import StreetEntry, StreetReference


@pytest.fixture(scope="module")
def morph() -> MorphVocab:
    return MorphVocab()


@pytest.fixture(scope="module")
def parser(morph: MorphVocab) -> AddressParser:
    return AddressParser(morph, StreetReference(()))


def _fields(parsed: ParsedAddress) -> dict[str, object]:
    return {name: value for name, value in parsed.as_dict().items() if name in FIELDS and value}


# (text, every non-null field); a field not listed must come out null.
REGISTRY: list[tuple[str, dict[str, str]]] = [
    # the type word after the name, as registry exports write it
    (
        "Стромынка ул., д. 19, кв. 4",
        {"street": "Стромынка", "street_type": "улица", "house": "19", "flat": "4"},
    ),
    (
        "Дмитров г., Профессиональная ул., д. 3",
        {"city": "Дмитров", "street": "Профессиональная", "street_type": "улица", "house": "3"},
    ),
    # two type words: the real one wins over the registry's «ул.»
    (
        "Коломна г., Кленовый бульвар ул., д. 6",
        {"city": "Коломна", "street": "Кленовый", "street_type": "бульвар", "house": "6"},
    ),
    (
        "Рязанское ш., д. 48, корп. 2",
        {"street": "Рязанское", "street_type": "шоссе", "house": "48", "korpus": "2"},
    ),
    # «;» between the parts
    (
        "Тульская обл.; г. Алексин; ул. Заводская; д. 11; кв. 30",
        {
            "region": "Тульская",
            "city": "Алексин",
            "street": "Заводская",
            "street_type": "улица",
            "house": "11",
            "flat": "30",
        },
    ),
    # литера joins the house number
    (
        "г. Пермь, ул. Куйбышева, д. 52, лит. В",
        {"city": "Пермь", "street": "Куйбышева", "street_type": "улица", "house": "52В"},
    ),
    (
        "Казань, ул. Кремлёвская, д. 18, литера «Д»",
        {"city": "Казань", "street": "Кремлёвская", "street_type": "улица", "house": "18Д"},
    ),
    # владение and домовладение are the house
    (
        "ул. Покровка, владение 31",
        {"street": "Покровка", "street_type": "улица", "house": "31"},
    ),
    (
        "Лужнецкий проезд, вл. 7, стр. 2",
        {"street": "Лужнецкий", "street_type": "проезд", "house": "7", "building": "2"},
    ),
    (
        "ул. Полевая, двлд. 44",
        {"street": "Полевая", "street_type": "улица", "house": "44"},
    ),
    # two-word street names stay whole
    (
        "г. Москва, ул. Сущёвский Вал, д. 66",
        {"city": "Москва", "street": "Сущёвский Вал", "street_type": "улица", "house": "66"},
    ),
    (
        "Старая Басманная ул., д. 20, корп. 8",
        {
            "street": "Старая Басманная",
            "street_type": "улица",
            "house": "20",
            "korpus": "8",
        },
    ),
    # an abbreviated first adjective is written out in agreement; a first name is not
    (
        "Б. Якиманка ул., д. 22",
        {"street": "Большая Якиманка", "street_type": "улица", "house": "22"},
    ),
    (
        "Ср. Калитниковская ул., 30",
        {"street": "Средняя Калитниковская", "street_type": "улица", "house": "30"},
    ),
    # a spoken date in a street name is written with digits
    (
        "улица первого мая дом 14",
        {"street": "1 Мая", "street_type": "улица", "house": "14"},
    ),
    # an office, premises or storeroom number is not a flat; a remark in brackets neither
    (
        "г. Тула, пр-т Ленина, д. 84, офис 210",
        {"city": "Тула", "street": "Ленина", "street_type": "проспект", "house": "84"},
    ),
    (
        "ул. Гончарова, д. 9, пом. 4-Н",
        {"street": "Гончарова", "street_type": "улица", "house": "9"},
    ),
    (
        "Москва, Профсоюзная ул., д. 56, павильон 12",
        {"city": "Москва", "street": "Профсоюзная", "street_type": "улица", "house": "56"},
    ),
    (
        "Санкт-Петербург, наб. реки Мойки, д. 40",
        {
            "city": "Санкт-Петербург",
            "street": "реки Мойки",
            "street_type": "набережная",
            "house": "40",
        },
    ),
    (
        "Волгоградский пр-т, д. 32 (2)",
        {"street": "Волгоградский", "street_type": "проспект", "house": "32"},
    ),
    (
        "ул. Ключевая, 4, кв. 17/А",
        {"street": "Ключевая", "street_type": "улица", "house": "4", "flat": "17/А"},
    ),
]

KORPUS_OR_FLAT: list[tuple[str, dict[str, str]]] = [
    # bare «к.» after the house is the korpus
    ("д.21 к.3", {"house": "21", "korpus": "3"}),
    (
        "Мичуринский пр-т, д. 6, к. 1",
        {"street": "Мичуринский", "street_type": "проспект", "house": "6", "korpus": "1"},
    ),
    (
        "ул. Лётная, 15к.2",
        {"street": "Лётная", "street_type": "улица", "house": "15", "korpus": "2"},
    ),
    (
        "д. 40 к. 2, кв. 88",
        {"house": "40", "korpus": "2", "flat": "88"},
    ),
    # a registry export puts the flat after «к.» with the entrance and floor next
    (
        "г. Химки, ул. Репина, 8, к.57 П-д. 2, Этаж 5",
        {
            "city": "Химки",
            "street": "Репина",
            "street_type": "улица",
            "house": "8",
            "flat": "57",
            "entrance": "2",
            "floor": "5",
        },
    ),
]

SETTLEMENTS: list[tuple[str, dict[str, str]]] = [
    (
        "п.г.т. Приобье, ул. Газовиков, д. 2",
        {"city": "Приобье", "street": "Газовиков", "street_type": "улица", "house": "2"},
    ),
    (
        "рп Лесной Городок, ул. Фабричная, 5",
        {"city": "Лесной Городок", "street": "Фабричная", "street_type": "улица", "house": "5"},
    ),
    ("дер. Ивановка, д. 27", {"city": "Ивановка", "house": "27"}),
    (
        "Вологодская обл., Череповецкий р-н, пос. Тоншалово, ул. Рабочая, д. 9",
        {
            "region": "Вологодская",
            "district": "Череповецкий",
            "city": "Тоншалово",
            "street": "Рабочая",
            "street_type": "улица",
            "house": "9",
        },
    ),
    (
        "ЯНАО, г. Ноябрьск, ул. Изыскателей, 31",
        {
            "region": "Ямало-Ненецкий",
            "city": "Ноябрьск",
            "street": "Изыскателей",
            "street_type": "улица",
            "house": "31",
        },
    ),
    # a town inside a federal city is the city
    (
        "г. Москва, г. Троицк, ул. Сиреневая, д. 4",
        {"city": "Троицк", "street": "Сиреневая", "street_type": "улица", "house": "4"},
    ),
    (
        "Москва, Зеленоград, корп. 1205, кв. 3",
        {"city": "Зеленоград", "korpus": "1205", "flat": "3"},
    ),
    # a municipal settlement (поселение) is not part of the address
    (
        "с/п Никольское, д. Кузнецово, д. 6",
        {"city": "Кузнецово", "house": "6"},
    ),
    (
        "поселение Воскресенское, пос. Воскресенское, ул. Школьная, 3",
        {"city": "Воскресенское", "street": "Школьная", "street_type": "улица", "house": "3"},
    ),
    # a town far from Moscow, no type word, known from the gazetteer
    (
        "кинешма ул менделеева 14",
        {"city": "Кинешма", "street": "Менделеева", "street_type": "улица", "house": "14"},
    ),
]

SPEECH: list[tuple[str, dict[str, str]]] = [
    (
        "ну вот значит москва пятницкое шоссе 18 корпус 2 но это не точно",
        {
            "city": "Москва",
            "street": "Пятницкое",
            "street_type": "шоссе",
            "house": "18",
            "korpus": "2",
        },
    ),
    (
        "а подскажите пожалуйста сколько будет стоить москва зубовский бульвар 4",
        {"city": "Москва", "street": "Зубовский", "street_type": "бульвар", "house": "4"},
    ),
    (
        "так москва садовая черногрязская я потом перезвоню",
        {"city": "Москва", "street": "Садовая Черногрязская"},
    ),
    (
        "мы живем в подольске на улице садовой дом двадцать семь квартира сто три",
        {
            "city": "Подольск",
            "street": "Садовая",
            "street_type": "улица",
            "house": "27",
            "flat": "103",
        },
    ),
    (
        "улица значит академика королева дом пять",
        {"street": "Академика Королева", "street_type": "улица", "house": "5"},
    ),
    ("у меня 2 кожуховская 9", {"street": "2-я Кожуховская", "house": "9"}),
    # «номер», «дробь», «буква» as callers say them
    (
        "улица бакинская дом номер шесть корпус номер три",
        {"street": "Бакинская", "street_type": "улица", "house": "6", "korpus": "3"},
    ),
    (
        "улица тимирязевская дом 11 дробь 4",
        {"street": "Тимирязевская", "street_type": "улица", "house": "11/4"},
    ),
    (
        "улица чехова дом 2 буква б",
        {"street": "Чехова", "street_type": "улица", "house": "2Б"},
    ),
    (
        "мы в городе калуга живем улица гагарина 7",
        {"city": "Калуга", "street": "Гагарина", "street_type": "улица", "house": "7"},
    ),
    # «короче» is talk here, not the town Короча; the town is said in the locative
    (
        "короче мы в мытищах живем олимпийский проспект сорок",
        {"city": "Мытищи", "street": "Олимпийский", "street_type": "проспект", "house": "40"},
    ),
    ("москва 3 радиальная", {"city": "Москва", "street": "3-я Радиальная"}),
    (
        "вторая песчаная улица дом шесть",
        {"street": "2-я Песчаная", "street_type": "улица", "house": "6"},
    ),
    (
        "г. Москва, ул. 2-ая Филевская, д. 7",
        {"city": "Москва", "street": "2-я Филевская", "street_type": "улица", "house": "7"},
    ),
    (
        "3-й проезд Марьиной Рощи, д. 40",
        {"street": "3-й Марьиной Рощи", "street_type": "проезд", "house": "40"},
    ),
]

# A name and a number typed without a type word: a street and its house, unless the name is
# a common noun; a village's name before a house number is taken for a street.
SHORT: list[tuple[str, dict[str, str]]] = [
    ("солнечная 12", {"street": "Солнечная", "house": "12"}),
    ("чкалова 3", {"street": "Чкалова", "house": "3"}),
    ("генерала белова 41", {"street": "Генерала Белова", "house": "41"}),
]

# Calls and messages with no address: every field is null.
NOT_ADDRESSES = [
    "погода 25 градусов",
    "алло вы меня слышите",
    "я хочу узнать когда придет врач",
    "нет спасибо мне это не интересно",
    "скорость сто мегабит а платим мы много",
    "подскажите а зачем вам это знать",
]


@pytest.mark.parametrize(
    ("text", "expected"), REGISTRY + KORPUS_OR_FLAT + SETTLEMENTS + SPEECH + SHORT
)
def test_real_text_fields(parser: AddressParser, text: str, expected: dict[str, str]) -> None:
    assert _fields(parser.parse(text)) == expected


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_talk_without_address_gives_nothing(parser: AddressParser, text: str) -> None:
    parsed = parser.parse(text)
    assert _fields(parsed) == {}
    assert parsed.spans == ()
    assert parsed.confidence == 0.0


def test_catalog_street_wins_in_speech(morph: MorphVocab) -> None:
    """The organisation's own street catalog fixes what the caller's words leave unclear."""
    catalog = StreetReference(
        [StreetEntry("Москва", "Антонова-Овсеенко", "улица"), StreetEntry("Москва", "Мира", None)]
    )
    parsed = AddressParser(morph, catalog).parse("москва улица антонова овсиенко дом 3")
    assert (parsed.city, parsed.street, parsed.house) == ("Москва", "Антонова-Овсеенко", "3")
    assert parsed.street_matched
