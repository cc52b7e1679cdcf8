"""Duplicates are the same person, never the same household: HTTP → a real worker → the database
(SQLite and PostgreSQL); and the identity rule itself as a table."""

from __future__ import annotations

import copy
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from dispatcher.services.intake import submit
from dispatcher.services.intake_processor import IntakeProcessor
from dispatcher.services.lifecycle import Actor
from dispatcher.services.withdrawal import withdraw
from dispatcher.storage import tables
from dispatcher.storage.calls import add_channel
from dispatcher.storage.database import Database
from intake_core.duplicates import Identity
from intake_core.errors import Conflict
from intake_core.status import CallStatus
from tests.conftest import WorkerRunner, auth

ADDRESS = "г. Химки, ул. Молодежная, д. 63, кв. 54"
PHONE = "8 (916) 700-11-22"
GRANDFATHER: dict[str, Any] = {
    "source": "telegram",
    "patient": {
        "last_name": "Орлов",
        "first_name": "Пётр",
        "middle_name": "Ильич",
        "birth_date": "1948-11-03",
    },
    "phone": PHONE,
    "address": ADDRESS,
    "complaints": "Давление 160 на 100, головная боль",
}
GRANDDAUGHTER: dict[str, Any] = GRANDFATHER | {
    "patient": {"last_name": "Орлова", "first_name": "Вера", "birth_date": "2019-06-15"},
    "complaints": "Температура 38,2, насморк",
    "caller": {"type": "родственник", "name": "Орлов Пётр Ильич"},
}


def _post(client: TestClient, token: str, key: str, body: dict[str, Any]) -> str:
    response = client.post("/api/v1/intake", json=body, headers=auth(token, key))
    assert response.status_code == 202, response.text
    intake_id: str = response.json()["intake_id"]
    return intake_id


def _status(client: TestClient, token: str, intake_id: str) -> dict[str, Any]:
    result: dict[str, Any] = client.get(f"/api/v1/intake/{intake_id}", headers=auth(token)).json()
    return result


def _call(client: TestClient, token: str, call_id: int) -> dict[str, Any]:
    result: dict[str, Any] = client.get(f"/api/v1/calls/{call_id}", headers=auth(token)).json()
    return result


def _outbox(db: Database, call_id: int) -> list[dict[str, Any]]:
    with db.session() as session:
        payloads = session.scalars(
            select(tables.OutboxEvent.payload).order_by(tables.OutboxEvent.id)
        )
        return [p for p in payloads if p.get("call_id") == call_id]


def test_grandfather_and_granddaughter_at_one_phone_and_address_get_two_calls(
    client: TestClient, worker: WorkerRunner, intake_token: str, db: Database
) -> None:
    old = _post(client, intake_token, "gf", GRANDFATHER)
    child = _post(client, intake_token, "gd", GRANDDAUGHTER)
    worker.drain()
    first, second = _status(client, intake_token, old), _status(client, intake_token, child)
    assert first["state"] == second["state"] == "accepted"
    assert second["merged"] is False and second["call_id"] != first["call_id"]
    assert second["message"] == f"Вызов принят: Карта вызова № {second['call_number']}"
    grandpa, girl = (_call(client, intake_token, s["call_id"]) for s in (first, second))
    assert (grandpa["district_code"], girl["district_code"]) == ("T2", "P1")
    assert girl["status"] == "new"  # queued for the pediatrician, nobody has to sort it out
    assert girl["complaints"]["raw"] == "Температура 38,2, насморк"
    assert grandpa["complaints"]["raw"] == "Давление 160 на 100, головная боль"
    note = girl["history"][-1]["reason"]
    assert (
        note == f"Одна семья/один адрес: открытый вызов № {first['call_number']} — другой пациент"
    )
    (created,) = [e for e in _outbox(db, girl["id"]) if e.get("action") == "create"]
    assert created["household"] == [first["call_number"]]


def test_same_person_twice_is_one_call_with_both_complaints(
    client: TestClient, worker: WorkerRunner, intake_token: str, db: Database
) -> None:
    first = _post(client, intake_token, "one", GRANDFATHER)
    worker.drain()
    again = copy.deepcopy(GRANDFATHER)
    again["source"] = "portal"
    # the same man written otherwise: ё as е, another case, no middle name, from another phone
    again["patient"] = {"last_name": "ОРЛОВ", "first_name": "петр", "birth_date": "03.11.1948"}
    again["phone"] = "+7 926 111-22-33"
    again["complaints"] = "Кашель, температура 37,9"
    again["notes"] = "Домофон не работает, звонить по телефону"
    second = _post(client, intake_token, "two", again)
    worker.drain()
    before, after = _status(client, intake_token, first), _status(client, intake_token, second)
    assert after["state"] == "accepted" and after["merged"] is True
    assert after["call_id"] == before["call_id"]
    number = before["call_number"]
    assert after["message"].startswith(f"У вас уже есть активный вызов: Карта вызова № {number}")
    call = _call(client, intake_token, before["call_id"])
    raw = call["complaints"]["raw"]
    assert raw.startswith("Давление 160 на 100, головная боль\nДополнение (РПГУ (портал), ")
    assert raw.endswith(": Кашель, температура 37,9")
    assert {"cough", "fever"} <= set(call["complaints"]["symptoms"])
    assert call["complaints"]["temperature"] == 37.9
    assert "Домофон не работает" in call["notes"]
    assert call["phone"] == "+79167001122"  # the call keeps its own phone
    merge = call["history"][-1]
    assert (merge["from"], merge["to"]) == ("new", "new")
    assert "Добавлено обращение того же пациента (РПГУ (портал))" in merge["reason"]
    assert "жалобы: Кашель, температура 37,9" in merge["reason"]
    assert [c["kind"] for c in call["channels"]] == ["telegram_chat", "portal_request"]
    counts = client.get("/api/v1/calls/counters", headers=auth(intake_token)).json()["counts"]
    assert sum(counts.values()) == 1
    events = _outbox(db, call["id"])
    (merged,) = [e for e in events if e.get("action") == "merge"]
    assert merged["type"] == "call.status_changed" and merged["call_number"] == number
    assert "Кашель" not in json.dumps(events, ensure_ascii=False)  # no complaint in events
    assert [e["type"] for e in events].count("call.merged") == 1


def test_same_policy_merges_whatever_the_name_says(
    client: TestClient, worker: WorkerRunner, intake_token: str
) -> None:
    with_policy = copy.deepcopy(GRANDFATHER)
    with_policy["patient"] = GRANDFATHER["patient"] | {"policy_number": "7770001112223335"}
    first = _post(client, intake_token, "p1", with_policy)
    ambulance = {
        "source": "smp",
        "kind": "urgent",
        "patient": {"last_name": "Орлов", "first_name": "П.", "policy_number": "7770001112223335"},
        "address": "Химки, Молодежная 63-54",
        "complaints": "Слабость, головокружение",
    }
    second = _post(client, intake_token, "p2", ambulance)
    worker.drain()
    a, b = _status(client, intake_token, first), _status(client, intake_token, second)
    assert b["merged"] is True and b["call_id"] == a["call_id"]
    call = _call(client, intake_token, a["call_id"])
    assert call["kind"] == "urgent"  # the ambulance's «Неотложный» is not lost either
    assert "вид «Неотложный»" in call["history"][-1]["reason"]


def test_unidentified_caller_at_same_phone_and_address_waits_for_a_person(
    client: TestClient, worker: WorkerRunner, intake_token: str
) -> None:
    first = _post(client, intake_token, "known", GRANDFATHER)
    worker.drain()
    nameless = copy.deepcopy(GRANDFATHER)
    nameless["patient"] = {"last_name": "Орлов", "first_name": "Пётр"}  # no policy, no birth date
    nameless["complaints"] = "Болит спина"
    second = _post(client, intake_token, "unknown", nameless)
    worker.drain()
    a, b = _status(client, intake_token, first), _status(client, intake_token, second)
    assert b["merged"] is False and b["call_id"] != a["call_id"]  # never merged by itself
    assert "проверит оператор" in b["message"]
    call = _call(client, intake_token, b["call_id"])
    assert call["status"] == "pending" and call["status_label"] == "Ожидает обработки"
    (reason,) = [r for r in call["pending_reasons"] if r.startswith("Возможный дубликат")]
    assert f"№ {a['call_number']}" in reason and "решите" in reason
    untouched = _call(client, intake_token, a["call_id"])
    assert untouched["complaints"]["raw"] == GRANDFATHER["complaints"]


def test_served_call_makes_the_next_one_repeat_and_a_closed_call_is_not_merged_into(
    client: TestClient, worker: WorkerRunner, intake_token: str, db: Database
) -> None:
    first = _post(client, intake_token, "s1", GRANDFATHER)
    worker.drain()
    call_id = _status(client, intake_token, first)["call_id"]
    with db.session() as session:
        session.execute(
            update(tables.CallRow)
            .where(tables.CallRow.id == call_id)
            .values(status=CallStatus.SERVED.value, served_at=datetime.now(UTC) - timedelta(days=2))
        )
    again = copy.deepcopy(GRANDFATHER) | {"complaints": "Снова давление 170 на 100"}
    again["patient"] = GRANDFATHER["patient"] | {"last_name": "орлов"}
    intake_id = _post(client, intake_token, "s2", again)
    worker.drain()
    second = _status(client, intake_token, intake_id)
    assert second["merged"] is False and second["call_id"] != call_id
    assert _call(client, intake_token, second["call_id"])["kind_label"] == "Повторный"


def test_cancel_through_one_channel_keeps_the_call_another_request_asked_for(
    client: TestClient, worker: WorkerRunner, intake_token: str, db: Database
) -> None:
    intake_id = _post(client, intake_token, "c1", GRANDFATHER)
    worker.drain()
    call_id = _status(client, intake_token, intake_id)["call_id"]
    portal = ("portal_request", "RPGU-77")
    with db.session() as session:
        add_channel(session, call_id, *portal, datetime.now(UTC))
    patient = Actor("РПГУ", None)
    with db.session() as session:
        kept = withdraw(session, patient, call_id, portal, "Отменён пациентом: стало лучше")
        assert kept.cancelled is False and kept.row.status == CallStatus.NEW.value
    call = _call(client, intake_token, call_id)
    assert call["status"] == "new" and [c["kind"] for c in call["channels"]] == ["telegram_chat"]
    assert call["history"][-1]["reason"].startswith("Отменён пациентом: стало лучше. Обращение")
    assert [e["action"] for e in _outbox(db, call_id)][-1] == "withdraw"
    with db.session() as session, pytest.raises(Conflict):
        withdraw(session, patient, call_id, portal, "ещё раз")
    chat = tuple(call["channels"][0][k] for k in ("kind", "value"))
    with db.session() as session:
        last = withdraw(session, Actor("Telegram-бот", None), call_id, chat, "Отменён в Telegram")
        assert last.cancelled is True
    assert _call(client, intake_token, call_id)["status"] == "cancelled"


BORN = date(1948, 11, 3)


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        # the same policy is the same person, however the name is written
        (
            ("7770001112223335", "Орлов", "Пётр", None, None),
            ("7770001112223335", "Орлов", "П.", None, None),
            True,
        ),
        # two different policies are two people, even with one name and birth date
        (
            ("7770001112223335", "Орлов", "Пётр", None, BORN),
            ("5090289794000934", "Орлов", "Пётр", None, BORN),
            False,
        ),
        # name and birth date: case, ё/е and spaces do not matter
        ((None, "Орлов", "Пётр", "Ильич", BORN), (None, " ОРЛОВ ", "петр", None, BORN), True),
        # the middle name counts when both calls give one
        ((None, "Орлов", "Пётр", "Ильич", BORN), (None, "Орлов", "Пётр", "Андреевич", BORN), False),
        # another birth date is another person (a grandson named after his grandfather)
        (
            (None, "Орлов", "Пётр", None, BORN),
            (None, "Орлов", "Пётр", None, date(2012, 5, 1)),
            False,
        ),
        # without a birth date or a policy nobody can be sure
        ((None, "Орлов", "Пётр", None, None), (None, "Орлов", "Пётр", None, None), False),
        # policy on one side, name and birth date on both: the name decides
        (
            ("7770001112223335", "Орлова", "Вера", None, BORN),
            (None, "Орлова", "Вера", None, BORN),
            True,
        ),
    ],
)
def test_identity_same_person_by_policy_or_name_and_birth_date(
    first: tuple[Any, ...], second: tuple[Any, ...], same: bool
) -> None:
    assert Identity(*first).same_person(Identity(*second)) is same
    assert Identity(*second).same_person(Identity(*first)) is same


def test_concurrent_requests_of_one_patient_make_one_call(
    db: Database, processor: IntakeProcessor, intake_token: str
) -> None:
    with db.session() as session:
        client_id = session.scalar(select(tables.ApiClient.id).limit(1))
    assert client_id is not None
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    bodies = [GRANDFATHER | {"complaints": f"Давление {150 + i} на 100"} for i in range(4)]
    ids = [
        submit(db, client_id, "DEMO-KHIMKI", f"conc-{i}", body, now).intake_id
        for i, body in enumerate(bodies)
    ]
    barrier = threading.Barrier(len(ids))

    def run(intake_id: str) -> None:
        barrier.wait()
        processor.process(intake_id, now)

    with ThreadPoolExecutor(len(ids)) as pool:
        list(pool.map(run, ids))
    with db.session() as session:
        (call,) = session.scalars(select(tables.CallRow)).all()
        intakes = session.scalars(select(tables.Intake)).all()
        assert {i.call_id for i in intakes} == {call.id}
        assert sorted(i.merged for i in intakes) == [False, True, True, True]
        raw = call.complaints["raw"]
    assert all(f"Давление {150 + i} на 100" in raw for i in range(4))
