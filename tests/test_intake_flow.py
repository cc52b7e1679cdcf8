"""The spine end to end: HTTP → Redis → a real RQ worker → the database (SQLite, PostgreSQL)."""

from __future__ import annotations

import copy
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatcher.services.intake import Submitted, submit
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from tests.conftest import WorkerRunner, auth

SAMPLE: dict[str, Any] = {
    "source": "portal",
    "patient": {
        "last_name": "Иванова",
        "first_name": "Мария",
        "middle_name": "Петровна",
        "birth_date": "2015-03-02",
    },
    "phone": "8 (916) 123-45-67",
    "address": "Мос. обл., г.Химки, ул. Молодежная, д.63, кор.2, кв.54 П-д. 1, Этаж 10",
    "complaints": "Температура 38,5, кашель",
    "caller": {"type": "мать", "name": "Иванова Ольга Сергеевна"},
}


def post(client: TestClient, token: str, key: str, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/intake", json=body, headers=auth(token, key))


def settle(client: TestClient, worker: WorkerRunner, token: str, intake_id: str) -> dict[str, Any]:
    worker.drain()
    response = client.get(f"/api/v1/intake/{intake_id}", headers=auth(token))
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def test_intake_round_trip_stores_formalized_call(
    client: TestClient, worker: WorkerRunner, intake_token: str
) -> None:
    response = post(client, intake_token, "k-1", SAMPLE)
    assert response.status_code == 202
    body = response.json()
    assert body["state"] == "queued" and body["status_url"].endswith(body["intake_id"])
    status = settle(client, worker, intake_token, body["intake_id"])
    assert status["state"] == "accepted", status
    assert status["call_number"] >= 57000 and f"№ {status['call_number']}" in status["message"]
    call = client.get(f"/api/v1/calls/{status['call_id']}", headers=auth(intake_token)).json()
    assert call["status"] == "new" and call["status_label"] == "Новый"
    assert call["phone"] == "+79161234567"
    address = call["address"]
    assert (address["city"], address["street"], address["house"]) == ("Химки", "Молодежная", "63")
    assert (address["korpus"], address["flat"], address["entrance"], address["floor"]) == (
        "2",
        "54",
        "1",
        "10",
    )
    assert address["region"] == "Московская"
    assert call["district_code"] == "P1"  # a child: the children's district of that street
    assert call["patient"]["age_category"] == "Дети"
    assert set(call["complaints"]["symptoms"]) == {"fever", "cough"}
    assert call["complaints"]["temperature"] == 38.5
    assert call["complaints"]["emergency"] is False
    assert call["caller"] == {"type": "мать", "name": "Иванова Ольга Сергеевна", "phone": None}
    assert call["history"][0]["to"] == "new" and call["history"][0]["from"] is None
    assert call["channels"][0]["kind"] == "portal_request"


def test_intake_repeat_with_same_key_makes_one_call(
    client: TestClient, worker: WorkerRunner, intake_token: str
) -> None:
    first = post(client, intake_token, "same-key", SAMPLE).json()
    second = post(client, intake_token, "same-key", SAMPLE).json()
    assert first["intake_id"] == second["intake_id"]
    worker.drain()
    worker.drain()  # a second run of the job changes nothing
    counts = client.get("/api/v1/calls/counters", headers=auth(intake_token)).json()["counts"]
    assert sum(counts.values()) == 1


def test_intake_same_key_other_body_conflicts(client: TestClient, intake_token: str) -> None:
    post(client, intake_token, "key-x", SAMPLE)
    other = copy.deepcopy(SAMPLE)
    other["complaints"] = "Кашель"
    response = post(client, intake_token, "key-x", other)
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["message"]


def test_intake_second_open_call_for_patient_is_merged(
    client: TestClient, worker: WorkerRunner, intake_token: str
) -> None:
    first = settle(
        client, worker, intake_token, post(client, intake_token, "a", SAMPLE).json()["intake_id"]
    )
    again = copy.deepcopy(SAMPLE)
    again["source"] = "call_center"
    again["complaints"] = "Кашель усилился"
    second = settle(
        client, worker, intake_token, post(client, intake_token, "b", again).json()["intake_id"]
    )
    assert second["state"] == "accepted" and second["merged"] is True
    assert second["call_id"] == first["call_id"]
    assert second["message"].startswith(
        f"У вас уже есть активный вызов: Карта вызова № {first['call_number']}"
    )
    call = client.get(f"/api/v1/calls/{first['call_id']}", headers=auth(intake_token)).json()
    assert len(call["channels"]) == 2
    assert call["complaints"]["raw"].endswith(": Кашель усилился")  # its complaint is kept


def test_intake_emergency_is_redirected_and_recorded(
    client: TestClient, worker: WorkerRunner, intake_token: str, redis_client: Any, settings: Any
) -> None:
    body = copy.deepcopy(SAMPLE)
    body["complaints"] = "Задыхается, синеет, не может говорить"
    status = settle(
        client, worker, intake_token, post(client, intake_token, "e", body).json()["intake_id"]
    )
    assert status["state"] == "emergency"
    assert status["call_id"] is None
    assert "103" in status["message"] and "112" in status["message"]
    assert status["red_flags"]
    counts = client.get("/api/v1/calls/counters", headers=auth(intake_token)).json()["counts"]
    assert sum(counts.values()) == 0
    topics = [e[1][b"topic"] for e in redis_client.xrange(settings.events_stream)]
    assert b"intake.emergency" in topics


def test_intake_unknown_street_waits_for_a_person(
    client: TestClient, worker: WorkerRunner, intake_token: str
) -> None:
    body = copy.deepcopy(SAMPLE)
    body["address"] = "г. Химки, ул. Несуществующая, д. 5, кв. 1"
    status = settle(
        client, worker, intake_token, post(client, intake_token, "p", body).json()["intake_id"]
    )
    call = client.get(f"/api/v1/calls/{status['call_id']}", headers=auth(intake_token)).json()
    assert call["status"] == "pending" and call["status_label"] == "Ожидает обработки"
    assert "Адрес не сопоставлен с участком" in call["pending_reasons"]


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"phone": "12345"}, "phone", "Неверный номер телефона"),
        ({"patient.policy_number": "5090289794000935"}, "policy", "контрольная цифра"),
        ({"patient.birth_date": "31.02.2015"}, "patient.birth_date", "Неверная дата"),
        ({"patient.birth_date": "2099-01-01"}, "patient.birth_date", "в будущем"),
        ({"complaints": "   "}, "complaints", "Опишите жалобы"),
        ({"address": ""}, "address", "Укажите адрес"),
        ({"patient.last_name": ""}, "patient.last_name", "фамилию"),
        ({"source": "fax"}, "source", "Неизвестный источник"),
    ],
)
def test_intake_bad_field_gets_russian_422(
    client: TestClient, intake_token: str, change: dict[str, str], field: str, fragment: str
) -> None:
    body = copy.deepcopy(SAMPLE)
    for path, value in change.items():
        target = body
        *parents, leaf = path.split(".")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    response = post(client, intake_token, "bad", body)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert fragment in errors[field], errors


def test_intake_wrong_shape_gets_russian_422(client: TestClient, intake_token: str) -> None:
    response = client.post(
        "/api/v1/intake", json={"patient": "Иванова"}, headers=auth(intake_token, "shape")
    )
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert fields["source"] == "Обязательное поле"
    assert fields["patient"] == "Ожидается объект"


def test_intake_requires_idempotency_key_and_token(client: TestClient, intake_token: str) -> None:
    no_key = client.post("/api/v1/intake", json=SAMPLE, headers=auth(intake_token))
    assert no_key.status_code == 422
    assert no_key.json()["errors"][0]["field"] == "Idempotency-Key"
    no_token = client.post("/api/v1/intake", json=SAMPLE, headers={"Idempotency-Key": "z"})
    assert no_token.status_code == 401
    bad = client.post("/api/v1/intake", json=SAMPLE, headers=auth("hv_wrong", "z"))
    assert bad.status_code == 401


def test_intake_status_of_another_client_is_not_found(
    client: TestClient, intake_token: str, operator_token: str
) -> None:
    intake_id = post(client, intake_token, "mine", SAMPLE).json()["intake_id"]
    response = client.get(f"/api/v1/intake/{intake_id}", headers=auth(operator_token))
    assert response.status_code in (403, 404)


def test_concurrent_twins_with_one_key_store_one_intake(db: Database, intake_token: str) -> None:
    with db.session() as session:
        client_id = session.scalar(select(tables.ApiClient.id).limit(1))
    assert client_id is not None
    barrier = threading.Barrier(6)

    def send(_: int) -> Submitted:
        barrier.wait()
        return submit(db, client_id, "DEMO-KHIMKI", "twin", SAMPLE, datetime.now(UTC))

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(send, range(6)))
    assert len({r.intake_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    with db.session() as session:
        stored = session.scalars(
            select(tables.Intake).where(tables.Intake.idempotency_key == "twin")
        ).all()
    assert [i.id for i in stored] == [results[0].intake_id]
