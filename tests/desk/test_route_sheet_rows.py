"""The route sheet's rows, the transfer targets and the patient search, on real storage."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from dispatcher.desk.patient_search import search_patients
from dispatcher.desk.route_rows import build_route_sheet
from dispatcher.desk.transfer_targets import check_target, set_works_until, transfer_targets
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.storage.database import Database
from intake_core.call import ServiceResult
from intake_core.errors import ValidationFailed
from tests.desk.forms_calls import assign, doctor_id, mo_id, store_demo_call

MSK = ZoneInfo("Europe/Moscow")
MONDAY = date(2026, 11, 23)


def test_route_sheet_lists_the_doctors_calls_of_the_day_in_order(db: Database) -> None:
    morning = datetime(2026, 11, 23, 9, 40, tzinfo=MSK)
    first = store_demo_call(db, "Ранний", birth_date="2017-05-02", now=morning)
    second = store_demo_call(db, "Поздний", house="14", now=morning.replace(hour=10))
    other_day = store_demo_call(db, "Завтрашний", house="16", now=morning)
    for call_id in (second, first):
        assign(db, call_id, "D002", MONDAY)
    assign(db, other_day, "D002", date(2026, 11, 24))
    with db.session() as session:
        CallLifecycle(
            session, Actor("врач", None), datetime(2026, 11, 23, 11, 5, tzinfo=MSK)
        ).serve(second, ServiceResult.LEFT_AT_HOME, ["J06.9"], None)
    now = datetime(2026, 11, 23, 16, 29, tzinfo=MSK)
    with db.session() as session:
        sheet = build_route_sheet(session, mo_id(db), doctor_id(db, "D002"), MONDAY, MSK, now)
    assert sheet.doctor_name == "Тестов Борис Игоревич"
    assert [r.patient for r in sheet.rows] == ["Ранний Иван", "Поздний Иван"]
    row = sheet.rows[0]
    assert row.index == 1
    assert row.created == "23.11.2026 09:40"
    assert row.birth == "02.05.2017 9 лет Дети"
    assert row.address == "Химки, улица Молодежная, д. 12, кв. 5 П-д. 2, Этаж 3"
    assert row.intercom == "5к"
    assert row.reason == "температура 38"
    assert (row.kind, row.status) == ("Первичный", "Активный")
    assert row.visit_time == "23.11.2026 08:00"  # the start of the doctor's window
    assert sheet.rows[1].status == "Обслуженный"
    assert sheet.rows[1].visit_time == "23.11.2026 11:05"
    assert sheet.rows[1].birth == "01.01.1970 56 лет Взрослые"


def test_transfer_targets_list_other_mos_with_their_terms(db: Database) -> None:
    with db.session() as session:
        taldom = mo_id(db, "DEMO-TALDOM")
        set_works_until(session, taldom, date(2018, 4, 30))
    with db.session() as session:
        options = transfer_targets(session, mo_id(db), MONDAY)
    assert [o.code for o in options] == ["DEMO-KRASNOGORSK", "DEMO-TALDOM"]
    assert options[0].connected and options[0].works_until is None
    assert options[1].works_until == date(2018, 4, 30) and options[1].closed
    assert check_target(options, "DEMO-KRASNOGORSK").code == "DEMO-KRASNOGORSK"
    with pytest.raises(ValidationFailed, match=r"работала до 30\.04\.2018"):
        check_target(options, "DEMO-TALDOM")
    with pytest.raises(ValidationFailed, match="Выберите"):
        check_target(options, "DEMO-KHIMKI")


SEARCHES = [
    # query, what it is read as, patients found (last names), calls found (last names)
    ("7752601815908306", "policy", ["Тестова"], []),
    ("8 (900) 000-01-02", "phone", ["Тестов"], []),
    ("тестов", "name", ["Тестов", "Тестова"], ["Тестовый"]),
    ("Тестова Анна", "name", ["Тестова"], []),
    ("Образцов", "name", ["Образцов"], []),
    ("т", "name", [], []),
]


@pytest.mark.parametrize(("query", "by", "patients", "calls"), SEARCHES)
def test_patient_search_by_policy_phone_or_name(
    db: Database, query: str, by: str, patients: list[str], calls: list[str]
) -> None:
    store_demo_call(db, "Тестовый")
    with db.session() as session:
        found = search_patients(session, mo_id(db), query)
    assert found.by == by
    assert sorted(p.last_name for p in found.patients) == patients
    assert [c.patient.split()[0] for c in found.calls] == calls
    assert all(c.status == "Новый" and c.is_open for c in found.calls)
