"""Doctors' schedules and daily load, as data tables."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from intake_core.schedule import ScheduleError, Window, day_load, parse_schedule

MONDAY = date(2026, 11, 23)
SATURDAY = date(2026, 11, 28)
SUNDAY = date(2026, 11, 29)

WINDOWS = [
    # text, day, expected window (start, end) or None
    ("пн-пт 08:00-20:00", MONDAY, (time(8), time(20))),
    ("пн-пт 08:00-20:00", SATURDAY, None),
    ("пн-пт 08:00-20:00; сб 09:00-13:00", SATURDAY, (time(9), time(13))),
    ("пн-пт 08:00-20:00; сб 09:00-13:00", SUNDAY, None),
    ("пн-сб 09:00-18:00", SATURDAY, (time(9), time(18))),
    ("Пн, Ср, Пт 7.00–14.30", date(2026, 11, 25), (time(7), time(14, 30))),
    ("пн,ср,пт 07:00-14:30", date(2026, 11, 24), None),
    ("вс 10:00-12:00", SUNDAY, (time(10), time(12))),
    ("понедельник-пятница 08:00-17:00", MONDAY, (time(8), time(17))),
    ("  пн-пт   08:00 - 20:00 ;; ", MONDAY, (time(8), time(20))),
    ("", MONDAY, None),
]


@pytest.mark.parametrize(("text", "day", "expected"), WINDOWS)
def test_schedule_window_of_a_day(text: str, day: date, expected: tuple[time, time] | None) -> None:
    window = parse_schedule(text).window(day)
    assert (window and (window.start, window.end)) == expected


BAD = [
    ("пн-пт", "Непонятное расписание"),
    ("пн-пт 20:00-08:00", "конец приёма раньше начала"),
    ("xx 08:00-09:00", "Непонятн"),
    ("пт-пн 08:00-09:00", "начало позже конца"),
    ("пн-пт 25:00-26:00", "Неверное время"),
    ("фыв 08:00-09:00", "Непонятный день недели"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_schedule_refuses_unreadable_text(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(text)


LOADS = [
    # schedule, day, assigned, now, visit minutes, label, percent
    ("пн-пт 07:00-20:00", MONDAY, 1, datetime(2026, 11, 23, 9), 30, "с 07:00 по 20:00 (4%)", 4),
    ("пн-пт 07:00-20:00", MONDAY, 0, datetime(2026, 11, 22, 9), 30, "с 07:00 по 20:00 (0%)", 0),
    ("пн-пт 07:00-13:00", MONDAY, 0, datetime(2026, 11, 23, 13), 30, "Время вышло", 0),
    (
        "пн-пт 07:00-13:00",
        MONDAY,
        2,
        datetime(2026, 11, 23, 12, 59),
        30,
        "с 07:00 по 13:00 (17%)",
        17,
    ),
    (
        "пн-пт 08:00-14:00",
        MONDAY,
        12,
        datetime(2026, 11, 23, 8),
        30,
        "с 08:00 по 14:00 (100%)",
        100,
    ),
    (
        "пн-пт 08:00-14:00",
        MONDAY,
        15,
        datetime(2026, 11, 23, 8),
        30,
        "с 08:00 по 14:00 (125%)",
        125,
    ),
    ("пн-пт 08:00-14:00", MONDAY, 3, datetime(2026, 11, 23, 8), 60, "с 08:00 по 14:00 (50%)", 50),
    ("пн-пт 08:00-14:00", SATURDAY, 0, datetime(2026, 11, 28, 8), 30, "Не работает", 0),
    ("пн-пт 08:00-14:00", MONDAY, 0, datetime(2026, 11, 24, 8), 30, "Время вышло", 0),
]


@pytest.mark.parametrize(("text", "day", "assigned", "now", "visit", "label", "percent"), LOADS)
def test_day_load_label_and_percent(
    text: str, day: date, assigned: int, now: datetime, visit: int, label: str, percent: int
) -> None:
    load = day_load(parse_schedule(text), day, assigned, now, visit)
    assert load.label == label
    assert load.percent == percent


def test_window_capacity_is_at_least_one_visit() -> None:
    assert Window(time(8), time(8, 10)).capacity(30) == 1
    assert Window(time(8), time(20)).capacity(30) == 24
