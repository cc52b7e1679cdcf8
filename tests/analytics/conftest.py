"""A generated month stored once per backend (SQLite, PostgreSQL) for the analytics tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import delete

from dispatcher.analytics.facts import MoFrame, load_facts, load_names, mo_frame
from dispatcher.analytics.records import Period
from dispatcher.analytics.report import Report, build_report
from dispatcher.demo.month import Month, generate_month
from dispatcher.demo.month_store import StoredMonth, mo_layout, store_month
from dispatcher.services.reference_import import import_directory
from dispatcher.storage.database import Database
from tests.conftest import _TABLES_IN_DELETE_ORDER, DEMO_DIR, DEMO_MO

FIRST = date(2026, 10, 1)  # October 2026: 31 days, the DST change is long past in Moscow
SEED = 20261001


@dataclass(frozen=True, slots=True)
class StoredCase:
    """The month as generated (the expectation's source) and as stored (the report's)."""

    db: Database
    month: Month
    stored: StoredMonth

    def report(self, period: Period | None = None) -> Report:
        period = period or Period(self.month.first, self.month.last)
        with self.db.session() as session:
            mo = self.mo(session)
            facts = load_facts(session, mo, period)
            names = load_names(session, mo.id)
        return build_report(facts, names, mo, period, self.month.now)

    def mo(self, session: object) -> MoFrame:
        return mo_frame(session, self.stored.mo_id)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def case(migrated_url: str) -> Iterator[StoredCase]:
    """About 2,600 calls of October 2026 in the demo MO, stored in bulk."""
    db = Database(migrated_url)
    with db.session() as session:
        for table in _TABLES_IN_DELETE_ORDER:
            session.execute(delete(table))
    with db.session() as session:
        import_directory(session, DEMO_DIR)
        _, districts = mo_layout(session, DEMO_MO)
    month = generate_month(FIRST, districts, seed=SEED, calls_per_day=100)
    with db.session() as session:
        stored = store_month(session, DEMO_MO, month)
    yield StoredCase(db, month, stored)
    db.dispose()


def store_small_month(
    db: Database, mo_code: str = DEMO_MO, days: int = 7, calls_per_day: int = 30
) -> tuple[Month, StoredMonth]:
    """Days of October 2026 from the 1st for page tests (a week: a couple of hundred calls)."""
    with db.session() as session:
        _, districts = mo_layout(session, mo_code)
        month = generate_month(FIRST, districts, seed=SEED, calls_per_day=calls_per_day, days=days)
        return month, store_month(session, mo_code, month)
