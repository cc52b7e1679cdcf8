"""Date ranges typed into desk pages (analytics, the СМП journal): read and checked in Russian."""

from __future__ import annotations

from datetime import date

from intake_core.errors import InvalidValue


class PeriodRejected(InvalidValue):
    """A date range a page cannot show; the message is for people."""

    code = "invalid_period"


def parse_dates(first: str | None, last: str | None) -> tuple[date | None, date | None]:
    """The two ends as given (ISO dates), None where left empty."""
    try:
        return (
            date.fromisoformat(first) if first else None,
            date.fromisoformat(last) if last else None,
        )
    except ValueError:
        raise PeriodRejected("Даты укажите в формате ГГГГ-ММ-ДД") from None


def check_days(start: date, end: date, max_days: int) -> None:
    """Refuse a range that ends before it starts or is longer than `max_days` days."""
    if start > end:
        raise PeriodRejected("Начало периода позже его конца")
    if (end - start).days + 1 > max_days:
        unit = "дня" if max_days % 10 == 1 and max_days % 100 != 11 else "дней"
        raise PeriodRejected(f"Период не длиннее {max_days} {unit}")
