"""Body temperature: the highest stated value; bounds, ages, pulse, pressure are not values."""

from __future__ import annotations

import pytest

from nlp.temperature import body_temperature, temperatures

VALUES = [
    ("Температура 37,5", 37.5),
    ("температура 38.", 38.0),
    ("Температура, 38. Кашель,", 38.0),
    ("Температура, 37,5 Рвота,", 37.5),
    ("t 38,5 каш", 38.5),
    ("t=39,1, озноб", 39.1),
    ("t38 со вчера", 38.0),
    ("Т-38.2", 38.2),
    ("т 37,2 сопли", 37.2),
    ("темп 37,4", 37.4),
    ("темпиратура 37,8, болит горло", 37.8),
    ("температура 39 и 2", 39.2),
    ("39 и 2, ломит тело", 39.2),
    ("температура 38 и 5 десятых", 38.5),
    ("температура 38 с половиной", 38.5),
    ("тридцать восемь и две", 38.2),
    ("температура тридцать девять", 39.0),
    ("тридцать семь и пять, кашель", 37.5),
    ("температура сорок", 40.0),
    ("Температура 37,5-38", 38.0),
    ("температура 37-38 третий день", 38.0),
    ("температура была 39, сейчас 37,2", 39.0),
    ("кашель и температура до 39", 39.0),
    ("у ребенка 38,5", 38.5),
    ("38 градусов", 38.0),
    ("38° второй день", 38.0),
    ("ребенок 4 года температура 40,3 не сбивается", 40.3),
    ("ДИАРЕЯ, РВОТА У РЕБЕНКА 3 ЛЕТ, ТЕМП 37,4", 37.4),
    ("температура 36,6, кашель", 36.6),
    ("у ребенка со вчера температура 38 и кашель", 38.0),
    ("температура 39 и 2 раза рвота", 39.0),
    ("Температура 38,5, предложена 112", 38.5),
    ("температура 38, пульс 40", 38.0),
]

NOT_TEMPERATURES = [
    "73Е ТЕМПЕРАТУРА <39, РЕБЕНОК >1 ГОДА",
    "температура >39",
    "температура выше 39",
    "Давление 180/100, пульс 40",
    "давление 140/90",
    "Беременная 36 недель",
    "пожилая 85 лет",
    "жидкий стул 5 раз",
    "ребенку 38 дней",
    "сорок лет, кашель",
    "рост 38,5",
    "кв. 38, кашель",
    "кашель 2 недели",
    "температура",
    "без температуры",
]


@pytest.mark.parametrize(("text", "expected"), VALUES)
def test_body_temperature_reads_the_highest_stated_value(text: str, expected: float) -> None:
    assert body_temperature(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", NOT_TEMPERATURES)
def test_body_temperature_is_none_for_bounds_ages_pulse_and_pressure(text: str) -> None:
    assert body_temperature(text) is None


def test_temperatures_keep_their_spans_in_text_order() -> None:
    text = "температура 37,5, к вечеру 38,9"
    found = temperatures(text)
    assert [item.value for item in found] == [37.5, 38.9]
    assert [text[item.start : item.end] for item in found] == ["37,5", "38,9"]
