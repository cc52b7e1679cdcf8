"""`python -m dispatcher demo-month`: a reproducible month for the analytics, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from dispatcher.settings import PROJECT_ROOT
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.dispatch_tables import CallServiceCard
from tests.test_cli import cli


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'month.sqlite3'}"
    assert cli(url, "migrate").returncode == 0
    assert cli(url, "import", str(PROJECT_ROOT / "demo")).returncode == 0
    return url


def _counts(url: str) -> tuple[int, int, list[str]]:
    db = Database(url)
    with db.session() as session:
        calls = session.scalar(select(func.count(tables.CallRow.id))) or 0
        cards = session.scalar(select(func.count(CallServiceCard.call_id))) or 0
        letters = session.scalars(
            select(tables.Doctor.profile_letter)
            .where(tables.Doctor.code.like("M%"))
            .order_by(tables.Doctor.code)
        ).all()
    db.dispose()
    return calls, cards, [letter or "" for letter in letters]


def _fingerprint(url: str) -> list[tuple[object, ...]]:
    db = Database(url)
    with db.session() as session:
        rows = session.execute(
            select(
                tables.CallRow.created_at,
                tables.CallRow.source,
                tables.CallRow.status,
                tables.CallRow.assigned_at,
                CallServiceCard.reason_code,
                CallServiceCard.sent_letter,
                CallServiceCard.postfactum_letter,
                tables.CallRow.result,
                tables.CallRow.diagnoses,
                CallServiceCard.result_reason,
                CallServiceCard.departed_at,
                CallServiceCard.arrived_at,
            )
            .outerjoin(CallServiceCard, CallServiceCard.call_id == tables.CallRow.id)
            .order_by(tables.CallRow.number)
        ).all()
    db.dispose()
    return [tuple(row) for row in rows]


def test_demo_month_loads_a_month_once(url: str) -> None:
    done = cli(url, "demo-month", "--month", "2026-10", "--calls-per-day", "20")
    assert done.returncode == 0, done.stderr
    assert "Демонстрационный месяц 10.2026 загружен в МО DEMO-KHIMKI" in done.stdout
    assert "/desk/analytics?first=2026-10-01&last=2026-10-31" in done.stdout
    calls, cards, letters = _counts(url)
    assert 400 < calls < 800 and 0 < cards < calls
    assert set(letters) == {"Т", "П", "В", "Ф", "У"}
    again = cli(url, "demo-month", "--month", "2026-10", "--calls-per-day", "20")
    assert again.returncode == 2
    assert "уже есть вызовы за эти дни" in again.stderr
    assert _counts(url)[0] == calls


def test_demo_month_is_reproducible(url: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert cli(other, "migrate").returncode == 0
    assert cli(other, "import", str(PROJECT_ROOT / "demo")).returncode == 0
    for target in (url, other):
        assert (
            cli(target, "demo-month", "--month", "2026-09", "--calls-per-day", "10").returncode == 0
        )
    fingerprint = _fingerprint(url)
    assert fingerprint == _fingerprint(other)
    assert _counts(url)[0] > 200
    assert any(row[8] for row in fingerprint) and any(row[11] for row in fingerprint)


@pytest.mark.parametrize("month", ["2026-13", "сентябрь", "2999-01"])
def test_demo_month_refuses_a_bad_or_unfinished_month(url: str, month: str) -> None:
    done = cli(url, "demo-month", "--month", month)
    assert done.returncode == 2
    assert "Ошибка: month:" in done.stderr
