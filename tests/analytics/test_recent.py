"""The short-lived report cache: reuse while fresh, rebuild when stale, bounded size."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dispatcher.analytics.facts import MoFrame
from dispatcher.analytics.recent import RecentReports
from dispatcher.analytics.records import Names, Period
from dispatcher.analytics.report import Report, build_report
from intake_core.overdue import Deadlines

MO = MoFrame(1, "МО", ZoneInfo("Europe/Moscow"), Deadlines())
PERIOD = Period(date(2026, 10, 1), date(2026, 10, 31))


class Builder:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> Report:
        self.calls += 1
        return build_report([], Names(), MO, PERIOD, datetime.now(UTC))


def test_recent_reports_reuses_a_fresh_report() -> None:
    cache, build = RecentReports(ttl=60), Builder()
    first = cache.get((MO, PERIOD), build)
    assert cache.get((MO, PERIOD), build) is first
    assert build.calls == 1


def test_recent_reports_rebuilds_when_stale_or_for_another_key() -> None:
    cache, build = RecentReports(ttl=0), Builder()
    cache.get((MO, PERIOD), build)
    cache.get((MO, PERIOD), build)
    assert build.calls == 2
    fresh = RecentReports(ttl=60)
    fresh.get((MO, PERIOD), build)
    fresh.get((MO, Period(date(2026, 10, 1), date(2026, 10, 7))), build)
    assert build.calls == 4


def test_recent_reports_forgets_the_oldest_beyond_its_size() -> None:
    cache, build = RecentReports(ttl=60, size=2), Builder()
    for day in (1, 2, 3):
        cache.get(day, build)
    cache.get(3, build)
    assert build.calls == 3
    cache.get(1, build)
    assert build.calls == 4


def test_empty_period_report_has_no_rates() -> None:
    report = Builder()()
    assert report.calls == 0
    assert report.quality.coded_vs_needed.rate is None
    assert report.sla.overall.assign_share is None
    assert report.sla.assign.percentiles[50] is None
    assert report.load == []
