"""Doctors' working schedules («пн-пт 08:00-20:00; сб 09:00-13:00») and their daily load."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from intake_core.errors import InvalidValue

# How long one home visit takes on average, travel included: capacity of a window is
# its length divided by this. The seed's «(4%)» figures match a few visits over 13 hours.
DEFAULT_VISIT_MINUTES = 30

WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
_DAY_ALIASES = {name: index for index, name in enumerate(WEEKDAYS)} | {
    "пон": 0,
    "вто": 1,
    "сре": 2,
    "чет": 3,
    "пят": 4,
    "суб": 5,
    "вос": 6,
}
_PART = re.compile(
    r"^(?P<days>[а-яё ,\-–]+?)\s+(?P<start>\d{1,2}[:.]\d{2})\s*[-–]\s*(?P<end>\d{1,2}[:.]\d{2})$"
)
_DAY_SPAN = re.compile(r"^(?P<first>[а-яё]+)\s*(?:[-–]\s*(?P<last>[а-яё]+))?$")


class ScheduleError(InvalidValue):
    """A schedule text that cannot be read; the message is Russian and shown as is."""

    code = "invalid_schedule"


@dataclass(frozen=True, slots=True)
class Window:
    """One working interval within a day."""

    start: time
    end: time

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)

    def capacity(self, visit_minutes: int = DEFAULT_VISIT_MINUTES) -> int:
        """How many visits fit into the window."""
        return max(self.minutes // visit_minutes, 1)

    @property
    def label(self) -> str:
        return f"с {self.start:%H:%M} по {self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Schedule:
    """Working window per weekday (Monday is 0); a day without one is a day off."""

    windows: dict[int, Window]
    text: str = ""

    def window(self, day: date) -> Window | None:
        return self.windows.get(day.weekday())


def _day(token: str, part: str) -> int:
    key = token.strip().casefold()
    index = _DAY_ALIASES.get(key, _DAY_ALIASES.get(key[:3]))
    if index is None:
        raise ScheduleError(f"Непонятный день недели «{token}» в «{part}»")
    return index


def _time(token: str, part: str) -> time:
    hours, minutes = (int(p) for p in re.split(r"[:.]", token))
    if hours == 24 and minutes == 0:
        return time(23, 59)
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ScheduleError(f"Неверное время «{token}» в «{part}»")
    return time(hours, minutes)


def _days(text: str, part: str) -> list[int]:
    days: list[int] = []
    for chunk in text.split(","):
        chunk = chunk.strip()
        if not chunk:
            continue
        span = _DAY_SPAN.match(chunk.replace("–", "-"))
        if span is None:
            raise ScheduleError(f"Непонятные дни «{chunk}» в «{part}»")
        first = _day(span.group("first"), part)
        last = _day(span.group("last"), part) if span.group("last") else first
        if last < first:
            raise ScheduleError(f"Дни «{chunk}»: начало позже конца")
        days.extend(range(first, last + 1))
    if not days:
        raise ScheduleError(f"Не указаны дни в «{part}»")
    return days


def parse_schedule(text: str) -> Schedule:
    """«пн-пт 08:00-20:00; сб 09:00-13:00» → windows per weekday; empty text: no working days."""
    windows: dict[int, Window] = {}
    for raw in re.split(r"[;\n]", text or ""):
        part = " ".join(raw.split()).casefold()
        if not part:
            continue
        found = _PART.match(part)
        if found is None:
            raise ScheduleError(f"Непонятное расписание «{raw.strip()}»: нужно «пн-пт 08:00-20:00»")
        start, end = _time(found.group("start"), part), _time(found.group("end"), part)
        if end <= start:
            raise ScheduleError(f"В «{raw.strip()}» конец приёма раньше начала")
        for day in _days(found.group("days"), part):
            windows[day] = Window(start, end)
    return Schedule(windows, text or "")


@dataclass(frozen=True, slots=True)
class DayLoad:
    """A doctor's load on one date: the window, visits assigned, and what is left of the day."""

    day: date
    window: Window | None
    assigned: int
    capacity: int
    time_out: bool

    @property
    def percent(self) -> int:
        if not self.capacity:
            return 0
        return round(100 * self.assigned / self.capacity)

    @property
    def available(self) -> bool:
        return self.window is not None and not self.time_out

    @property
    def label(self) -> str:
        """As on the seed's assign dialog: «с 07:00 по 20:00 (4%)», «Время вышло», «Не работает»."""
        if self.window is None:
            return "Не работает"
        if self.time_out:
            return "Время вышло"
        return f"{self.window.label} ({self.percent}%)"


def day_load(
    schedule: Schedule,
    day: date,
    assigned: int,
    now: datetime,
    visit_minutes: int = DEFAULT_VISIT_MINUTES,
) -> DayLoad:
    """Load of one date; `now` is the MO's local time, so today's ended window is «Время вышло»."""
    window = schedule.window(day)
    capacity = window.capacity(visit_minutes) if window else 0
    time_out = window is not None and (
        day < now.date() or (day == now.date() and now.time() >= window.end)
    )
    return DayLoad(day, window, assigned, capacity, time_out)
