"""An SMS whose fate is unknown (the SMS center got it and never answered) is never sent
twice by «Повторить» unless a person confirms the warning, at the desk or in the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dispatcher.notify.delivery_state import DeliveryState
from dispatcher.notify.templates import INTERRUPTED
from dispatcher.services import accounts
from dispatcher.storage.database import Database
from tests.conftest import DEMO_MO, auth
from tests.desk.conftest import http_login, make_user
from tests.notify.conftest import Pipeline, make_call, wait_for
from tests.notify.smsc import Smsc

LIST = "/desk/notifications/dead"
WARNING = "SMS могло уже дойти до пациента"


def _state(pipeline: Pipeline, delivery_id: int) -> str:
    return pipeline.deliveries(id=delivery_id)[0].state


def _unanswered_sms(client: TestClient, db: Database, pipeline: Pipeline, smsc: Smsc) -> int:
    """The SMS center takes the first part and answers only after our wait ran out."""
    client.app.state.services.settings = pipeline.settings  # type: ignore[attr-defined]
    smsc.hold.clear()
    make_call(db)
    pipeline.run()
    (sms,) = pipeline.deliveries(channel="sms")
    assert sms.state == DeliveryState.DEAD.value and sms.last_error == INTERRUPTED
    assert sms.attempts == 1
    smsc.hold.set()
    assert wait_for(lambda: len(smsc.submitted) == 1)  # it had it after all
    pipeline.run()  # nothing goes again by itself
    assert len(smsc.submitted) == 1
    return sms.id


def test_api_retry_of_an_sms_that_may_have_gone_needs_confirm(
    client: TestClient, db: Database, pipeline: Pipeline, smsc: Smsc
) -> None:
    delivery_id = _unanswered_sms(client, db, pipeline, smsc)
    with db.session() as session:
        token = accounts.create_token(session, "МИС", ["calls:read", "calls:write"], [DEMO_MO])
    (letter,) = client.get("/api/v1/notifications/dead-letters", headers=auth(token)).json()[
        "items"
    ]
    assert letter["id"] == delivery_id and letter["fate_unknown"] is True

    refused = client.post(f"/api/v1/notifications/{delivery_id}/retry", headers=auth(token))
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "retry_needs_confirmation"
    assert WARNING in refused.json()["message"]
    pipeline.drain()
    assert pipeline.deliveries(id=delivery_id)[0].state == DeliveryState.DEAD.value
    assert len(smsc.submitted) == 1

    confirmed = client.post(
        f"/api/v1/notifications/{delivery_id}/retry?confirm=true", headers=auth(token)
    )
    assert confirmed.status_code == 200
    pipeline.drain()
    (sms,) = pipeline.deliveries(id=delivery_id)
    assert sms.state in (DeliveryState.SENT.value, DeliveryState.DELIVERED.value)
    assert len(smsc.submitted) == 3  # the held first part, then the whole SMS once more
    assert wait_for(lambda: _state(pipeline, delivery_id) == DeliveryState.DELIVERED.value)


def test_desk_retry_of_an_sms_that_may_have_gone_asks_to_confirm(
    client: TestClient, db: Database, pipeline: Pipeline, smsc: Smsc
) -> None:
    delivery_id = _unanswered_sms(client, db, pipeline, smsc)
    make_user(db, "unsure-dispatcher", "dispatcher")
    csrf = http_login(client, "unsure-dispatcher", landing=LIST)
    listed = client.get(LIST).text
    assert f'id="retry-{delivery_id}"' in listed and "Могло уже дойти" in listed

    asked = client.post(f"/desk/notifications/{delivery_id}/retry", data={"csrf_token": csrf})
    assert asked.status_code == 200
    assert "Повторить SMS?" in asked.text and WARNING in asked.text
    assert 'name="confirm" value="1"' in asked.text and 'id="retry-cancel"' in asked.text
    assert pipeline.deliveries(id=delivery_id)[0].state == DeliveryState.DEAD.value

    done = client.post(
        f"/desk/notifications/{delivery_id}/retry",
        data={"csrf_token": csrf, "confirm": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"{LIST}?done=retried"
    pipeline.drain()
    assert len(smsc.submitted) == 3
    assert f'data-delivery="{delivery_id}"' not in client.get(LIST).text
    assert wait_for(lambda: _state(pipeline, delivery_id) == DeliveryState.DELIVERED.value)
