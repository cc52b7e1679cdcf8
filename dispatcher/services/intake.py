"""Intake acceptance: a raw call stored at once (idempotently); a worker formalizes it
(`intake_processor`), `call_store` keeps the formalized call."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from dispatcher.storage.database import Database
from intake_core.errors import Conflict, DomainError
from intake_core.intake import (
    CallerInput,
    IntakeRequest,
    IntakeState,
    PatientInput,
)

log = logging.getLogger(__name__)


def request_from_payload(payload: dict[str, Any]) -> IntakeRequest:
    """The stored JSON body (already shape-checked by the API) as the core's request."""
    patient = payload.get("patient") or {}
    caller = payload.get("caller") or {}
    return IntakeRequest(
        source=payload.get("source", ""),
        kind=payload.get("kind"),
        mo_code=payload.get("mo_code"),
        patient=PatientInput(**{k: patient.get(k) for k in PatientInput.__dataclass_fields__}),
        phone=payload.get("phone"),
        address=payload.get("address", ""),
        entrance=payload.get("entrance"),
        floor=payload.get("floor"),
        intercom=payload.get("intercom"),
        private_sector=payload.get("private_sector"),
        complaints=payload.get("complaints", ""),
        caller=CallerInput(**{k: caller.get(k) for k in CallerInput.__dataclass_fields__}),
        notes=payload.get("notes"),
        channel_kind=payload.get("channel_kind"),
        channel_ref=payload.get("channel_ref"),
    )


def body_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Submitted:
    intake_id: str
    created: bool


def intake_row(
    client_id: int,
    idempotency_key: str,
    payload: dict[str, Any],
    now: datetime,
    mo_codes: str,
) -> dict[str, Any]:
    """A new intake as stored: queued, with the hash that tells a repeat from a reuse of its key."""
    return {
        "id": str(uuid.uuid4()),
        "client_id": client_id,
        "idempotency_key": idempotency_key,
        "body_hash": body_hash(payload),
        "payload": payload,
        "mo_codes": mo_codes,
        "state": IntakeState.QUEUED.value,
        "merged": False,
        "errors": [],
        "red_flags": [],
        "attempts": 0,
        "received_at": now,
    }


def prior_submission(found: Any, digest: str) -> Submitted:
    """The answer to a key already used: the same intake for the same body, else a conflict.
    `found` is the stored (id, body_hash), None when the conflicting row vanished meanwhile."""
    if found is None:  # nothing deletes intakes
        raise DomainError("Заявка не сохранена, повторите запрос")
    if found[1] != digest:
        raise Conflict(
            "Этот ключ идемпотентности уже использован для другого вызова; "
            "для нового вызова передайте новый Idempotency-Key"
        )
    return Submitted(found[0], created=False)


def submit(
    db: Database,
    client_id: int,
    mo_codes: str,
    idempotency_key: str,
    payload: dict[str, Any],
    now: datetime,
) -> Submitted:
    """Store the raw intake once per (client, key); another body under the same key conflicts."""
    row = intake_row(client_id, idempotency_key, payload, now, mo_codes)
    with db.session() as session:
        # one round trip when the key is new; a repeat (or a concurrent twin) inserts nothing
        insert = _insert_for(session)(tables.Intake).values(row)
        inserted = session.scalar(
            insert.on_conflict_do_nothing(
                index_elements=["client_id", "idempotency_key"]
            ).returning(tables.Intake.id)
        )
        if inserted is not None:
            return Submitted(row["id"], created=True)
        found = session.execute(
            select(tables.Intake.id, tables.Intake.body_hash).where(
                tables.Intake.client_id == client_id,
                tables.Intake.idempotency_key == idempotency_key,
            )
        ).first()
    return prior_submission(found, row["body_hash"])


def _insert_for(session: Session) -> Callable[..., Any]:
    """INSERT … ON CONFLICT for the session's backend (PostgreSQL or SQLite)."""
    assert session.bind is not None
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
