"""Reason code, substitution suggestion and dispatch code through the desk's HTTP routes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from dispatcher.desk.doctor_accounts import link_doctor
from dispatcher.desk.forms_web import desk_now
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.desk_tables import AccessLogEntry
from dispatcher.storage.dispatch_tables import CallServiceCard, DoctorState
from intake_core.call import ServiceResult
from tests.desk.conftest import http_login, make_user
from tests.desk.forms_calls import assign, doctor_id, mo_today, store_demo_call

ADULT_FEVER = ["home", "no", "adult", "fever", "no"]  # 60Т, routine
ADULT_HIGH_FEVER = ["home", "no", "adult", "fever", "yes"]  # 61Т, urgent
ALWAYS = "пн-вс 00:00-24:00"  # every demo doctor works whenever the test runs
WEDNESDAY_MORNING = datetime(2026, 3, 4, 7, 30, tzinfo=UTC)  # 10:30 in Moscow, before the cutoff


@pytest.fixture
def desk(client: TestClient, db: Database) -> Iterator[TestClient]:
    with db.session() as session:
        session.execute(update(tables.Doctor).values(schedule=ALWAYS))
    yield client
    client.app.dependency_overrides.pop(desk_now, None)  # type: ignore[attr-defined]


def _sign_in(client: TestClient, db: Database, login: str, role: str, doctor: str = "") -> str:
    make_user(db, login, role)
    if doctor:
        with db.session() as session:
            user = session.scalar(select(tables.User).where(tables.User.login == login))
            assert user is not None
            link_doctor(session, user.id, doctor)
    return http_login(client, login, landing="/desk/doctor" if doctor else "/desk/calls/new")


def _card(db: Database, call_id: int) -> CallServiceCard:
    with db.session() as session:
        card = session.get(CallServiceCard, call_id)
        assert card is not None
        session.expunge(card)
        return card


def _code(client: TestClient, csrf: str, call_id: int, answers: list[str]) -> None:
    done = client.post(
        f"/desk/calls/{call_id}/reason",
        data={"answers": json.dumps(answers), "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def _state(client: TestClient, csrf: str, db: Database, code: str, state: str) -> None:
    answer = client.post(
        f"/desk/doctors/{doctor_id(db, code)}/state",
        data={"state": state, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_demo_import_gives_doctors_their_profile_letters(db: Database) -> None:
    with db.session() as session:
        letters = dict(
            session.execute(
                select(tables.Doctor.code, tables.Doctor.profile_letter).where(
                    tables.Doctor.code.in_(["D001", "D003", "D004", "D007"])
                )
            ).all()
        )
    assert letters == {"D001": "Т", "D003": "В", "D004": "П", "D007": "Ф"}


def test_new_call_form_writes_the_reason_code_operator_and_time(
    desk: TestClient, db: Database
) -> None:
    csrf = _sign_in(desk, db, "coder", "dispatcher")
    form = desk.get("/desk/calls/new").text
    assert 'data-questionnaire data-url="/desk/questionnaire"' in form
    tree = desk.get("/desk/questionnaire").json()
    assert tree["start"] == "place" and tree["outcomes"]["adult_fever_high"]["code"] == "61Т"
    desk.app.dependency_overrides[desk_now] = lambda: WEDNESDAY_MORNING  # type: ignore[attr-defined]
    saved = desk.post(
        "/desk/calls/new",
        data={
            "csrf_token": csrf,
            "form_id": "qn-form-1",
            "source": "registry",
            "kind": "primary",
            "last_name": "Опросов",
            "first_name": "Пётр",
            "birth_date": "01.02.1970",
            "phone": "+7 900 555-11-22",
            "address": "Химки, Молодежная 13, кв. 5",
            "district_code": "T2",
            "complaints": "температура 39, третий день",
            "reason_answers": json.dumps(ADULT_HIGH_FEVER),
            "next": "save",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    call_id = int(saved.headers["location"].rsplit("call=", 1)[1])
    card = _card(db, call_id)
    assert (card.reason_code, card.reason_letter, card.urgency, card.branch) == (
        "61Т",
        "Т",
        "urgent",
        "adult_fever_high",
    )
    assert (card.questionnaire_id, card.questionnaire_version) == ("home_visit", "2026.12-1")
    assert card.answers[-1] == {
        "question": "Температура 39 и выше или держится больше 3 дней?",
        "answer": "Да",
    }
    assert card.coded_at == WEDNESDAY_MORNING  # the moment the form was saved
    with db.session() as session:
        coder = session.scalar(select(tables.User.id).where(tables.User.login == "coder"))
        call = session.get(tables.CallRow, call_id)
        assert call is not None and call.complaints["reason_code"] == "61Т"
    assert card.coded_by_user_id == coder


def test_new_call_form_red_flag_exit_saves_nothing(desk: TestClient, db: Database) -> None:
    csrf = _sign_in(desk, db, "coder", "dispatcher")
    refused = desk.post(
        "/desk/calls/new",
        data={
            "csrf_token": csrf,
            "form_id": "qn-form-2",
            "last_name": "Срочнов",
            "first_name": "Иван",
            "address": "Химки, Молодежная 13, кв. 5",
            "complaints": "плохо",
            "reason_answers": json.dumps(["home", "no", "adult", "pain", "chest"]),
        },
    )
    assert refused.status_code == 422
    assert "Боль в груди" in refused.text and "Экстренные показания" in refused.text
    with db.session() as session:
        assert session.scalar(select(tables.CallRow.id)) is None


def test_reason_dialog_codes_a_stored_call_and_refuses_foreign_answers(
    desk: TestClient, db: Database
) -> None:
    csrf = _sign_in(desk, db, "coder", "dispatcher")
    call_id = store_demo_call(db, "Порталов", house="13")
    assert "Провести опросник" in desk.get(f"/desk/calls/{call_id}/service-card").text
    assert desk.get(f"/desk/calls/{call_id}/reason").status_code == 200
    bad = desk.post(
        f"/desk/calls/{call_id}/reason",
        data={"answers": json.dumps(["home", "maybe"]), "csrf_token": csrf},
    )
    assert bad.status_code == 422 and "не из вариантов вопроса" in bad.text
    unfinished = desk.post(
        f"/desk/calls/{call_id}/reason",
        data={"answers": json.dumps(["home", "no"]), "csrf_token": csrf},
    )
    assert unfinished.status_code == 422 and "Опрос не завершён" in unfinished.text
    _code(desk, csrf, call_id, ADULT_FEVER)
    page = desk.get(f"/desk/calls/{call_id}/service-card").text
    assert 'id="dispatch-code"' in page and "60Т··" in page
    with db.session() as session:
        opened = session.scalars(
            select(AccessLogEntry.object_id).where(AccessLogEntry.outcome == "opened")
        ).all()
    assert opened.count(call_id) >= 3  # the card twice, the questionnaire once
    assert _card(db, call_id).reason_code == "60Т"


def test_reason_dialog_records_a_red_flag_exit_on_the_stored_call(
    desk: TestClient, db: Database
) -> None:
    csrf = _sign_in(desk, db, "coder", "dispatcher")
    call_id = store_demo_call(db, "Грудинин", house="13")
    chest = ["home", "no", "adult", "pain", "chest"]
    first = desk.post(
        f"/desk/calls/{call_id}/reason",
        data={"answers": json.dumps(chest), "csrf_token": csrf},
    )
    assert first.status_code == 200
    assert 'id="emergency-banner" role="alert" >' in first.text  # shown, not hidden
    assert "Боль в груди" in first.text and "Срочно звоните 103 или 112" in first.text
    assert 'id="emergency-recorded"' in first.text and "Записано в вызов №" in first.text
    again = desk.post(
        f"/desk/calls/{call_id}/reason",
        data={"answers": json.dumps(chest), "csrf_token": csrf},
    )
    assert again.status_code == 200 and "Уже было записано в вызов №" in again.text
    with db.session() as session:
        row = session.get(tables.CallRow, call_id)
        assert row is not None
        assert row.status == "new" and row.emergency is True
        assert {
            "code": "questionnaire:chest_pain_exit",
            "reason": "Боль в груди",
        } in row.complaints["red_flags"]
        history = session.execute(
            select(tables.CallHistory.action, tables.CallHistory.actor, tables.CallHistory.reason)
            .where(tables.CallHistory.call_id == call_id)
            .order_by(tables.CallHistory.id)
        ).all()
        events = session.scalars(
            select(tables.OutboxEvent.payload).where(tables.OutboxEvent.topic == "call.emergency")
        ).all()
        assert session.get(CallServiceCard, call_id) is None  # no reason code from an exit
    flagged = [h for h in history if h.action == "red_flag"]
    assert len(flagged) == 1 and flagged[0].actor == "coder"
    assert "Боль в груди" in (flagged[0].reason or "")
    assert len(events) == 1
    assert (
        events[0]["call_id"] == call_id and events[0]["red_flag"] == "questionnaire:chest_pain_exit"
    )
    assert "Грудинин" not in str(events[0])  # no personal data in the event
    card = desk.get(f"/desk/calls/{call_id}").text
    assert '<dt class="flag">Экстренный признак</dt><dd class="flag">Боль в груди</dd>' in card
    assert "Опросник: Боль в груди" in card


def test_assign_dialog_suggests_by_the_chain_and_keeps_overrides(
    desk: TestClient, db: Database
) -> None:
    csrf = _sign_in(desk, db, "evac", "dispatcher")
    call_id = store_demo_call(db, "Цепочкин", house="13")  # district T2: Тестов Б. И.
    _code(desk, csrf, call_id, ADULT_FEVER)
    first = desk.get(f"/desk/calls/{call_id}/assign").text
    assert "Направьте: Тестов Б. И. (Т, профиль по поводу)" in first
    for code in ("D001", "D002"):
        _state(desk, csrf, db, code, "done")
    dialog = desk.get(f"/desk/calls/{call_id}/assign").text
    assert 'class="tried" data-item="Т"' in dialog and 'class="chosen" data-item="В"' in dialog
    assert "Направьте: Образцова В. Н. (В, подмена)" in dialog
    today = dialog.split('id="evac-confirm"')[1].split('name="day" value="')[1].split('"')[0]
    refused = desk.post(
        f"/desk/calls/{call_id}/assign",
        data={"doctor_id": str(doctor_id(db, "D007")), "day": today, "csrf_token": csrf},
    )
    assert refused.status_code == 422 and "укажите причину отступления" in refused.text
    overridden = desk.post(
        f"/desk/calls/{call_id}/assign",
        data={
            "doctor_id": str(doctor_id(db, "D007")),
            "day": today,
            "override_reason": "пациент просит фельдшера",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert overridden.status_code == 303
    card = _card(db, call_id)
    assert (card.sent_letter, card.sent_doctor_id, card.override_reason) == (
        "Ф",
        doctor_id(db, "D007"),
        "пациент просит фельдшера",
    )
    other = store_demo_call(db, "Подменов", house="13")
    _code(desk, csrf, other, ADULT_FEVER)
    confirmed = desk.post(
        f"/desk/calls/{other}/assign",
        data={"doctor_id": str(doctor_id(db, "D003")), "day": today, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    card = _card(db, other)
    assert (card.sent_letter, card.override_reason, card.sent_at is not None) == ("В", None, True)


def test_assign_dialog_wait_plans_the_next_working_day(desk: TestClient, db: Database) -> None:
    csrf = _sign_in(desk, db, "evac", "dispatcher")
    call_id = store_demo_call(db, "Ждунов", house="13")
    _code(desk, csrf, call_id, ADULT_FEVER)  # chain Т → В → ЖДИТЕ
    for code in ("D001", "D002", "D003"):
        _state(desk, csrf, db, code, "done")
    dialog = desk.get(f"/desk/calls/{call_id}/assign").text
    assert 'class="chosen" data-item="ЖДИТЕ"' in dialog
    assert "ЖДИТЕ — подходящих свободных врачей нет" in dialog
    confirm = dialog.split('id="evac-confirm"')[1]
    days = dialog.split('id="override-day"')[1]
    tomorrow = days.split('<option value="')[2].split('"')[0]
    assert f'name="day" value="{tomorrow}"' in confirm


def test_assign_dialog_recalls_a_doctor_from_a_routine_call(desk: TestClient, db: Database) -> None:
    csrf = _sign_in(desk, db, "evac", "dispatcher")
    routine = store_demo_call(db, "Плановый", house="13")
    assign(db, routine, "D002", mo_today(db))  # the dialog reads the real clock
    with db.session() as session:
        session.add(
            DoctorState(
                doctor_id=doctor_id(db, "D002"),
                state="on_the_way",
                since=datetime.now(UTC),
                call_id=routine,
            )
        )
    urgent = store_demo_call(db, "Срочнов", house="13")
    _code(desk, csrf, urgent, ADULT_HIGH_FEVER)  # 61Т: Т → В → Ф → ОТЗОВИТЕ
    for code in ("D001", "D003", "D007"):
        _state(desk, csrf, db, code, "done")
    dialog = desk.get(f"/desk/calls/{urgent}/assign").text
    assert 'class="chosen" data-item="ОТЗОВИТЕ"' in dialog
    assert "ОТЗОВИТЕ: Тестов Б. И. (Т) с менее срочного вызова" in dialog
    with db.session() as session:
        number = session.scalar(select(tables.CallRow.number).where(tables.CallRow.id == routine))
    assert f"едет на вызов № {number}" in dialog
    today = dialog.split('id="evac-confirm"')[1].split('name="day" value="')[1].split('"')[0]
    recalled = desk.post(
        f"/desk/calls/{urgent}/assign",
        data={"doctor_id": str(doctor_id(db, "D002")), "day": today, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert recalled.status_code == 303
    assert _card(db, urgent).sent_letter == "Т"
    with db.session() as session:
        state = session.get(DoctorState, doctor_id(db, "D002"))
        assert state is not None and (state.state, state.call_id) == ("on_the_way", urgent)


def test_doctor_records_the_trip_and_post_factum_letter(desk: TestClient, db: Database) -> None:
    csrf = _sign_in(desk, db, "evac", "dispatcher")
    call_id = store_demo_call(db, "Итогов", house="13")
    _code(desk, csrf, call_id, ADULT_FEVER)
    day = desk.get(f"/desk/calls/{call_id}/assign").text
    today = day.split('id="evac-confirm"')[1].split('name="day" value="')[1].split('"')[0]
    sent = desk.post(
        f"/desk/calls/{call_id}/assign",
        data={"doctor_id": str(doctor_id(db, "D002")), "day": today, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    desk.cookies.clear()
    csrf = _sign_in(desk, db, "vrach", "doctor", doctor="D002")
    page = desk.get(f"/desk/doctor/calls/{call_id}").text
    assert 'id="card-dispatch-code">60ТТ·<' in page
    for step in ("departed", "arrived"):
        moved = desk.post(
            f"/desk/doctor/calls/{call_id}/trip",
            data={"step": step, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert moved.status_code == 303
    with db.session() as session:
        state = session.get(DoctorState, doctor_id(db, "D002"))
        assert state is not None and (state.state, state.call_id) == ("at_patient", call_id)
    serve = {
        "diagnosis": "J06.9",
        "result": "refused_hospitalisation",
        "postfactum_letter": "Т",
        "remarks": "Повторный осмотр участковым через 3 дня",
        "csrf_token": csrf,
    }
    refused = desk.post(f"/desk/doctor/calls/{call_id}", data=serve)
    assert refused.status_code == 422
    assert "Укажите причину отказа от госпитализации" in refused.text
    no_letter = desk.post(
        f"/desk/doctor/calls/{call_id}",
        data=serve | {"postfactum_letter": "", "result_reason": "x"},
    )
    assert no_letter.status_code == 422 and "какой профиль был нужен" in no_letter.text
    done = desk.post(
        f"/desk/doctor/calls/{call_id}",
        data=serve | {"result_reason": "пациент отказался"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    card = _card(db, call_id)
    assert (card.postfactum_letter, card.result_code, card.result_reason) == (
        "Т",
        "refused_hospitalisation",
        "пациент отказался",
    )
    assert card.departed_at and card.arrived_at and card.finished_at and card.recorded_at
    assert card.departed_at <= card.arrived_at <= card.finished_at
    assert card.remarks == "Повторный осмотр участковым через 3 дня"
    with db.session() as session:
        state = session.get(DoctorState, doctor_id(db, "D002"))
        assert state is not None and (state.state, state.call_id) == ("free", None)
    shown = desk.get(f"/desk/calls/{call_id}/service-card").text
    assert ">60ТТТ<" in shown and "Отказ от госпитализации" in shown


def test_operator_enters_the_paper_card_of_a_served_call(desk: TestClient, db: Database) -> None:
    csrf = _sign_in(desk, db, "kartoteka", "registry")
    zone = ZoneInfo("Europe/Moscow")
    midnight = datetime(2026, 3, 4, 0, 1, tzinfo=zone)  # a Wednesday night call, served by 00:50
    call_id = store_demo_call(db, "Бумажный", house="13", now=midnight.astimezone(UTC))
    _code(desk, csrf, call_id, ADULT_FEVER)
    assert 'id="paper-card"' not in desk.get(f"/desk/calls/{call_id}/service-card").text
    assign(db, call_id, "D002", midnight.date(), now=midnight + timedelta(minutes=4))
    with db.session() as session:
        CallLifecycle(session, Actor("тест", None), now=midnight + timedelta(minutes=49)).serve(
            call_id, ServiceResult.HOSPITALISED, ["J18.9"], None
        )
    page = desk.get(f"/desk/calls/{call_id}/service-card").text
    assert 'id="paper-card"' in page
    assert '<option value="hospitalised" selected>' in page  # the doctor's result, prefilled
    card = {
        "postfactum_letter": "В",
        "departed_at": "00:10",
        "arrived_at": "00:05",
        "finished_at": "00:40",
        "result": "hospitalised",
        "remarks": "Стационар: уточнить диагноз",
        "csrf_token": csrf,
    }
    wrong = desk.post(f"/desk/calls/{call_id}/service-card", data=card)
    assert wrong.status_code == 422 and "Время прибытия раньше времени выезда" in wrong.text
    saved = desk.post(
        f"/desk/calls/{call_id}/service-card",
        data=card | {"arrived_at": "00:20"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    stored = _card(db, call_id)
    assert (stored.postfactum_letter, stored.result_code) == ("В", "hospitalised")
    assert stored.arrived_at is not None
    assert stored.arrived_at.astimezone(zone).strftime("%H:%M") == "00:20"
    shown = desk.get(f"/desk/calls/{call_id}/service-card").text
    assert ">60Т·В<" in shown and "повод определён неверно" in shown


@pytest.mark.parametrize(
    ("role", "landing", "shown"),
    [
        ("agent", "/desk", True),
        ("registry", "/desk", True),
        ("dispatcher", "/desk", True),
        ("admin", "/desk", True),
        ("head", "/desk", False),
        ("doctor", "/desk/doctor", False),
    ],
)
def test_menu_links_doctor_states_for_roles_that_set_them(
    client: TestClient, db: Database, role: str, landing: str, shown: bool
) -> None:
    make_user(db, f"menu-{role}", role)
    http_login(client, f"menu-{role}", landing=landing)
    html = client.get(landing).text
    link = '<a href="/desk/doctors/states" id="nav-doctor-states">Состояние врачей</a>'
    assert (link in html) is shown
    states = client.get("/desk/doctors/states")
    assert states.status_code == (200 if shown else 403)
