"""The desk's live channel over a real Redis: MO filtering, refusals without a session or origin."""

from __future__ import annotations

import json
import random

import pytest
import redis
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from dispatcher.services.events import EVENTS_CHANNEL
from dispatcher.storage.database import Database
from tests.desk.conftest import DEMO_MO, http_login, make_user


def test_live_socket_forwards_own_mo_events_without_personal_data(
    client: TestClient, db: Database, redis_client: redis.Redis
) -> None:
    make_user(db, "live1", "dispatcher")
    http_login(client, "live1", landing="/desk")
    mine, foreign = random.randint(10**9, 2 * 10**9), random.randint(10**9, 2 * 10**9)
    with client.websocket_connect("/desk/ws") as ws:
        assert ws.receive_json() == {"type": "hello", "mo_code": DEMO_MO}
        base = {"type": "call.status_changed", "action": "cancel", "to": "cancelled"}
        foreign_event = {**base, "call_id": foreign, "mo_code": "DEMO-KRASNOGORSK"}
        own_event = {**base, "call_id": mine, "mo_code": DEMO_MO, "reason": "Иванов: дубль"}
        redis_client.publish(EVENTS_CHANNEL, json.dumps(foreign_event))
        redis_client.publish(EVENTS_CHANNEL, json.dumps(own_event))
        while True:  # the shared channel may carry other tests' demo events too
            event = ws.receive_json()
            assert event["call_id"] != foreign
            if event["call_id"] == mine:
                break
    assert event["to"] == "cancelled" and "reason" not in event


def test_live_socket_refused_without_session_or_from_another_site(
    client: TestClient, db: Database
) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as unauthenticated,
        client.websocket_connect("/desk/ws"),
    ):
        pass
    assert unauthenticated.value.code == 4401
    make_user(db, "live2", "dispatcher")
    http_login(client, "live2", landing="/desk")
    headers = {"origin": "http://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect) as foreign,
        client.websocket_connect("/desk/ws", headers=headers),
    ):
        pass
    assert foreign.value.code == 4403
