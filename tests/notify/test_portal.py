"""The regional portal's API for a patient's personal account: create, read, cancel; the status
reaches the portal by webhook and the patient by SMS; an emergency is redirected to 103/112."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatcher.services import accounts
from dispatcher.storage.database import Database
from tests.conftest import DEMO_MO, auth
from tests.notify.conftest import Pipeline
from tests.notify.receiver import Receiver
from tests.notify.smsc import Smsc

FORM: dict[str, Any] = {
    "request_id": "RPGU-2026-000731",
    "patient": {"last_name": "Сидорова", "first_name": "Анна", "birth_date": "1951-04-09"},
    "city": "Химки",
    "street": "ул. Молодежная",
    "house": "63",
    "flat": "54",
    "phone": "+7 916 555-12-34",
    "complaints": "Температура 37,8, кашель, слабость",
}
EMERGENCY_FORM = FORM | {
    "request_id": "RPGU-2026-000732",
    "complaints": "Сильная боль в груди, отдаёт в левую руку, холодный пот",
}


def _portal(db: Database, name: str = "РПГУ") -> str:
    with db.session() as session:
        return accounts.create_token(session, name, ["portal", "webhooks"], [DEMO_MO])


def _subscribe(client: TestClient, token: str, receiver: Receiver) -> None:
    hook = client.post(
        "/api/v1/webhooks/subscriptions", json={"url": receiver.url}, headers=auth(token)
    )
    receiver.secret = hook.json()["secret"]


@pytest.fixture
def intake_worker(request: pytest.FixtureRequest) -> Any:
    """The intake worker, once the NLP that formalizes the form is there."""
    pytest.importorskip("nlp.address", reason="the NLP package is being written")
    return request.getfixturevalue("worker")


def test_portal_create_read_cancel_reaches_portal_and_patient(
    client: TestClient,
    db: Database,
    pipeline: Pipeline,
    receiver: Receiver,
    smsc: Smsc,
    intake_worker: Any,
) -> None:
    token = _portal(db)
    _subscribe(client, token, receiver)
    first = client.post("/api/v1/portal/calls", json=FORM, headers=auth(token))
    again = client.post("/api/v1/portal/calls", json=FORM, headers=auth(token))
    assert first.status_code == again.status_code == 202
    assert first.json()["intake_id"] == again.json()["intake_id"]
    intake_worker.drain()
    url = f"/api/v1/portal/calls/{FORM['request_id']}"
    state = client.get(url, headers=auth(token)).json()
    assert (state["state"], state["status"]) == ("accepted", "new"), state
    assert "кашель" not in str(state)  # the status carries no complaint text

    # another client system does not see the portal's request
    assert client.get(url, headers=auth(_portal(db, "МИС"))).status_code == 404

    cancelled = client.post(f"{url}/cancel", json={"reason": "Стало лучше"}, headers=auth(token))
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["status_label"]) == (
        "cancelled",
        "Отменён",
    )
    twice = client.post(f"{url}/cancel", json={"reason": "Стало лучше"}, headers=auth(token))
    assert twice.status_code == 409
    pipeline.run()

    assert receiver.statuses() == ["new", "cancelled"]
    assert all(
        e["external_id"] == {"kind": "portal_request", "value": FORM["request_id"]}
        for e in receiver.events.values()
    )
    texts = smsc.texts()
    assert len(texts) == 2 and "принят" in texts[0] and "отменён" in texts[1]
    assert {s.message.destination_addr for s in smsc.submitted} == {"79165551234"}


def test_portal_emergency_is_redirected_to_103_and_told_by_sms_and_webhook(
    client: TestClient,
    db: Database,
    pipeline: Pipeline,
    receiver: Receiver,
    smsc: Smsc,
    intake_worker: Any,
) -> None:
    token = _portal(db)
    _subscribe(client, token, receiver)
    response = client.post("/api/v1/portal/calls", json=EMERGENCY_FORM, headers=auth(token))
    assert response.status_code == 202
    intake_worker.drain()
    state = client.get(
        f"/api/v1/portal/calls/{EMERGENCY_FORM['request_id']}", headers=auth(token)
    ).json()
    assert state["state"] == "emergency" and state["call_id"] is None
    assert "103" in state["message"]
    pipeline.run()
    (text,) = smsc.texts()
    assert "103" in text and "112" in text
    (event,) = receiver.events.values()
    assert event["status"] == "emergency"
    assert event["external_id"] == {"kind": "portal_request", "value": "RPGU-2026-000732"}
    assert "груди" not in str(event)


def test_portal_and_partner_apis_document_every_operation_in_russian(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    prefixes = ("/api/v1/portal", "/api/v1/smp", "/api/v1/sms", "/api/v1/webhooks", "/api/v1/fhir")
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        if path.startswith(prefixes)
        for method, operation in item.items()
    ]
    assert len(operations) >= 10
    for path, method, operation in operations:
        described = operation.get("description", "") + operation.get("summary", "")
        assert re.search("[а-яё]", described, re.IGNORECASE), (method, path)
        assert "429" in operation["responses"], (method, path)
    cancel = schema["paths"]["/api/v1/portal/calls/{request_id}/cancel"]["post"]
    assert "409" in cancel["responses"]  # a closed call or a request already taken back
    status_fields = schema["components"]["schemas"]["CallStatusOut"]["properties"]
    assert {"merged", "withdrawn", "message"} <= set(status_fields)


def test_portal_second_request_for_same_patient_answers_with_existing_call_and_cancels_only_itself(
    client: TestClient,
    db: Database,
    pipeline: Pipeline,
    receiver: Receiver,
    smsc: Smsc,
    intake_worker: Any,
) -> None:
    token = _portal(db)
    _subscribe(client, token, receiver)
    again = FORM | {
        "request_id": "RPGU-2026-000740",
        "patient": {"last_name": "СИДОРОВА", "first_name": "анна", "birth_date": "09.04.1951"},
        "complaints": "Кашель стал сильнее, температура 38,4",
    }
    for form in (FORM, again):
        assert (
            client.post("/api/v1/portal/calls", json=form, headers=auth(token)).status_code == 202
        )
        intake_worker.drain()
    first = client.get(f"/api/v1/portal/calls/{FORM['request_id']}", headers=auth(token)).json()
    second_url = f"/api/v1/portal/calls/{again['request_id']}"
    second = client.get(second_url, headers=auth(token)).json()
    assert (second["state"], second["merged"]) == ("accepted", True)
    assert second["call_number"] == first["call_number"] and first["merged"] is False
    assert second["message"].startswith(
        f"У вас уже есть активный вызов: Карта вызова № {first['call_number']}"
    )
    assert "Кашель" not in str(second)

    # the patient takes the second request back: the first still asks for the visit
    withdrawn = client.post(
        f"{second_url}/cancel", json={"reason": "Отправила по ошибке"}, headers=auth(token)
    )
    assert withdrawn.status_code == 200, withdrawn.json()
    body = withdrawn.json()
    assert (body["status"], body["withdrawn"]) == ("new", True)
    assert "не отменён" in body["message"]
    twice = client.post(f"{second_url}/cancel", json={"reason": "ещё"}, headers=auth(token))
    assert twice.status_code == 409
    still = client.get(f"/api/v1/portal/calls/{FORM['request_id']}", headers=auth(token)).json()
    assert (still["status"], still["withdrawn"]) == ("new", False)
    pipeline.run()
    assert receiver.statuses() == ["new", "new", "new"]  # created, merged, withdrawn
    assert [e["action"] for e in sorted(receiver.events.values(), key=lambda e: e["event_id"])] == [
        "create",
        "merge",
        "withdraw",
    ]
    assert len(smsc.texts()) == 1  # the patient got «принят» once, not a message per request
