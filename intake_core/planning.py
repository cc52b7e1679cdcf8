"""When a call is planned: today, or the next working day after the MO's cutoff (13:00 rule)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta


def cutoff_script(cutoff: time) -> str:
    """The seed's script phrase with the MO's own cutoff («после 14-30»), as the seed writes it."""
    return (
        f"Обращаю Ваше внимание, что в случае оформления вызова после {cutoff:%H-%M}, "
        "обслуживание вызова может быть назначено медицинской организацией на завтрашний день."
        "\n\n"
        "При наличии острых показаний, рекомендовано обращаться в службу 112.\n\n"
        "Продолжить оформление вызова?"
    )


CUTOFF_SCRIPT = cutoff_script(time(13, 0))  # the default cutoff's phrase


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """An MO's working days and its daily cutoff for same-day home visits."""

    cutoff: time = time(13, 0)
    weekdays: frozenset[int] = frozenset(range(6))  # Mon..Sat: polyclinics visit on Saturdays
    holidays: Collection[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        candidate = day + timedelta(days=1)
        for _ in range(366):
            if self.is_working_day(candidate):
                return candidate
            candidate += timedelta(days=1)
        raise ValueError("no working day within a year")

    def past_cutoff(self, now: datetime) -> bool:
        return now.time() >= self.cutoff

    def planned_date(self, now: datetime) -> date:
        """Today before the cutoff on a working day, otherwise the next working day."""
        today = now.date()
        if self.is_working_day(today) and not self.past_cutoff(now):
            return today
        return self.next_working_day(today)

    def cutoff_notice(self, now: datetime) -> str | None:
        """The seed's script phrase, when the operator or the bot must say it."""
        return cutoff_script(self.cutoff) if self.past_cutoff(now) else None
