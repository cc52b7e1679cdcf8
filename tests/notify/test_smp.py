"""The ambulance service (СМП) round trip: handover → formalized call → journal → every status
back by a signed webhook, and the same state readable as FHIR."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from sqlalchemy import select

from dispatcher.services import accounts
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from tests.conftest import DEMO_MO, auth
from tests.notify.conftest import Pipeline
from tests.notify.receiver import Receiver

SMP_CALL: dict[str, Any] = {
    "card_number": "87331",
    "kind": "active_visit",
    "reason_code": "47Е",
    "reason_text": "КАШЕЛЬ У РЕБЕНКА (НЕ ЗАДЫХАЕТСЯ, «ПОСЛУШАТЬ»)",
    "brigade": "12",
    "patient": {"last_name": "Петров", "first_name": "Иван", "birth_date": "2013-07-22"},
    "phone": "8 (926) 000-00-01",
    "address": "Химки, ул. Молодежная, д. 63, кв. 31",
}


def _smp_token(db: Database) -> str:
    with db.session() as session:
        return accounts.create_token(
            session, "СМП Химки", ["smp", "webhooks", "calls:read"], [DEMO_MO]
        )


def test_smp_handover_requires_smp_scope(client: TestClient, db: Database) -> None:
    with db.session() as session:
        portal = accounts.create_token(session, "portal", ["portal"], [DEMO_MO])
    response = client.post("/api/v1/smp/calls", json=SMP_CALL, headers=auth(portal))
    assert response.status_code == 403 and "smp" in response.json()["detail"]


def _doctor_id(db: Database) -> int:
    with db.session() as session:
        doctor = session.scalar(select(tables.Doctor).where(tables.Doctor.code == "D001"))
        assert doctor is not None
        return doctor.id


def test_smp_round_trip_handover_journal_status_webhooks_and_fhir(
    client: TestClient,
    db: Database,
    pipeline: Pipeline,
    receiver: Receiver,
    operator_token: str,
    request: pytest.FixtureRequest,
) -> None:
    pytest.importorskip("nlp.address", reason="the NLP package is being written")
    worker = request.getfixturevalue("worker")
    token = _smp_token(db)
    hook = client.post(
        "/api/v1/webhooks/subscriptions", json={"url": receiver.url}, headers=auth(token)
    )
    receiver.secret = hook.json()["secret"]

    # handover; a repeat of the same card is the same intake
    first = client.post("/api/v1/smp/calls", json=SMP_CALL, headers=auth(token))
    again = client.post("/api/v1/smp/calls", json=SMP_CALL, headers=auth(token))
    assert first.status_code == again.status_code == 202
    assert first.json()["intake_id"] == again.json()["intake_id"]
    worker.drain()
    state = client.get("/api/v1/smp/calls/87331", headers=auth(token)).json()
    assert state["state"] == "accepted" and state["status"] == "new", state
    call_id = state["call_id"]

    # formalized by the intake core: the address parsed, the kind and source of the handover
    call = client.get(f"/api/v1/calls/{call_id}", headers=auth(token)).json()
    assert (call["source_label"], call["kind_label"]) == ("СМП", "Активное посещение")
    assert call["address"]["street_matched"] and call["district_code"]
    assert call["complaints"]["raw"].startswith("47Е КАШЕЛЬ")
    assert call["caller"]["type"] == "СМП"

    pipeline.run()
    assert receiver.statuses() == ["new"]

    operator = auth(operator_token)
    assigned = client.post(
        f"/api/v1/calls/{call_id}/assign", json={"doctor_id": _doctor_id(db)}, headers=operator
    )
    assert assigned.status_code == 200, assigned.json()
    pipeline.run()
    assert receiver.statuses() == ["new", "active"]

    served = client.post(
        f"/api/v1/calls/{call_id}/serve",
        json={"result": "left_at_home", "diagnoses": ["J20.9"]},
        headers=operator,
    )
    assert served.status_code == 200, served.json()
    pipeline.run()

    events = sorted(receiver.events.values(), key=lambda e: e["event_id"])
    assert [e["status"] for e in events] == ["new", "active", "served"]
    assert receiver.duplicates == 0 and receiver.bad_signatures == 0
    for event in events:
        assert event["external_id"] == {"kind": "smp_card", "value": "87331"}
        assert (event["call_id"], event["call_number"]) == (call_id, state["call_number"])
        # medical secrecy: the reason text and the diagnosis stay here
        assert "КАШЕЛЬ" not in str(event) and "J20" not in str(event)
    assert events[1]["doctor"] == "Демидова А. П." and events[1]["visit_window"]

    (row,) = client.get("/api/v1/smp/journal", headers=auth(token)).json()["items"]
    assert (row["card_number"], row["reason_code"], row["status"]) == ("87331", "47Е", "served")
    assert row["assigned_at"] and row["served_at"] and row["doctor"] == "Демидова А. П."
    assert row["result"] and row["sla"]["assign_ok"] and row["sla"]["serve_ok"]

    task = Task.model_validate(
        client.get(f"/api/v1/fhir/Task/{call_id}", headers=auth(token)).json()
    )
    assert task.status == "completed" and task.owner is not None
    assert task.owner.display == "Демидова А. П." and task.executionPeriod is not None
    assert task.executionPeriod.end is not None
    service = ServiceRequest.model_validate(
        client.get(f"/api/v1/fhir/ServiceRequest/{call_id}", headers=auth(token)).json()
    )
    identifiers = {(i.system, i.value) for i in service.identifier or []}
    assert ("urn:home-visit-dispatcher/smp_card", "87331") in identifiers
    assert service.status == "completed"


def test_smp_call_not_posted_to_another_clients_own_calls_subscription(
    client: TestClient,
    db: Database,
    pipeline: Pipeline,
    receiver: Receiver,
    request: pytest.FixtureRequest,
) -> None:
    pytest.importorskip("nlp.address", reason="the NLP package is being written")
    worker = request.getfixturevalue("worker")
    with db.session() as session:
        mis = accounts.create_token(session, "МИС", ["webhooks"], [DEMO_MO])
    client.post("/api/v1/webhooks/subscriptions", json={"url": receiver.url}, headers=auth(mis))
    smp_receiver = Receiver()
    try:
        token = _smp_token(db)
        hook = client.post(
            "/api/v1/webhooks/subscriptions", json={"url": smp_receiver.url}, headers=auth(token)
        )
        smp_receiver.secret = hook.json()["secret"]
        response = client.post("/api/v1/smp/calls", json=SMP_CALL, headers=auth(token))
        assert response.status_code == 202
        worker.drain()
        pipeline.run()
        assert smp_receiver.statuses() == ["new"]
        assert receiver.requests == 0
    finally:
        smp_receiver.close()


def test_smp_card_for_patient_with_open_call_is_answered_with_that_call(
    client: TestClient, db: Database, intake_token: str, request: pytest.FixtureRequest
) -> None:
    pytest.importorskip("nlp.address", reason="the NLP package is being written")
    worker = request.getfixturevalue("worker")
    portal_call = {
        "source": "portal",
        "patient": SMP_CALL["patient"],
        "phone": "8 (926) 000-00-01",
        "address": SMP_CALL["address"],
        "complaints": "Кашель третий день",
    }
    posted = client.post("/api/v1/intake", json=portal_call, headers=auth(intake_token, "pc-1"))
    assert posted.status_code == 202
    worker.drain()
    token = _smp_token(db)
    assert client.post("/api/v1/smp/calls", json=SMP_CALL, headers=auth(token)).status_code == 202
    worker.drain()
    state = client.get("/api/v1/smp/calls/87331", headers=auth(token)).json()
    existing = client.get(
        f"/api/v1/intake/{posted.json()['intake_id']}", headers=auth(intake_token)
    ).json()
    assert (state["state"], state["merged"]) == ("accepted", True)
    assert state["call_number"] == existing["call_number"]
    assert state["message"].startswith(
        f"У вас уже есть активный вызов: Карта вызова № {existing['call_number']}"
    )
    call = client.get(f"/api/v1/calls/{state['call_id']}", headers=auth(token)).json()
    assert call["complaints"]["raw"].startswith("Кашель третий день\nДополнение (СМП, ")
    assert "47Е КАШЕЛЬ У РЕБЕНКА" in call["complaints"]["raw"]
    assert "Карта СМП № 87331" in call["notes"]
    assert {c["kind"] for c in call["channels"]} == {"portal_request", "smp_card"}
    (row,) = client.get("/api/v1/smp/journal", headers=auth(token)).json()["items"]
    assert row["call_number"] == existing["call_number"]
