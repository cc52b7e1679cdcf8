"""People: names in any order and case, birth dates in the formats operators type, caller types."""

from __future__ import annotations

import datetime

import pytest
from natasha import MorphVocab

from nlp.people import PeopleExtractor, PersonName

TODAY = datetime.date(2024, 6, 1)


@pytest.fixture(scope="module")
def people() -> PeopleExtractor:
    return PeopleExtractor(MorphVocab())


NAMES = [
    ("Иванова Ольга Сергеевна", ("Иванова", "Ольга", "Сергеевна")),
    ("ольга сергеевна иванова", ("Иванова", "Ольга", "Сергеевна")),
    ("Ольга Сергеевна Иванова", ("Иванова", "Ольга", "Сергеевна")),
    ("ИВАНОВА ОЛЬГА СЕРГЕЕВНА", ("Иванова", "Ольга", "Сергеевна")),
    ("Парфегова Елена Германовна(мать)", ("Парфегова", "Елена", "Германовна")),
    ("мать Смирнова Ольга Петровна, тел 89161234567", ("Смирнова", "Ольга", "Петровна")),
    ("Петров Иван Иванович, 02.05.2017", ("Петров", "Иван", "Иванович")),
    ("звонит Петров Иван", ("Петров", "Иван", None)),
    ("Кузнецов Дмитрий", ("Кузнецов", "Дмитрий", None)),
    ("Сергей", (None, "Сергей", None)),
]

NOT_NAMES = ["кашель температура", "Кашель, насморк", "ул Ленина 5", ""]

DATES = [
    ("02.05.2017", datetime.date(2017, 5, 2)),
    ("2.5.17", datetime.date(2017, 5, 2)),
    ("2017-05-02", datetime.date(2017, 5, 2)),
    ("2 мая 2017", datetime.date(2017, 5, 2)),
    ("02/05/2017", datetime.date(2017, 5, 2)),
    ("02-05-2017", datetime.date(2017, 5, 2)),
    ("д.р. 15.03.1945", datetime.date(1945, 3, 15)),
    ("родился 5 декабря 1999 г.", datetime.date(1999, 12, 5)),
    ("1.1.50", datetime.date(1950, 1, 1)),
    ("Иванов Иван, 29.02.2016 г.р.", datetime.date(2016, 2, 29)),
    ("дата рождения 31 янв. 2001", datetime.date(2001, 1, 31)),
]

BAD_DATES = ["31.02.2017", "01.01.2099", "01.13.2000", "12.12.1850", "29.02.2017", "5 мая", ""]

CALLERS = [
    ("мать", "мать"),
    ("мама звонит", "мать"),
    ("матери", "мать"),
    ("Парфегова Елена Германовна(мать)", "мать"),
    ("папа", "отец"),
    ("отец ребенка", "отец"),
    ("дочь", "родственник"),
    ("сын пациентки", "родственник"),
    ("бабушка", "родственник"),
    ("звонит жена", "родственник"),
    ("муж", "родственник"),
    ("внучка", "родственник"),
    ("сам", "сам пациент"),
    ("сама пациентка", "сам пациент"),
    ("соцработник", "соцработник"),
    ("социальный работник", "соцработник"),
    ("соц. работник", "соцработник"),
    ("СМП", "СМП"),
    ("со скорой", "СМП"),
    ("соседка", "другое"),
    ("сиделка", "другое"),
]


@pytest.mark.parametrize(("text", "parts"), NAMES)
def test_name_splits_last_first_middle_whatever_the_order_and_case(
    people: PeopleExtractor, text: str, parts: tuple[str | None, str | None, str | None]
) -> None:
    assert people.name(text) == PersonName(*parts)


@pytest.mark.parametrize("text", NOT_NAMES)
def test_name_is_none_without_a_name(people: PeopleExtractor, text: str) -> None:
    assert people.name(text) is None


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_birth_date_reads_the_formats_operators_type(
    people: PeopleExtractor, text: str, expected: datetime.date
) -> None:
    assert people.birth_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text", BAD_DATES)
def test_birth_date_rejects_impossible_future_and_partial_dates(
    people: PeopleExtractor, text: str
) -> None:
    assert people.birth_date(text, today=TODAY) is None


@pytest.mark.parametrize(("text", "expected"), CALLERS)
def test_caller_type_maps_relation_words(people: PeopleExtractor, text: str, expected: str) -> None:
    assert people.caller_type(text) == expected


@pytest.mark.parametrize("text", ["", "Иванова Ольга", "89161234567"])
def test_caller_type_is_none_without_a_relation_word(people: PeopleExtractor, text: str) -> None:
    assert people.caller_type(text) is None
