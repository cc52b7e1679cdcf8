"""The assign dialog's doctor list: order, load per day, refusals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatcher.desk.doctor_board import check_available, doctor_options
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from intake_core.errors import ValidationFailed
from tests.desk.forms_calls import assign, mo_id, store_demo_call

MSK = ZoneInfo("Europe/Moscow")
MONDAY = date(2026, 11, 23)


def _district_id(db: Database, code: str) -> int:
    with db.session() as session:
        return session.query(tables.District).filter_by(code=code).one().id


def test_doctor_options_put_the_district_first_and_count_load(db: Database) -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=MSK)
    for name in ("Первый", "Второй", "Третий"):
        call_id = store_demo_call(db, name, now=now)
        assign(db, call_id, "D002", MONDAY)
    tomorrow = MONDAY + timedelta(days=1)
    assign(db, store_demo_call(db, "Четвёртый", house="14", now=now), "D002", tomorrow)
    with db.session() as session:
        options = doctor_options(
            session, mo_id(db), _district_id(db, "T2"), (MONDAY, tomorrow), now, 30
        )
    assert options[0].code == "D002" and options[0].own_district
    assert all(not o.own_district for o in options[1:])
    d002 = options[0]
    # пн-пт 08:00-14:00: 12 half-hour visits; 3 today, 1 tomorrow
    assert [load.label for load in d002.loads] == [
        "с 08:00 по 14:00 (25%)",
        "с 08:00 по 14:00 (8%)",
    ]
    others = [o.code for o in options[1:]]
    assert sorted(others) == ["D001", "D003", "D004", "D005", "D006", "D007"]


def test_doctor_options_show_time_out_after_the_window(db: Database) -> None:
    late = datetime(2026, 11, 23, 15, 0, tzinfo=MSK)
    with db.session() as session:
        options = doctor_options(
            session, mo_id(db), None, (MONDAY, MONDAY + timedelta(1)), late, 30
        )
    by_code = {o.code: o for o in options}
    assert by_code["D002"].loads[0].label == "Время вышло"  # works till 14:00
    assert by_code["D001"].loads[0].label == "с 08:00 по 20:00 (0%)"
    with pytest.raises(ValidationFailed, match="время приёма вышло"):
        check_available(by_code["D002"], MONDAY)
    check_available(by_code["D002"], MONDAY + timedelta(1))


def test_check_available_refuses_a_day_off(db: Database) -> None:
    saturday = date(2026, 11, 28)
    now = datetime(2026, 11, 28, 8, 0, tzinfo=MSK)
    with db.session() as session:
        options = doctor_options(session, mo_id(db), None, (saturday,), now, 30)
    by_code = {o.code: o for o in options}
    assert by_code["D001"].loads[0].label == "Не работает"
    with pytest.raises(ValidationFailed, match="не работает"):
        check_available(by_code["D001"], saturday)
    check_available(by_code["D003"], saturday)  # пн-сб
