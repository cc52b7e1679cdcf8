"""The HTTP SMS gateway against a local provider: sends, retries, and its delivery reports
posted back over HTTP move each message's state (as SMPP receipts do)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dispatcher.notify.dead_letters import dead_letters
from dispatcher.notify.delivery_state import DeliveryState
from dispatcher.notify.delivery_views import for_call
from dispatcher.notify.sms import HttpSmsGateway, build_gateway
from dispatcher.services import accounts
from dispatcher.storage.database import Database
from tests.conftest import DEMO_MO, auth
from tests.notify.conftest import PHONE, Pipeline, make_call, wait_for
from tests.notify.sms_provider import SmsProvider


def _token(db: Database, scopes: list[str]) -> str:
    with db.session() as session:
        return accounts.create_token(session, "SMS-провайдер", scopes, [DEMO_MO])


@pytest.fixture
def provider(pipeline: Pipeline, db: Database, live_api: str) -> Iterator[SmsProvider]:
    """The provider, the pipeline sending through it, its reports going to the live API."""
    peer = SmsProvider(
        report_url=f"{live_api}/api/v1/sms/reports", report_token=_token(db, ["sms_reports"])
    )
    settings = pipeline.settings.model_copy(
        update={"sms_gateway": "http", "sms_http_url": peer.url, "sms_http_token": peer.token}
    )
    gateway = build_gateway(settings, pipeline.context.deliveries.receipt)
    assert isinstance(gateway, HttpSmsGateway)
    pipeline.context.sms = gateway
    yield peer
    gateway.close()
    peer.close()


def _state(pipeline: Pipeline, delivery_id: int) -> str:
    return pipeline.deliveries(id=delivery_id)[0].state


def test_sms_http_delivery_report_marks_the_message_delivered(
    pipeline: Pipeline, db: Database, provider: SmsProvider
) -> None:
    call_id = make_call(db)
    pipeline.run()
    (message,) = provider.messages
    (delivery,) = pipeline.deliveries(channel="sms")
    # the whole Cyrillic text in one request: the provider segments it itself
    assert (message["to"], message["text"], message["reference"]) == (
        PHONE,
        delivery.body,
        str(delivery.id),
    )
    assert wait_for(lambda: _state(pipeline, delivery.id) == DeliveryState.DELIVERED.value, 30)
    with db.session() as session:
        (view,) = [v for v in for_call(session, call_id) if v.channel == "sms"]
    assert view.parts == [{"message_id": message["id"], "state": "DELIVRD"}]
    assert view.delivered_at is not None and view.state_label == "Доставлено"
    # the provider notes our answer after it arrives, which may be after the state moved
    assert wait_for(lambda: provider.reports[-1:] == [(message["id"], 200)], 30)


def test_sms_http_undelivered_report_puts_the_message_in_dead_letters(
    pipeline: Pipeline, db: Database, provider: SmsProvider
) -> None:
    provider.report_status = "undelivered"
    make_call(db)
    pipeline.run()
    (delivery,) = pipeline.deliveries(channel="sms")
    assert wait_for(lambda: _state(pipeline, delivery.id) == DeliveryState.UNDELIVERED.value, 30)
    with db.session() as session:
        (letter,) = dead_letters(session, None)
    assert (letter.id, letter.last_error) == (delivery.id, "Оператор: UNDELIV")


def test_sms_http_retries_after_5xx_then_sends_once(
    pipeline: Pipeline, db: Database, provider: SmsProvider
) -> None:
    provider.fail_next = 2
    make_call(db)
    pipeline.run()
    (delivery,) = pipeline.deliveries(channel="sms")
    assert provider.requests == 3 and len(provider.messages) == 1
    assert delivery.attempts == 3 and delivery.state in ("sent", "delivered")


def test_sms_http_rejected_message_dead_letters_at_once(
    pipeline: Pipeline, db: Database, provider: SmsProvider
) -> None:
    provider.fail_next, provider.fail_status = 1, 400
    make_call(db)
    pipeline.run()
    (delivery,) = pipeline.deliveries(channel="sms")
    assert provider.requests == 1 and provider.messages == []
    assert (delivery.state, delivery.attempts) == ("dead", 1)
    assert delivery.last_error == "SMS-шлюз отклонил сообщение: 400"


def test_sms_http_report_needs_its_scope_a_known_id_and_a_known_status(
    client: TestClient, db: Database
) -> None:
    report = {"id": "HTTP999999", "status": "delivered"}
    denied = client.post("/api/v1/sms/reports", json=report, headers=auth(_token(db, ["portal"])))
    assert denied.status_code == 403
    token = _token(db, ["sms_reports"])
    unknown = client.post("/api/v1/sms/reports", json=report, headers=auth(token))
    assert unknown.status_code == 404 and "повторите отчёт позже" in unknown.json()["message"]
    bad = client.post("/api/v1/sms/reports", json=report | {"status": "read"}, headers=auth(token))
    assert bad.status_code == 422


def test_sms_http_taken_without_an_answer_is_not_sent_again_by_itself(
    pipeline: Pipeline, db: Database, provider: SmsProvider
) -> None:
    """The provider took the message and hung up: it may be on its way, so no automatic retry;
    the dead letter warns before «Повторить»."""
    provider.drop_next = 1
    make_call(db)
    pipeline.run()
    assert len(provider.messages) == 1
    (delivery,) = pipeline.deliveries(channel="sms")
    assert delivery.state == DeliveryState.DEAD.value and delivery.attempts == 1
    with db.session() as session:
        (letter,) = dead_letters(session, None)
    assert letter.id == delivery.id and letter.fate_unknown
