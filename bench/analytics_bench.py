"""Analytics on a generated month: store it, then fetch, compute, draw and export, timed.

Runs on SQLite (a temporary file) and on PostgreSQL when reachable (a temporary database).
The page shows a report and its charts (twelve); the desk keeps a report for a minute, so «one page»
below is one fetch and computation plus every chart, as a browser loads it («uncached»: were
the period read again for each chart).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from functools import partial

from bench.common import postgres_reachable, scratch_database, sqlite_database
from dispatcher.analytics.charts import CHARTS, chart_png
from dispatcher.analytics.export import xlsx_bytes
from dispatcher.analytics.facts import load_facts, load_names, mo_frame
from dispatcher.analytics.records import Period
from dispatcher.analytics.report import build_report, tables
from dispatcher.demo.month import generate_month
from dispatcher.demo.month_store import mo_layout, store_month
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import PROJECT_ROOT
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade

CALLS_PER_DAY = int(os.environ.get("BENCH_ANALYTICS_CALLS_PER_DAY", "200"))
ROUNDS = int(os.environ.get("BENCH_ANALYTICS_ROUNDS", "5"))
MO = "DEMO-KHIMKI"
FIRST = date(2026, 10, 1)


def _timed(action: Callable[[], object], rounds: int = ROUNDS) -> float:
    """Median seconds of `rounds` runs."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _run(label: str, url: str) -> None:
    upgrade(url)
    db = Database(url)
    with db.session() as session:
        import_directory(session, PROJECT_ROOT / "demo")
        mo_id, districts = mo_layout(session, MO)
    month = generate_month(FIRST, districts, calls_per_day=CALLS_PER_DAY)
    started = time.perf_counter()
    with db.session() as session:
        store_month(session, MO, month)
    stored = time.perf_counter() - started
    period = Period(month.first, month.last)

    def fetch() -> tuple[object, ...]:
        with db.session() as session:
            mo = mo_frame(session, mo_id)
            return mo, load_facts(session, mo, period), load_names(session, mo_id)

    mo, facts, names = fetch()

    def compute() -> object:
        return tables(build_report(facts, names, mo, period, month.now))  # type: ignore[arg-type]

    report = build_report(facts, names, mo, period, month.now)  # type: ignore[arg-type]
    fetch_s, compute_s = _timed(fetch), _timed(compute)
    charts = {name: _timed(partial(chart_png, chart, report), 3) for name, chart in CHARTS.items()}
    xlsx_s = _timed(partial(xlsx_bytes, tables(report), "bench"), 3)
    page = fetch_s + compute_s + sum(charts.values())
    uncached = page + len(CHARTS) * (fetch_s + compute_s)
    print(
        f"{label:<10} {len(month.calls):>6} calls stored in {stored:5.2f} s | "
        f"fetch {1000 * fetch_s:6.1f} ms, compute {1000 * compute_s:6.1f} ms, "
        f"charts {1000 * sum(charts.values()):6.1f} ms ({len(CHARTS)}), "
        f"xlsx {1000 * xlsx_s:6.1f} ms | one page ≈ {page:4.2f} s of CPU "
        f"(uncached {uncached:4.2f} s)"
    )
    db.dispose()


def main() -> int:
    print(f"Analytics bench: a month at {CALLS_PER_DAY} calls a weekday, median of {ROUNDS} runs")
    with sqlite_database() as url:
        _run("SQLite", url)
    if postgres_reachable("analytics"):
        with scratch_database("analytics_bench") as pg:
            _run("PostgreSQL", pg)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
