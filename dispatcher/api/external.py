"""What the СМП and portal APIs share: hand an intake over, read a call's status back."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.api.schemas import IntakeBody
from dispatcher.services.accounts import Principal
from dispatcher.services.intake import Submitted, submit
from dispatcher.services.merge import merged_message
from dispatcher.services.withdrawal import withdrawn_message
from dispatcher.storage import tables
from dispatcher.storage.calls import doctor_name
from dispatcher.web.services import Services
from intake_core.intake import EMERGENCY_ADVICE, IntakeState, latest_local_date, validate
from intake_core.status import CallStatus

log = logging.getLogger(__name__)


def hand_over(services: Services, principal: Principal, key: str, body: IntakeBody) -> Submitted:
    """Check the fields now, store the intake once per key, queue it for the worker."""
    now = datetime.now(UTC)
    validate(body.to_request(), latest_local_date(now))
    submitted = submit(
        services.db, principal.client_id, ",".join(principal.mo_codes), key, body.payload(), now
    )
    if submitted.created:
        try:
            services.queue.enqueue(submitted.intake_id)
        except redis.RedisError:
            log.warning("intake %s stored, queue unavailable", submitted.intake_id)
    return submitted


def accepted_message(row: tables.CallRow, merged: bool) -> str:
    """What the caller reads about an accepted request: its new call, or the open one it joined."""
    return accepted_text(row.number, row.status, merged)


def accepted_text(number: int, call_status: str, merged: bool) -> str:
    """`accepted_message` from the call's number and status alone."""
    if merged:
        return merged_message(number)
    if call_status == CallStatus.PENDING.value:
        return f"Вызов получен: Карта вызова № {number}, его проверит оператор"
    return f"Вызов принят: Карта вызова № {number}"


def withdrawn(session: Session, intake: tables.Intake) -> bool:
    """The request was taken back from a call that stays open for another request."""
    payload = intake.payload or {}
    if intake.call_id is None or not payload.get("channel_kind"):
        return False
    attached = session.scalar(
        select(tables.CallChannel.id).where(
            tables.CallChannel.call_id == intake.call_id,
            tables.CallChannel.kind == payload["channel_kind"],
            tables.CallChannel.value == payload.get("channel_ref"),
        )
    )
    return attached is None


def call_status(session: Session, intake: tables.Intake) -> dict[str, Any]:
    """The intake's outcome and its call's status, without complaint or diagnosis text; a
    request merged into the same patient's open call says so, with that call's number."""
    state = IntakeState(intake.state)
    result: dict[str, Any] = {
        "intake_id": intake.id,
        "state": state.value,
        "call_id": intake.call_id,
        "call_number": None,
        "status": None,
        "status_label": None,
        "planned_date": None,
        "doctor": None,
        "merged": intake.merged,
        "withdrawn": False,
        "message": None,
    }
    if state is IntakeState.EMERGENCY:
        result["message"] = EMERGENCY_ADVICE
    elif state is IntakeState.REJECTED:
        result["message"] = "Вызов не принят: " + "; ".join(
            e["message"] for e in intake.errors or []
        )
    elif state is IntakeState.QUEUED:
        result["message"] = "Вызов получен и обрабатывается"
    row = session.get(tables.CallRow, intake.call_id) if intake.call_id else None
    if row is not None:
        status = CallStatus(row.status)
        doctor = session.get(tables.Doctor, row.doctor_id) if row.doctor_id else None
        result |= {
            "call_number": row.number,
            "status": status.value,
            "status_label": status.label,
            "planned_date": row.planned_date.isoformat(),
            "doctor": doctor_name(doctor) if doctor else None,
            "message": f"Карта вызова № {row.number}: {status.label}",
        }
        if withdrawn(session, intake):
            result["withdrawn"] = True
            result["message"] = withdrawn_message(row.number, status)
        elif intake.merged and status.is_open:
            result["message"] = merged_message(row.number)
    return result


def own_intake(session: Session, client_id: int, key: str) -> tables.Intake | None:
    return session.scalar(
        select(tables.Intake).where(
            tables.Intake.client_id == client_id, tables.Intake.idempotency_key == key
        )
    )
