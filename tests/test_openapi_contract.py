"""The OpenAPI tells the truth: schemathesis drives every API operation in-process with real
tokens — no server error, no status code, header or content type the schema does not declare,
every schema-valid request accepted and every schema-invalid one refused.

A few values are checked by rules a JSON Schema cannot state (the operation descriptions say
so, a breach is a declared 422): a phone number's numbering plan, a birth date against today,
a policy's check digit, a webhook address's destination, an operator's password. Schema-valid
requests are generated with real values there (`_real_values`); everything else is free."""

from __future__ import annotations

import re
from typing import Any

import pytest
import redis
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.schemas import BaseSchema

from dispatcher.api.responses import MAX_ID
from dispatcher.app import create_app
from dispatcher.services import accounts
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade
from tests.conftest import DEMO_MO


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """Every operation of the published OpenAPI (read from an app that never connects), with
    schema-valid data, and with schema-invalid data where it takes any input at all."""
    offline = Settings(database_url="sqlite://", redis_url="redis://127.0.0.1:1/0")
    app = create_app(offline, Database("sqlite://"), redis.Redis(port=1), run_relay=False)
    cases = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            if {"parameters", "requestBody", "security"} & operation.keys():
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return sorted(cases)


CASES = _cases()
OPERATIONS = sorted({(method, path) for method, path, _ in CASES})
EXAMPLES = 15  # per operation and mode: the file runs in about two minutes on 2 cores


@pytest.fixture
def migrated_url(sqlite_url: str) -> str:
    """SQLite only: the contract is the app's, the PostgreSQL paths have their own API tests."""
    upgrade(sqlite_url)
    return sqlite_url


@pytest.fixture
def tokens(db: Database, operator_token: str) -> dict[str, str]:
    """Real tokens: the operator's session and one client per API with just its scope."""
    scopes = ("intake", "portal", "smp", "phone-calls", "sms_reports", "webhooks", "admin")
    with db.session() as session:
        made = {
            scope: accounts.create_token(session, f"contract-{scope}", [scope], [DEMO_MO])
            for scope in scopes
        }
    return made | {"operator": operator_token}


@pytest.fixture
def api_schema(settings: Settings, db: Database, redis_client: redis.Redis) -> BaseSchema:
    roomy = settings.model_copy(update={"api_rate_limit": 1_000_000})
    app = create_app(roomy, db, redis_client, run_relay=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # unknown query parameters are ignored on purpose (a tolerant reader), not refused
    schema.config.generation.update(allow_extra_parameters=False)
    return schema


_TOKEN_BY_PREFIX = (
    ("/api/v1/notifications/quiet-hours", "admin"),
    ("/api/v1/intake", "intake"),
    ("/api/v1/portal", "portal"),
    ("/api/v1/smp", "smp"),
    ("/api/v1/phone-calls", "phone-calls"),
    ("/api/v1/sms", "sms_reports"),
    ("/api/v1/webhooks", "webhooks"),
)


def _token_for(path: str, tokens: dict[str, str]) -> str:
    for prefix, name in _TOKEN_BY_PREFIX:
        if path.startswith(prefix):
            return tokens[name]
    return tokens["operator"]


PHONE = "8 (916) 123-45-67"  # synthetic
_PHONE_FIELDS = {
    "/api/v1/intake": ("phone",),
    "/api/v1/portal/calls": ("phone",),
    "/api/v1/smp/calls": ("phone",),
    "/api/v1/notifications/preferences": ("phone",),
}


def _real_values(case: Case[Any]) -> Case[Any]:
    """Schema-valid data with real values where the rules are beyond the schema."""
    body = case.body
    if isinstance(body, dict):
        for field in _PHONE_FIELDS.get(case.path, ()):
            if body.get(field) is not None:
                body[field] = PHONE
        patient = body.get("patient")
        if isinstance(patient, dict):
            if patient.get("birth_date") is not None:
                patient["birth_date"] = "02.03.2015"
            for field in ("policy_series", "policy_number", "policy"):
                patient.pop(field, None)
        caller = body.get("caller")
        if isinstance(caller, dict) and caller.get("phone") is not None:
            caller["phone"] = PHONE
        if case.path == "/api/v1/webhooks/subscriptions":
            body["url"] = "https://93.184.216.34/hook"  # a public address, no DNS
        if case.path == "/api/v1/auth/login":
            body |= {"login": "operator1", "password": "secret-pass-1"}  # conftest's operator
    if case.path == "/api/v1/phone-calls" and case.query and case.query.get("caller"):
        case.query["caller"] = PHONE
    return case


@pytest.mark.parametrize(
    ("method", "path", "mode"), CASES, ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES]
)
def test_operation_keeps_its_contract(
    api_schema: BaseSchema, tokens: dict[str, str], method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {_token_for(path, tokens)}"}

    cases = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE:
        cases = cases.map(_real_values)

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case[Any]) -> None:
        case.call_and_validate(headers=headers)

    run()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_keeps_its_contract_at_the_boundaries(
    api_schema: BaseSchema, tokens: dict[str, str], method: str, path: str
) -> None:
    """Schemathesis's coverage phase: each constraint's edges (the widest integers, empty and
    longest strings, missing and null fields, a method the path does not declare)."""
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {_token_for(path, tokens)}"}

    def check(case: Case[Any]) -> None:
        if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
            _real_values(case)
        case.call_and_validate(headers=headers)

    config = HypothesisTestConfig(
        project=api_schema.config,
        modes=[HypothesisTestMode.COVERAGE],
        settings=settings(max_examples=1, derandomize=True, database=None, deadline=None),
    )
    create_test(operation=operation, test_func=check, config=config)()


def test_a_method_the_schema_does_not_declare_gets_405_with_the_declared_allow(
    client: TestClient,
) -> None:
    """`Allow` lists every method the OpenAPI declares at the path, not only the first
    route's (GET and POST of the webhook subscriptions are two routes)."""
    paths = client.get("/openapi.json").json()["paths"]
    checked = 0
    for template, operations in paths.items():
        path = re.sub(r"\{[^/]+\}", "1", template)
        declared = {method.upper() for method in operations}
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - declared):
            response = client.request(method, path)
            assert response.status_code == 405, (method, template)
            allowed = {m.strip() for m in response.headers["Allow"].split(",")}
            assert allowed - {"HEAD"} == declared, (method, template, allowed)
            checked += 1
    assert checked > len(paths)


def _integer_parameters(paths: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for template, operations in paths.items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                variants = [schema, *schema.get("anyOf", [])]
                if any(v.get("type") == "integer" for v in variants):
                    found.append((method.upper(), template, parameter))
    return found


def test_every_integer_parameter_is_bounded_and_past_the_bound_is_a_422(
    client: TestClient, tokens: dict[str, str]
) -> None:
    """An id past what the database stores was a 500 (SQLite: «Python int too large»)."""
    paths = client.get("/openapi.json").json()["paths"]
    parameters = _integer_parameters(paths)
    assert len(parameters) >= 10
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    too_big = str(MAX_ID + 1)
    for method, template, parameter in parameters:
        schema = parameter["schema"]
        bounds = [v.get("maximum") for v in [schema, *schema.get("anyOf", [])]]
        assert any(b is not None and b <= MAX_ID for b in bounds), (method, template, parameter)
        name = parameter["name"]
        path = re.sub(r"\{[^/]+\}", "1", template.replace("{" + name + "}", too_big))
        query = {name: too_big} if parameter["in"] == "query" else {}
        response = client.request(method, path, params=query, headers=headers, json={})
        assert response.status_code == 422, (method, template, name, response.text)
