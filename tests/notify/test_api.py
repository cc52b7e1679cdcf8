"""The client-system APIs: scopes, rate limits, subscriptions, dead letters, FHIR."""

from __future__ import annotations

from typing import cast

from fastapi.testclient import TestClient
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from dispatcher.services import accounts
from dispatcher.storage.database import Database
from tests.conftest import DEMO_MO, auth
from tests.notify.conftest import COMPLAINT, Pipeline, make_call, subscribe
from tests.notify.receiver import Receiver


def _token(db: Database, scopes: list[str]) -> str:
    with db.session() as session:
        return accounts.create_token(session, "+".join(scopes), scopes, [DEMO_MO])


def test_api_rate_limit_answers_429_with_retry_after(client: TestClient, db: Database) -> None:
    client.app.state.services.settings.api_rate_limit = 2  # type: ignore[attr-defined]
    token = _token(db, ["webhooks"])
    codes = [
        client.get("/api/v1/webhooks/subscriptions", headers=auth(token)).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    last = client.get("/api/v1/webhooks/subscriptions", headers=auth(token))
    assert int(last.headers["Retry-After"]) > 0
    assert "Слишком много запросов" in last.json()["detail"]


def test_api_webhook_subscription_shows_secret_once(client: TestClient, db: Database) -> None:
    token = _token(db, ["webhooks"])
    created = client.post(
        "/api/v1/webhooks/subscriptions",
        json={"url": "https://mis.example/hook", "statuses": ["served"]},
        headers=auth(token),
    )
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    listed = client.get("/api/v1/webhooks/subscriptions", headers=auth(token)).json()["items"]
    assert [s["url"] for s in listed] == ["https://mis.example/hook"] and "secret" not in listed[0]
    bad = client.post(
        "/api/v1/webhooks/subscriptions", json={"url": "ftp://x"}, headers=auth(token)
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "url"
    gone = client.delete(f"/api/v1/webhooks/subscriptions/{listed[0]['id']}", headers=auth(token))
    assert gone.status_code == 204


def test_api_call_notifications_and_dead_letter_retry(
    client: TestClient, db: Database, pipeline: Pipeline, receiver: Receiver, operator_token: str
) -> None:
    client.app.state.services.settings = pipeline.settings  # type: ignore[attr-defined]
    _, receiver.secret = subscribe(db, receiver.url)
    receiver.fail_next = 3
    call_id = make_call(db)
    pipeline.run()
    card = client.get(f"/api/v1/calls/{call_id}/notifications", headers=auth(operator_token))
    items = card.json()["items"]
    states = {(i["channel"], i["state"]) for i in items}
    assert states in (
        {("sms", "sent"), ("webhook", "dead")},
        {("sms", "delivered"), ("webhook", "dead")},  # the receipt came already
    )
    sms = next(i for i in items if i["channel"] == "sms")
    assert sms["recipient"] == "+791***4567" and len(sms["parts"]) == 2
    dead = client.get("/api/v1/notifications/dead-letters", headers=auth(operator_token)).json()
    assert [d["id"] for d in dead["items"]] == [i["id"] for i in items if i["state"] == "dead"]
    retried = client.post(
        f"/api/v1/notifications/{dead['items'][0]['id']}/retry", headers=auth(operator_token)
    )
    assert retried.status_code == 200
    pipeline.drain()
    assert len(receiver.events) == 1


def test_api_fhir_resources_validate(client: TestClient, db: Database, operator_token: str) -> None:
    call_id = make_call(db, kind="urgent")
    request = client.get(f"/api/v1/fhir/ServiceRequest/{call_id}", headers=auth(operator_token))
    assert request.status_code == 200
    assert request.headers["content-type"].startswith("application/fhir+json")
    resource = ServiceRequest.model_validate(request.json())
    assert (resource.status, resource.intent, resource.priority) == ("active", "order", "urgent")
    assert cast(list[CodeableConcept], resource.reasonCode)[0].text == COMPLAINT
    task = Task.model_validate(
        client.get(f"/api/v1/fhir/Task/{call_id}", headers=auth(operator_token)).json()
    )
    assert (
        task.status == "accepted"
        and cast(list[Reference], task.basedOn)[0].reference == f"ServiceRequest/{call_id}"
    )
