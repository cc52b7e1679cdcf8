"""Operators move calls through their life; illegal moves are refused; overdue calls are counted."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, event, select

from dispatcher.services.intake import submit
from dispatcher.services.intake_processor import IntakeProcessor
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from tests.conftest import auth
from tests.test_intake_flow import SAMPLE

MOVES: dict[str, tuple[str, dict[str, Any]]] = {
    "accept": ("accept", {}),
    "assign": ("assign", {"doctor_id": 0}),
    "unassign": ("unassign", {"reason": "Врач заболел"}),
    "serve": ("serve", {"result": "left_at_home", "diagnoses": ["J06.9"], "note": "ОРВИ"}),
    "cancel": ("cancel", {"reason": "Пациент отказался"}),
    "transfer": ("transfer", {"to_mo": "DEMO-KRASNOGORSK", "reason": "Проживает в Красногорске"}),
}
# from each status, the moves the lifecycle allows
ALLOWED = {
    "pending": {"accept", "assign", "cancel", "transfer"},
    "new": {"assign", "cancel", "transfer"},
    "active": {"assign", "unassign", "serve", "cancel", "transfer"},
    "served": set(),
    "cancelled": set(),
    "transferred": set(),
}
# how to bring a fresh call (created «new», or «pending» with an unknown street) to a status
PATHS = {
    "pending": [],
    "new": [],
    "active": ["assign"],
    "served": ["assign", "serve"],
    "cancelled": ["cancel"],
    "transferred": ["transfer"],
}


def make_call(
    db: Database, processor: IntakeProcessor, pending: bool, now: datetime | None = None
) -> int:
    body = copy.deepcopy(SAMPLE)
    if pending:
        body["address"] = "Химки, ул. Неизвестная, д. 1"
    with db.session() as session:
        client_id = session.scalar(select(tables.ApiClient.id).limit(1))
    assert client_id is not None
    created = submit(
        db,
        client_id,
        "DEMO-KHIMKI",
        f"k-{uuid.uuid4().hex}",
        body,
        now or datetime.now(UTC),
    )
    processor.process(created.intake_id, now)
    with db.session() as session:
        intake = session.get(tables.Intake, created.intake_id)
        assert intake is not None and intake.call_id is not None
        return intake.call_id


def doctor_id(db: Database, code: str = "D004") -> int:
    with db.session() as session:
        found = session.scalar(select(tables.Doctor.id).where(tables.Doctor.code == code))
    assert found is not None
    return found


def planned_date(db: Database, call_id: int) -> date:
    with db.session() as session:
        planned = session.scalar(
            select(tables.CallRow.planned_date).where(tables.CallRow.id == call_id)
        )
    assert planned is not None
    return planned


def act(client: TestClient, token: str, call_id: int, move: str, db: Database) -> Any:
    path, body = MOVES[move]
    if move == "assign":  # for the day the intake planned, whatever the clock says
        body = {"doctor_id": doctor_id(db), "planned_date": planned_date(db, call_id).isoformat()}
    return client.post(f"/api/v1/calls/{call_id}/{path}", json=body, headers=auth(token))


@pytest.mark.parametrize("status", list(ALLOWED))
@pytest.mark.parametrize("move", list(MOVES))
def test_lifecycle_move_allowed_or_refused(
    client: TestClient,
    db: Database,
    processor: IntakeProcessor,
    intake_token: str,
    operator_token: str,
    status: str,
    move: str,
) -> None:
    call_id = make_call(db, processor, pending=status == "pending")
    for step in PATHS[status]:
        assert act(client, operator_token, call_id, step, db).status_code == 200
    response = act(client, operator_token, call_id, move, db)
    if move in ALLOWED[status]:
        assert response.status_code == 200, response.json()
        call = response.json()
        assert call["history"][-1]["from"] == status
        assert call["history"][-1]["actor"] == "operator1"
    else:
        assert response.status_code == 409, response.json()
        assert response.json()["message"].startswith("Нельзя")


def test_lifecycle_full_story_is_kept_in_history(
    client: TestClient,
    db: Database,
    processor: IntakeProcessor,
    intake_token: str,
    operator_token: str,
) -> None:
    call_id = make_call(db, processor, pending=False)
    assert act(client, operator_token, call_id, "assign", db).status_code == 200
    served = act(client, operator_token, call_id, "serve", db).json()
    assert served["status"] == "served"
    assert served["service"]["diagnoses"] == ["J06.9"]
    assert served["assignment"]["doctor_name"] == "Примерова Г. О."
    steps = [(h["from"], h["to"]) for h in served["history"]]
    assert steps == [(None, "new"), ("new", "active"), ("active", "served")]
    assert all(h["at"] and h["actor"] for h in served["history"])


def test_lifecycle_transfer_appears_as_new_in_other_mo(
    client: TestClient,
    db: Database,
    processor: IntakeProcessor,
    operator_token: str,
    intake_token: str,
) -> None:
    call_id = make_call(db, processor, pending=False)
    moved = act(client, operator_token, call_id, "transfer", db).json()
    assert moved["status"] == "transferred" and moved["transferred_to"] == "DEMO-KRASNOGORSK"
    with db.session() as session:
        copy_row = session.scalar(
            select(tables.CallRow).where(tables.CallRow.origin_call_id == call_id)
        )
        assert (
            copy_row is not None and copy_row.status == "new" and copy_row.number != moved["number"]
        )
    # the transferring MO's operator cannot see the other MO's new call
    hidden = client.get(f"/api/v1/calls/{copy_row.id}", headers=auth(operator_token))
    assert hidden.status_code == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"result": "left_at_home", "diagnoses": ["ОРВИ"]}, "МКБ-10"),
        ({"result": "взял и ушёл", "diagnoses": []}, "Недопустимое значение"),
    ],
)
def test_lifecycle_serve_checks_result_and_icd10(
    client: TestClient,
    db: Database,
    processor: IntakeProcessor,
    intake_token: str,
    operator_token: str,
    body: dict[str, Any],
    fragment: str,
) -> None:
    call_id = make_call(db, processor, pending=False)
    act(client, operator_token, call_id, "assign", db)
    response = client.post(
        f"/api/v1/calls/{call_id}/serve", json=body, headers=auth(operator_token)
    )
    assert response.status_code == 422
    assert fragment in str(response.json()["errors"])


def test_lifecycle_cancel_needs_a_reason(
    client: TestClient,
    db: Database,
    processor: IntakeProcessor,
    intake_token: str,
    operator_token: str,
) -> None:
    call_id = make_call(db, processor, pending=False)
    response = client.post(
        f"/api/v1/calls/{call_id}/cancel", json={"reason": "  "}, headers=auth(operator_token)
    )
    assert response.status_code == 422 and "причину" in response.json()["errors"][0]["message"]


def test_lifecycle_needs_write_scope(
    client: TestClient, db: Database, processor: IntakeProcessor, intake_token: str
) -> None:
    call_id = make_call(db, processor, pending=False)
    response = client.post(
        f"/api/v1/calls/{call_id}/cancel", json={"reason": "x"}, headers=auth(intake_token)
    )
    assert response.status_code == 403


def test_overdue_calls_are_listed_and_counted(
    client: TestClient,
    db: Database,
    processor: IntakeProcessor,
    intake_token: str,
    operator_token: str,
) -> None:
    # the API counts «overdue» against the real clock, so the moments are relative to it
    old = datetime.now(UTC) - timedelta(minutes=45)
    late_new = make_call(db, processor, pending=False, now=old)
    with db.session() as session:  # a different patient so it is not merged
        session.execute(
            cast(Table, tables.CallRow.__table__)
            .update()
            .where(tables.CallRow.id == late_new)
            .values(last_name="Другая", policy_number=None, phone="+79990000000", address_key=None)
        )
    fresh = make_call(db, processor, pending=False)
    act(client, operator_token, fresh, "assign", db)
    with db.session() as session:
        session.execute(
            cast(Table, tables.CallRow.__table__)
            .update()
            .where(tables.CallRow.id == fresh)
            .values(assigned_at=datetime.now(UTC) - timedelta(hours=25))
        )
    counters = client.get("/api/v1/calls/counters", headers=auth(operator_token)).json()
    assert counters["overdue"] == 2
    assert counters["labels"]["overdue"] == "Просроченные"
    listed = client.get("/api/v1/calls/overdue", headers=auth(operator_token)).json()
    assert {c["id"] for c in listed["items"]} == {late_new, fresh}
    assert all(c["overdue"] for c in listed["items"])


def _distinct_call(db: Database, processor: IntakeProcessor, n: int) -> int:
    call_id = make_call(db, processor, pending=False)
    with db.session() as session:  # another patient, so the next call is not merged into it
        session.execute(
            cast(Table, tables.CallRow.__table__)
            .update()
            .where(tables.CallRow.id == call_id)
            .values(last_name=f"Другая{n}", policy_number=None, phone=f"+7999000{n:04d}")
        )
    return call_id


def test_call_list_reads_a_fixed_number_of_queries_and_matches_each_card(
    client: TestClient,
    db: Database,
    processor: IntakeProcessor,
    intake_token: str,
    operator_token: str,
) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    def listed() -> list[dict[str, Any]]:
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.get("/api/v1/calls", headers=auth(operator_token))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    first = _distinct_call(db, processor, 1)
    act(client, operator_token, first, "assign", db)
    assert [c["id"] for c in listed()] == [first]
    with_one = len(statements)
    others = [_distinct_call(db, processor, n) for n in range(2, 8)]
    act(client, operator_token, others[0], "transfer", db)
    items = listed()
    assert len(statements) == with_one
    assert [c["id"] for c in items] == sorted([first, *others], reverse=True)
    for item in items:
        card = client.get(f"/api/v1/calls/{item['id']}", headers=auth(operator_token)).json()
        assert item["history"] == card["history"] and item.get("doctor") == card.get("doctor")
        assert item["status"] == card["status"]
