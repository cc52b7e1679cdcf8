"""Health, readiness, metrics, logins, and logs that never show a phone or a policy."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from dispatcher.logs import PiiFilter, mask_text
from tests.conftest import auth


def test_service_health_ready_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "http_request_duration_seconds" in metrics.text
    assert "Диспетчер вызовов" in client.get("/").text


def test_service_operator_login_gives_scoped_token(client: TestClient, operator_token: str) -> None:
    bad = client.post("/api/v1/auth/login", json={"login": "operator1", "password": "wrong-one"})
    assert bad.status_code == 422 and "Неверный логин или пароль" in bad.text
    good = client.post(
        "/api/v1/auth/login", json={"login": "operator1", "password": "secret-pass-1"}
    )
    assert good.status_code == 200
    counters = client.get("/api/v1/calls/counters", headers=auth(good.json()["token"]))
    assert counters.status_code == 200


@pytest.mark.parametrize(
    ("text", "hidden", "kept"),
    [
        ("звонок с +79161234567 принят", "1234567", "+7916***4567"),
        ("тел 8 (916) 123-45-67", "123-45", "4567"),
        ("полис 5090289794000934 проверен", "509028979400", "0934"),
        ("номер вызова 57319", None, "57319"),
    ],
)
def test_logs_mask_phones_and_policies(text: str, hidden: str | None, kept: str) -> None:
    masked = mask_text(text)
    if hidden:
        assert hidden not in masked
    assert kept in masked


def test_logs_filter_masks_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.pii")
    handler_filter = PiiFilter()
    record = logger.makeRecord(
        "test.pii", logging.INFO, __file__, 1, "caller %s", ("+79161234567",), None
    )
    handler_filter.filter(record)
    assert "1234567" not in record.getMessage()
