"""POST /api/v1/intake and its status: accept at once, formalize in the worker."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import redis
from fastapi import APIRouter, Header, Request, status
from fastapi.responses import JSONResponse

from dispatcher.api.deps import IntakeScope, ServicesDep
from dispatcher.api.errors import IDEMPOTENCY_HINT, IDEMPOTENCY_KEY
from dispatcher.api.external import accepted_message
from dispatcher.api.responses import responses
from dispatcher.api.schemas import NON_BLANK, IntakeAccepted, IntakeBody
from dispatcher.metrics import INTAKES_RECEIVED
from dispatcher.services.intake import submit
from dispatcher.storage import tables
from intake_core.errors import FieldError, NotFound, ValidationFailed
from intake_core.intake import EMERGENCY_ADVICE, IntakeState, validate

log = logging.getLogger(__name__)
router = APIRouter(
    prefix="/api/v1/intake", tags=["intake"], responses=responses(401, 403, 422, 503)
)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IntakeAccepted,
    responses=responses(400, 409, c409="Этот Idempotency-Key уже использован для другого вызова"),
)
def create_intake(
    body: IntakeBody,
    request: Request,
    services: ServicesDep,
    principal: IntakeScope,
    idempotency_key: Annotated[
        str, Header(alias="Idempotency-Key", max_length=200, json_schema_extra=NON_BLANK)
    ],
) -> JSONResponse:
    """Accept a raw call: 202 with the intake id at once, or 422 with a message per bad field."""
    if not idempotency_key.strip():
        raise ValidationFailed([FieldError(IDEMPOTENCY_KEY, IDEMPOTENCY_HINT, "required")])
    now = datetime.now(UTC)
    validate(body.to_request(), now.date())
    submitted = submit(
        services.db,
        principal.client_id,
        ",".join(principal.mo_codes),
        idempotency_key.strip(),
        body.payload(),
        now,
    )
    if submitted.created:
        INTAKES_RECEIVED.labels(body.source).inc()
        try:
            services.queue.enqueue(submitted.intake_id)
        except redis.RedisError:
            # stored as queued: the relay loop re-enqueues it when Redis is back
            log.warning("intake %s stored, queue unavailable", submitted.intake_id)
    status_url = str(request.url_for("intake_status", intake_id=submitted.intake_id))
    return JSONResponse(
        {"intake_id": submitted.intake_id, "status_url": status_url, "state": "queued"},
        status_code=status.HTTP_202_ACCEPTED,
    )


@router.get("/{intake_id}", name="intake_status", responses=responses(404))
def intake_status(intake_id: str, services: ServicesDep, principal: IntakeScope) -> dict[str, Any]:
    """queued / accepted (call id and number; `merged` when the same patient's open call took the
    request in) / rejected (reasons) / emergency (103/112)."""
    with services.db.session() as session:
        intake = session.get(tables.Intake, intake_id)
        if intake is None or intake.client_id != principal.client_id:
            raise NotFound("Заявка не найдена")
        call = session.get(tables.CallRow, intake.call_id) if intake.call_id else None
        number = call.number if call is not None else None
        state = IntakeState(intake.state)
        result: dict[str, Any] = {
            "intake_id": intake.id,
            "state": state.value,
            "call_id": intake.call_id,
            "call_number": number,
            "merged": intake.merged,
            "errors": intake.errors or [],
            "received_at": intake.received_at.isoformat(),
            "processed_at": intake.processed_at.isoformat() if intake.processed_at else None,
        }
        if state is IntakeState.ACCEPTED and call is not None:
            result["message"] = accepted_message(call, intake.merged)
        elif state is IntakeState.EMERGENCY:
            result["message"] = EMERGENCY_ADVICE
            result["red_flags"] = intake.red_flags
        elif state is IntakeState.REJECTED:
            result["message"] = "Вызов не принят: " + "; ".join(
                e["message"] for e in intake.errors or []
            )
        return result
