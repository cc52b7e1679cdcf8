"""Date ranges typed into the analytics page and the СМП journal: defaults and Russian refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dispatcher.desk import analytics_web, smp_journal
from dispatcher.desk.periods import PeriodRejected, check_days

TODAY = date(2026, 12, 3)


def test_periods_default_to_the_last_30_days_and_to_today() -> None:
    analytics = analytics_web.parse_period(None, None, TODAY)
    assert (analytics.first, analytics.last) == (date(2026, 11, 4), TODAY)
    journal = smp_journal.parse_period(None, None, TODAY)
    assert (journal.first, journal.last) == (TODAY, TODAY)
    later = smp_journal.parse_period("2026-12-10", None, TODAY)
    assert (later.first, later.last) == (date(2026, 12, 10), date(2026, 12, 10))


@pytest.mark.parametrize(
    ("days", "message"),
    [(31, "Период не длиннее 31 дня"), (366, "Период не длиннее 366 дней"), (11, "11 дней")],
)
def test_periods_too_long_are_refused_in_russian(days: int, message: str) -> None:
    start = date(2026, 1, 1)
    end = start + timedelta(days=days - 1)
    check_days(start, end, days)  # exactly the limit is fine
    with pytest.raises(PeriodRejected, match=message):
        check_days(start - timedelta(days=1), end, days)


def test_journal_refuses_bad_dates_and_reversed_ranges() -> None:
    with pytest.raises(PeriodRejected, match="ГГГГ-ММ-ДД"):
        smp_journal.parse_period("03.12.2026", None, TODAY)
    with pytest.raises(PeriodRejected, match="позже его конца"):
        smp_journal.parse_period("2026-12-03", "2026-12-01", TODAY)
    with pytest.raises(PeriodRejected, match="не длиннее 31 дня"):
        smp_journal.parse_period("2026-10-01", "2026-12-01", TODAY)
