"""Address parser: Russian data tables (synthetic, not copies of the eval strings)."""

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


# (text, expected non-null fields); every field not listed must be null.
CASES: list[tuple[str, dict[str, str]]] = [
    # --- a short region name before «обл», the city after it without a type word
    (
        "мос обл химки ул молодежная д63 к2 кв 5",
        {
            "region": "Московская",
            "city": "Химки",
            "street": "Молодежная",
            "street_type": "улица",
            "house": "63",
            "korpus": "2",
            "flat": "5",
        },
    ),
    # --- full export lines with type words before the name
    (
        "г. Мытищи, ул. Колпакова, д. 12, кв. 45",
        {
            "city": "Мытищи",
            "street": "Колпакова",
            "street_type": "улица",
            "house": "12",
            "flat": "45",
        },
    ),
    (
        "Московская обл, г Долгопрудный, Лихачевский пр-кт, д 64 к 2 кв 10",
        {
            "region": "Московская",
            "city": "Долгопрудный",
            "street": "Лихачевский",
            "street_type": "проспект",
            "house": "64",
            "korpus": "2",
            "flat": "10",
        },
    ),
    (
        "Тула, ул. Болдина, д. 5 кв.2",
        {"city": "Тула", "street": "Болдина", "street_type": "улица", "house": "5", "flat": "2"},
    ),
    (
        "г. Москва, улица Академика Королева, дом 12",
        {"city": "Москва", "street": "Академика Королева", "street_type": "улица", "house": "12"},
    ),
    (
        "Химки улица Кудрявцева дом 5 квартира 2 подъезд 1 этаж 1 домофон 2",
        {
            "city": "Химки",
            "street": "Кудрявцева",
            "street_type": "улица",
            "house": "5",
            "flat": "2",
            "entrance": "1",
            "floor": "1",
            "intercom": "2",
        },
    ),
    # --- reordered: name first, type word after it
    (
        "Подольск, Садовая ул., 7, кв 3",
        {
            "city": "Подольск",
            "street": "Садовая",
            "street_type": "улица",
            "house": "7",
            "flat": "3",
        },
    ),
    (
        "Балашиха г., Энтузиастов ш., 7",
        {"city": "Балашиха", "street": "Энтузиастов", "street_type": "шоссе", "house": "7"},
    ),
    (
        "Химки, Ивакино кв-л, д 2, кв 9",
        {"city": "Химки", "street": "Ивакино", "street_type": "квартал", "house": "2", "flat": "9"},
    ),
    (
        "кв. 12, д. 5, ул. Кирова, Химки",
        {"city": "Химки", "street": "Кирова", "street_type": "улица", "house": "5", "flat": "12"},
    ),
    (
        "Москва, Кутузовский проспект 30 кв 5",
        {
            "city": "Москва",
            "street": "Кутузовский",
            "street_type": "проспект",
            "house": "30",
            "flat": "5",
        },
    ),
    # --- abbreviations of street types
    (
        "Лобня, Ленинский пр-т, д. 10 Б, кв. 4",
        {
            "city": "Лобня",
            "street": "Ленинский",
            "street_type": "проспект",
            "house": "10Б",
            "flat": "4",
        },
    ),
    (
        "СПб, Невский пр., д. 28, кв. 5",
        {
            "city": "Санкт-Петербург",
            "street": "Невский",
            "street_type": "проспект",
            "house": "28",
            "flat": "5",
        },
    ),
    (
        "г. Дубна, пр-д Строителей, д. 4, к. 1, кв. 8",
        {
            "city": "Дубна",
            "street": "Строителей",
            "street_type": "проезд",
            "house": "4",
            "korpus": "1",
            "flat": "8",
        },
    ),
    (
        "Истра, пер. Песочный, д 5/2",
        {"city": "Истра", "street": "Песочный", "street_type": "переулок", "house": "5/2"},
    ),
    (
        "Химки, туп. Заводской, д 2",
        {"city": "Химки", "street": "Заводской", "street_type": "тупик", "house": "2"},
    ),
    (
        "Химки, пл. Победы, 2",
        {"city": "Химки", "street": "Победы", "street_type": "площадь", "house": "2"},
    ),
    (
        "Красногорск, б-р Космонавтов, д. 11, кв. 205, 5 под., 9 эт.",
        {
            "city": "Красногорск",
            "street": "Космонавтов",
            "street_type": "бульвар",
            "house": "11",
            "flat": "205",
            "entrance": "5",
            "floor": "9",
        },
    ),
    (
        "Химки, Ленинградское ш., д. 1, кв. 9",
        {
            "city": "Химки",
            "street": "Ленинградское",
            "street_type": "шоссе",
            "house": "1",
            "flat": "9",
        },
    ),
    (
        "Москва, ш. Энтузиастов, д. 30",
        {"city": "Москва", "street": "Энтузиастов", "street_type": "шоссе", "house": "30"},
    ),
    (
        "Клин, наб. Бычкова, д.3",
        {"city": "Клин", "street": "Бычкова", "street_type": "набережная", "house": "3"},
    ),
    (
        "Старый Оскол, м-н Жукова, д. 12, кв. 8",
        {
            "city": "Старый Оскол",
            "street": "Жукова",
            "street_type": "микрорайон",
            "house": "12",
            "flat": "8",
        },
    ),
    (
        "Химки, аллея Героев, д 5",
        {"city": "Химки", "street": "Героев", "street_type": "аллея", "house": "5"},
    ),
    (
        "Екатеринбург, Московский тракт, 12",
        {"city": "Екатеринбург", "street": "Московский", "street_type": "тракт", "house": "12"},
    ),
    (
        "Санкт-Петербург, 7-я линия, д. 34, кв. 2",
        {
            "city": "Санкт-Петербург",
            "street": "7-я",
            "street_type": "линия",
            "house": "34",
            "flat": "2",
        },
    ),
    (
        "Химки, Новогорск тер., 4, к.17 П-д. 1, Этаж 2",
        {
            "city": "Химки",
            "street": "Новогорск",
            "street_type": "территория",
            "house": "4",
            "flat": "17",
            "entrance": "1",
            "floor": "2",
        },
    ),
    (
        "Москва, Варшавское ш, 26 стр. 3",
        {
            "city": "Москва",
            "street": "Варшавское",
            "street_type": "шоссе",
            "house": "26",
            "building": "3",
        },
    ),
    # --- two type words: the real street wins; a microdistrict is dropped for a street
    (
        "г Мытищи ул Ярославское ш д 114 кв 7",
        {
            "city": "Мытищи",
            "street": "Ярославское",
            "street_type": "шоссе",
            "house": "114",
            "flat": "7",
        },
    ),
    (
        "Балашиха, мкр. Янтарный, ул. Свердлова, д. 1, кв. 10",
        {
            "city": "Балашиха",
            "street": "Свердлова",
            "street_type": "улица",
            "house": "1",
            "flat": "10",
        },
    ),
    # --- registry export: «к.NN» after a bare house is the flat; «к.» before кв./стр. is корпус
    (
        "Московская обл., Химки г., Юбилейный пр-кт., 40, к.12 П-д. 2, Этаж 3",
        {
            "region": "Московская",
            "city": "Химки",
            "street": "Юбилейный",
            "street_type": "проспект",
            "house": "40",
            "flat": "12",
            "entrance": "2",
            "floor": "3",
        },
    ),
    (
        "Химки г., Панфилова ул., 19, к.48 П-д. 2, Этаж 3; 48В",
        {
            "city": "Химки",
            "street": "Панфилова",
            "street_type": "улица",
            "house": "19",
            "flat": "48",
            "entrance": "2",
            "floor": "3",
            "intercom": "48В",
        },
    ),
    (
        "Химки г., Мира ул., 5, к.1, стр.2",
        {
            "city": "Химки",
            "street": "Мира",
            "street_type": "улица",
            "house": "5",
            "korpus": "1",
            "building": "2",
        },
    ),
    (
        "Химки, ул. Кирова, д.5, к.2",
        {"city": "Химки", "street": "Кирова", "street_type": "улица", "house": "5", "korpus": "2"},
    ),
    # --- house numbers: letters, fractions, glued korpus/building, shorthand flats
    (
        "Химки, ул. Дружбы 152к2-91",
        {
            "city": "Химки",
            "street": "Дружбы",
            "street_type": "улица",
            "house": "152",
            "korpus": "2",
            "flat": "91",
        },
    ),
    (
        "Москва, Сиреневый б-р, 4к1, кв 70",
        {
            "city": "Москва",
            "street": "Сиреневый",
            "street_type": "бульвар",
            "house": "4",
            "korpus": "1",
            "flat": "70",
        },
    ),
    (
        "Москва, Нагорная ул, 18к3, 5 эт, кв 112",
        {
            "city": "Москва",
            "street": "Нагорная",
            "street_type": "улица",
            "house": "18",
            "korpus": "3",
            "floor": "5",
            "flat": "112",
        },
    ),
    (
        "Москва, ул. Лескова, 12с2",
        {
            "city": "Москва",
            "street": "Лескова",
            "street_type": "улица",
            "house": "12",
            "building": "2",
        },
    ),
    (
        "Москва, ул. Народного Ополчения, д. 5, корп. 3, стр. 1",
        {
            "city": "Москва",
            "street": "Народного Ополчения",
            "street_type": "улица",
            "house": "5",
            "korpus": "3",
            "building": "1",
        },
    ),
    (
        "Химки, ул. Ленина, д. 5, лит. А",
        {"city": "Химки", "street": "Ленина", "street_type": "улица", "house": "5А"},
    ),
    (
        "Тверь, ул. Склизкова, д 7б, кв 1",
        {
            "city": "Тверь",
            "street": "Склизкова",
            "street_type": "улица",
            "house": "7Б",
            "flat": "1",
        },
    ),
    (
        "Тверь, ул. Склизкова, д 7-в",
        {"city": "Тверь", "street": "Склизкова", "street_type": "улица", "house": "7В"},
    ),
    (
        "Электросталь, Тевосяна 18-31",
        {"city": "Электросталь", "street": "Тевосяна", "house": "18", "flat": "31"},
    ),
    (
        "Химки, ул. Кирова, вл. 7",
        {"city": "Химки", "street": "Кирова", "street_type": "улица", "house": "7"},
    ),
    (
        "Зеленоград, корп. 1124, кв. 77",
        {"city": "Зеленоград", "korpus": "1124", "flat": "77"},
    ),
    (
        "Зеленоград, к. 2011, 3 подъезд",
        {"city": "Зеленоград", "korpus": "2011", "entrance": "3"},
    ),
    (
        "141400, Московская обл., г. Химки, ул. Победы, д. 2, кв. 14",
        {
            "region": "Московская",
            "city": "Химки",
            "street": "Победы",
            "street_type": "улица",
            "house": "2",
            "flat": "14",
        },
    ),
    # --- numbers inside street names
    (
        "Москва, 2-я Владимирская ул., д. 10, кв. 5",
        {
            "city": "Москва",
            "street": "2-я Владимирская",
            "street_type": "улица",
            "house": "10",
            "flat": "5",
        },
    ),
    (
        "Москва, ул. 8 Марта, д. 1",
        {"city": "Москва", "street": "8 Марта", "street_type": "улица", "house": "1"},
    ),
    (
        "Королёв, ул. 50 лет ВЛКСМ, д. 3",
        {"city": "Королёв", "street": "50 лет ВЛКСМ", "street_type": "улица", "house": "3"},
    ),
    (
        "Белгород, мкр. 5, д. 12, кв. 3",
        {
            "city": "Белгород",
            "street": "5",
            "street_type": "микрорайон",
            "house": "12",
            "flat": "3",
        },
    ),
    # --- villages, districts, private houses
    (
        "д. Юдино, д. 35",
        {"city": "Юдино", "house": "35"},
    ),
    (
        "Одинцовский р-н, с. Жаворонки, ул. Лесная, д 14",
        {
            "district": "Одинцовский",
            "city": "Жаворонки",
            "street": "Лесная",
            "street_type": "улица",
            "house": "14",
        },
    ),
    (
        "Дмитровский г.о., д. Шуколово, д. 15",
        {"district": "Дмитровский", "city": "Шуколово", "house": "15"},
    ),
    (
        "г.о. Солнечногорск, д. Жилино, ул. Центральная, 3",
        {
            "district": "Солнечногорск",
            "city": "Жилино",
            "street": "Центральная",
            "street_type": "улица",
            "house": "3",
        },
    ),
    (
        "Белгородская обл., Шебекинский р-н, с. Первое Цепляево, ул. Мира, д. 2",
        {
            "region": "Белгородская",
            "district": "Шебекинский",
            "city": "Первое Цепляево",
            "street": "Мира",
            "street_type": "улица",
            "house": "2",
        },
    ),
    (
        "пос. Октябрьский, ул. Школьная, д. 3",
        {"city": "Октябрьский", "street": "Школьная", "street_type": "улица", "house": "3"},
    ),
    (
        "рп Майский, ул. Садовая 4",
        {"city": "Майский", "street": "Садовая", "street_type": "улица", "house": "4"},
    ),
    (
        "Белгородский р-н, п. Северный, ул. Березовая, 8",
        {
            "district": "Белгородский",
            "city": "Северный",
            "street": "Березовая",
            "street_type": "улица",
            "house": "8",
        },
    ),
    (
        'СНТ "Ромашка", уч. 45',
        {"street": "Ромашка", "street_type": "территория", "house": "45"},
    ),
    (
        "Истринский р-н, СНТ «Родник», участок 112",
        {"district": "Истринский", "street": "Родник", "street_type": "территория", "house": "112"},
    ),
    (
        "Химки, ул. Кирова 5, частный сектор",
        {"city": "Химки", "street": "Кирова", "street_type": "улица", "house": "5"},
    ),
    # --- inflected forms: cities and adjective street names to the nominative
    (
        "в химках на ул Садовой дом 5 кв 12",
        {"city": "Химки", "street": "Садовая", "street_type": "улица", "house": "5", "flat": "12"},
    ),
    (
        "на Молодежной улице д 3 кв 7",
        {"street": "Молодежная", "street_type": "улица", "house": "3", "flat": "7"},
    ),
    (
        "на Кутузовском проспекте дом 30",
        {"street": "Кутузовский", "street_type": "проспект", "house": "30"},
    ),
    (
        "в Белгороде на Народном бульваре 70 кв 12",
        {
            "city": "Белгород",
            "street": "Народный",
            "street_type": "бульвар",
            "house": "70",
            "flat": "12",
        },
    ),
    (
        "в Старом Осколе, мкр Олимпийский 5",
        {
            "city": "Старый Оскол",
            "street": "Олимпийский",
            "street_type": "микрорайон",
            "house": "5",
        },
    ),
    (
        "Мытищи, ул. Крупской, д. 4",
        {"city": "Мытищи", "street": "Крупской", "street_type": "улица", "house": "4"},
    ),
    (
        "Мытищи, ул. Красной Армии, д. 4",
        {"city": "Мытищи", "street": "Красной Армии", "street_type": "улица", "house": "4"},
    ),
    (
        "Московской области, Солнечногорского района, д. Брёхово, д. 2",
        {"region": "Московская", "district": "Солнечногорский", "city": "Брёхово", "house": "2"},
    ),
    # --- typos in cities, streets and marker words
    (
        "Белгрод, ул. Щорса 8",
        {"city": "Белгород", "street": "Щорса", "street_type": "улица", "house": "8"},
    ),
    (
        "Мытищщи, ул. Мира, д. 1",
        {"city": "Мытищи", "street": "Мира", "street_type": "улица", "house": "1"},
    ),
    (
        "Химки, ул. Маяковскго 10",
        {"city": "Химки", "street": "Маяковского", "street_type": "улица", "house": "10"},
    ),
    (
        "Химки, ул. Гагарна, д 10",
        {"city": "Химки", "street": "Гагарина", "street_type": "улица", "house": "10"},
    ),
    (
        "Москва, Мичуринский прсп., 5, кв 3",
        {
            "city": "Москва",
            "street": "Мичуринский",
            "street_type": "проспект",
            "house": "5",
            "flat": "3",
        },
    ),
    (
        "Москва, Мичуринский проспкт, дом 5",
        {"city": "Москва", "street": "Мичуринский", "street_type": "проспект", "house": "5"},
    ),
    (
        "Химки, ул. Кирова, д. 5, вк. 12, подьезд 2, этж 3",
        {
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
            "flat": "12",
            "entrance": "2",
            "floor": "3",
        },
    ),
    (
        "Нижний Новгород, ул. Ванеева, д. 20, копр. 2, кв. 6",
        {
            "city": "Нижний Новгород",
            "street": "Ванеева",
            "street_type": "улица",
            "house": "20",
            "korpus": "2",
            "flat": "6",
        },
    ),
    # --- entrance, floor, intercom markers
    (
        "Химки, ул Кирова 5 кв 12 подъезд 1 этаж первый",
        {
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
            "flat": "12",
            "entrance": "1",
            "floor": "1",
        },
    ),
    (
        "Химки, ул. Кирова, д. 5, кв. 12, 3-й подъезд, 2-й этаж",
        {
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
            "flat": "12",
            "entrance": "3",
            "floor": "2",
        },
    ),
    (
        "Мытищи, ул. Мира 5 2 подъезд 4 этаж",
        {
            "city": "Мытищи",
            "street": "Мира",
            "street_type": "улица",
            "house": "5",
            "entrance": "2",
            "floor": "4",
        },
    ),
    (
        "г Химки ул Бабакина д 5 кв 3 п 2 эт 4",
        {
            "city": "Химки",
            "street": "Бабакина",
            "street_type": "улица",
            "house": "5",
            "flat": "3",
            "entrance": "2",
            "floor": "4",
        },
    ),
    (
        "Химки, ул. Кирова, д. 5, кв. 12, второй подъезд, пятый этаж",
        {
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
            "flat": "12",
            "entrance": "2",
            "floor": "5",
        },
    ),
    (
        "Химки, ул. Кудрявцева, дом 12, квартира 40, подъезд №2, этаж 5, код 40#",
        {
            "city": "Химки",
            "street": "Кудрявцева",
            "street_type": "улица",
            "house": "12",
            "flat": "40",
            "entrance": "2",
            "floor": "5",
            "intercom": "40#",
        },
    ),
    (
        "г. Красногорск, ул. Ленина, д. 3, кв. 15, домофон 15В",
        {
            "city": "Красногорск",
            "street": "Ленина",
            "street_type": "улица",
            "house": "3",
            "flat": "15",
            "intercom": "15В",
        },
    ),
    (
        "Химки, ул. Кирова, д. 5, кв. 2, код домофона 2К1234, 3 этаж",
        {
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
            "flat": "2",
            "intercom": "2К1234",
            "floor": "3",
        },
    ),
    (
        "Химки, ул. Кирова, д. 5, кв. 2, д/ф 2#, эт. 3",
        {
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
            "flat": "2",
            "intercom": "2#",
            "floor": "3",
        },
    ),
    (
        "Химки ул Кирова д 5 кв 2 домофон 204 вызов",
        {
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
            "flat": "2",
            "intercom": "204 вызов",
        },
    ),
    (
        "Химки, ул. Кирова, д. 5, кв. 2, домофон ключ у соседей",
        {
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
            "flat": "2",
            "intercom": "ключ у соседей",
        },
    ),
    (
        "Химки, ул. Кирова, д. 5, кв. 2, домофон 2 кв 7",
        {
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
            "flat": "2",
            "intercom": "2",
        },
    ),
    (
        "Химки, ул. Кирова, д. 5, кв. 2, д-фон. не работает",
        {
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
            "flat": "2",
            "intercom": "не работает",
        },
    ),
    # --- noise: greetings, «адрес:», export premises type, capitals, phones
    (
        "Добрый день! Нужен врач на дом: г. Химки, ул. Кирова, д. 5, кв. 2",
        {"city": "Химки", "street": "Кирова", "street_type": "улица", "house": "5", "flat": "2"},
    ),
    (
        "ЗДРАВСТВУЙТЕ, АДРЕС: ХИМКИ, УЛ. КИРОВА, Д. 7, КВ. 3",
        {"city": "Химки", "street": "Кирова", "street_type": "улица", "house": "7", "flat": "3"},
    ),
    (
        "Квартира, Мытищи, ул. Мира, д. 3, кв. 8, эт. 2, п-д. 1",
        {
            "city": "Мытищи",
            "street": "Мира",
            "street_type": "улица",
            "house": "3",
            "flat": "8",
            "floor": "2",
            "entrance": "1",
        },
    ),
    (
        "Химки, ул. Кирова, д. 5, кв. 2, тел. +7 916 123-45-67",
        {"city": "Химки", "street": "Кирова", "street_type": "улица", "house": "5", "flat": "2"},
    ),
    # --- no type word written: street type stays null
    (
        "Химки, Молодёжная, 7, кв. 3",
        {"city": "Химки", "street": "Молодёжная", "house": "7", "flat": "3"},
    ),
    (
        "мытищи колпакова 12 кв 45 под 3 эт 9",
        {
            "city": "Мытищи",
            "street": "Колпакова",
            "house": "12",
            "flat": "45",
            "entrance": "3",
            "floor": "9",
        },
    ),
    (
        "Белгород, Свято-Троицкий б-р, 13",
        {"city": "Белгород", "street": "Свято-Троицкий", "street_type": "бульвар", "house": "13"},
    ),
    # --- Telegram style: no commas, no markers
    (
        "химки кирова 5-12",
        {"city": "Химки", "street": "Кирова", "house": "5", "flat": "12"},
    ),
    (
        "Химки, Кирова ул, д5 кв2",
        {"city": "Химки", "street": "Кирова", "street_type": "улица", "house": "5", "flat": "2"},
    ),
    (
        "ул.Кирова,д.5,кв.2",
        {"street": "Кирова", "street_type": "улица", "house": "5", "flat": "2"},
    ),
    (
        "д. 12 кв 3 ул Кирова г Химки",
        {"city": "Химки", "street": "Кирова", "street_type": "улица", "house": "12", "flat": "3"},
    ),
    (
        "Химки, Кирова 5, кв 3 (вход со двора)",
        {"city": "Химки", "street": "Кирова", "house": "5", "flat": "3"},
    ),
    (
        "Химки ул Кирова д 5 к1",
        {"city": "Химки", "street": "Кирова", "street_type": "улица", "house": "5", "korpus": "1"},
    ),
    (
        "Химки ул Кирова д 5, эт. 3/9, кв 7",
        {
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
            "floor": "3",
            "flat": "7",
        },
    ),
    (
        "Химки, ул. Кирова д. 5 а кв. 3",
        {"city": "Химки", "street": "Кирова", "street_type": "улица", "house": "5А", "flat": "3"},
    ),
    # --- regions, districts written in other ways
    (
        "М.О., г. Химки, ул. Кирова 5",
        {
            "region": "Московская",
            "city": "Химки",
            "street": "Кирова",
            "street_type": "улица",
            "house": "5",
        },
    ),
    (
        "Краснодарский край, г. Сочи, ул. Навагинская, д. 3",
        {
            "region": "Краснодарский",
            "city": "Сочи",
            "street": "Навагинская",
            "street_type": "улица",
            "house": "3",
        },
    ),
    (
        "Московская область, городской округ Химки, мкр. Сходня, ул. Некрасова, д. 3",
        {
            "region": "Московская",
            "district": "Химки",
            "street": "Некрасова",
            "street_type": "улица",
            "house": "3",
        },
    ),
    # --- a type word that is the street's name
    (
        "Химки, ул. Набережная, д. 5",
        {"city": "Химки", "street": "Набережная", "street_type": "улица", "house": "5"},
    ),
    (
        "Химки, Набережная, 5",
        {"city": "Химки", "street": "Набережная", "house": "5"},
    ),
    # --- more inflected forms
    (
        "в Мытищах, Колпакова 12",
        {"city": "Мытищи", "street": "Колпакова", "house": "12"},
    ),
    (
        "в Солнечногорске на Красной 117",
        {"city": "Солнечногорск", "street": "Красная", "house": "117"},
    ),
    (
        "в Электростали на проспекте Ленина 30",
        {"city": "Электросталь", "street": "Ленина", "street_type": "проспект", "house": "30"},
    ),
    (
        "Зеленоград, 1124, кв 5",
        {"city": "Зеленоград", "korpus": "1124", "flat": "5"},
    ),
    (
        "Белгород, ул. Б. Хмельницкого, 133",
        {"city": "Белгород", "street": "Б. Хмельницкого", "street_type": "улица", "house": "133"},
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), CASES, ids=[f"case{n:03d}" for n in range(len(CASES))]
)
def test_address_parse_fields(parser: AddressParser, text: str, expected: dict[str, str]) -> None:
    assert _fields(parser.parse(text)) == expected


@pytest.mark.parametrize(
    ("text", "private"),
    [
        ("с. Таврово, ул. Садовая, д 5, частный дом", True),
        ("Химки, ул. Кирова 5, частный сектор", True),
        ("СНТ «Березка», участок 17", True),
        ("д. Брехово, д. 7", True),
        ("Химки, ул. Кирова, д. 5, кв. 2", False),
        ("Химки г., Панфилово тск., 4, к.428 П-д. 9", False),
    ],
)
def test_address_private_sector(parser: AddressParser, text: str, private: bool) -> None:
    assert parser.parse(text).private_sector is private


def test_address_as_dict_has_eval_keys(parser: AddressParser) -> None:
    result = parser.parse("Химки, ул. Кирова, д. 5")
    assert list(result.as_dict()) == [*FIELDS, "private_sector", "confidence", "street_matched"]


def test_address_parse_tolerates_garbage(parser: AddressParser) -> None:
    for text in ["", "   ", ",,,", "д.", "кв", "№", "12345678901234567890", "ул. ул. ул."]:
        assert parser.parse(text).confidence < 0.6


def test_address_catalog_decides_pr(morph: MorphVocab) -> None:
    catalog = StreetReference([StreetEntry("Москва", "Россошанский", "проезд")])
    parsed = AddressParser(morph, catalog).parse("Москва, Россошанский пр, 3")
    assert (parsed.street_type, parsed.street_matched) == ("проезд", True)
