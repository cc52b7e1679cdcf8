"""One household, two patients: the desk list marks their calls as one family and keeps them
together, and so does the doctor's route sheet (real storage, SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatcher.desk.route_rows import build_route_sheet
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from intake_core.duplicates import together
from tests.desk.conftest import http_login, make_user
from tests.desk.forms_calls import assign, doctor_id, mo_id, store_demo_call

MSK = ZoneInfo("Europe/Moscow")
MONDAY = date(2026, 11, 23)
HOME_PHONE = "+79005550101"


def _number(db: Database, call_id: int) -> int:
    with db.session() as session:
        number = session.scalar(select(tables.CallRow.number).where(tables.CallRow.id == call_id))
        assert number is not None
        return number


def _family(db: Database) -> tuple[int, int, int]:
    """Grandfather, then a stranger, then the granddaughter at the grandfather's phone and flat."""
    at = datetime(2026, 11, 23, 9, 0, tzinfo=MSK)
    grandpa = store_demo_call(db, "Орлов", birth_date="1948-11-03", phone=HOME_PHONE, now=at)
    stranger = store_demo_call(db, "Прочий", house="14", now=at.replace(minute=10))
    girl = store_demo_call(
        db, "Орлова", birth_date="2019-06-15", phone=HOME_PHONE, now=at.replace(minute=20)
    )
    return grandpa, stranger, girl


def test_desk_list_marks_one_household_and_keeps_its_calls_together(
    client: TestClient, db: Database
) -> None:
    grandpa, stranger, girl = _family(db)
    assert len({grandpa, stranger, girl}) == 3  # two people at one phone: two calls
    make_user(db, "family1", "dispatcher")
    http_login(client, "family1", landing="/desk")
    html = client.get("/desk").text
    positions = [html.index(f'id="call-{call_id}"') for call_id in (girl, grandpa, stranger)]
    assert positions == sorted(positions)  # newest first, but the family stands together
    girl_row = html[positions[0] : positions[1]]
    grandpa_row = html[positions[1] : positions[2]]
    assert f"Одна семья/один адрес: № {_number(db, grandpa)}" in girl_row
    assert f"Одна семья/один адрес: № {_number(db, girl)}" in grandpa_row
    assert 'class="household"' in girl_row and 'class="household"' in grandpa_row
    assert "Одна семья" not in html[positions[2] :]
    one = client.get(f"/desk/fragments/rows/{grandpa}").text  # a live update keeps the mark
    assert f"Одна семья/один адрес: № {_number(db, girl)}" in one


def test_route_sheet_keeps_one_household_in_adjacent_rows(db: Database) -> None:
    grandpa, stranger, girl = _family(db)
    for call_id in (grandpa, stranger, girl):
        assign(db, call_id, "D002", MONDAY)
    now = datetime(2026, 11, 23, 12, 0, tzinfo=MSK)
    with db.session() as session:
        sheet = build_route_sheet(session, mo_id(db), doctor_id(db, "D002"), MONDAY, MSK, now)
    assert [r.call_id for r in sheet.rows] == [grandpa, girl, stranger]
    assert [r.index for r in sheet.rows] == [1, 2, 3]
    assert sheet.rows[0].household == f"Одна семья/один адрес: № {_number(db, girl)}"
    assert sheet.rows[1].household == f"Одна семья/один адрес: № {_number(db, grandpa)}"
    assert sheet.rows[2].household == ""


def test_together_keeps_order_and_pulls_a_group_to_its_first_member() -> None:
    items = ["a1", "x", "b1", "a2", "y", "b2", "a3"]
    grouped = together(items, lambda s: s[0] if s[0] in "ab" else None)
    assert grouped == ["a1", "a2", "a3", "x", "b1", "b2", "y"]
    assert together([], lambda s: s) == []
