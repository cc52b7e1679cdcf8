"""POST /api/v1/intake and its status: accept at once, formalize in the worker.

Both are async all the way (the token check, the insert, the worker's wake-up are awaited: no
thread-pool hop); an intake is stored before its 202, and above capacity it is refused at once
with 503 and Retry-After, before anything is read or written (`admission`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import redis
from fastapi import APIRouter, Depends, FastAPI, Header, Request, status
from fastapi.responses import JSONResponse

from dispatcher.api.errors import IDEMPOTENCY_HINT, IDEMPOTENCY_KEY
from dispatcher.api.external import accepted_text
from dispatcher.api.responses import responses
from dispatcher.api.schemas import NON_BLANK, IntakeAccepted, IntakeBody
from dispatcher.metrics import INTAKES_RECEIVED
from dispatcher.services.accounts import Principal
from dispatcher.services.intake_store import IntakeView
from dispatcher.web.admission import Admission, AdmissionMiddleware
from dispatcher.web.deps import BearerToken, ServicesDep, known, permitted
from intake_core.errors import FieldError, NotFound, ValidationFailed
from intake_core.intake import EMERGENCY_ADVICE, IntakeState, latest_local_date, validate

log = logging.getLogger(__name__)
router = APIRouter(
    prefix="/api/v1/intake",
    tags=["intake"],
    responses=responses(
        401,
        403,
        422,
        503,
        c503="Сервис перегружен (вызов не принят, повторите через Retry-After секунд), "
        "или база данных либо Redis недоступны",
    ),
)


async def intake_client(services: ServicesDep, token: BearerToken) -> Principal:
    """The bearer token's client, with the `intake` scope (the rules of `deps.get_principal`,
    read on the async connection pool)."""
    return permitted(known(await services.intakes.principal(token)), "intake")


IntakeClient = Annotated[Principal, Depends(intake_client)]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IntakeAccepted,
    responses=responses(400, 409, c409="Этот Idempotency-Key уже использован для другого вызова"),
)
async def create_intake(
    body: IntakeBody,
    request: Request,
    services: ServicesDep,
    principal: IntakeClient,
    idempotency_key: Annotated[
        str, Header(alias="Idempotency-Key", max_length=200, json_schema_extra=NON_BLANK)
    ],
) -> JSONResponse:
    """Accept a raw call: 202 with the intake id once it is stored, or 422 with a message per
    bad field; 503 with Retry-After when the service is over capacity (nothing is stored)."""
    if not idempotency_key.strip():
        raise ValidationFailed([FieldError(IDEMPOTENCY_KEY, IDEMPOTENCY_HINT, "required")])
    now = datetime.now(UTC)
    validate(body.to_request(), latest_local_date(now))
    submitted = await services.intakes.submit(
        principal.client_id,
        ",".join(principal.mo_codes),
        idempotency_key.strip(),
        body.payload(),
        now,
    )
    if submitted.created:
        INTAKES_RECEIVED.labels(body.source).inc()
        try:
            await services.nudge()
        except redis.RedisError:
            # stored as queued: the stale sweep wakes a worker when Redis is back
            log.warning("intake %s stored, queue unavailable", submitted.intake_id)
    # the status route's address, spelled out: `url_for` searches every route of the app
    status_url = f"{str(request.base_url).rstrip('/')}{router.prefix}/{submitted.intake_id}"
    return JSONResponse(
        {"intake_id": submitted.intake_id, "status_url": status_url, "state": "queued"},
        status_code=status.HTTP_202_ACCEPTED,
    )


@router.get("/{intake_id}", name="intake_status", responses=responses(404))
async def intake_status(
    intake_id: str, services: ServicesDep, principal: IntakeClient
) -> dict[str, Any]:
    """queued / accepted (call id and number; `merged` when the same patient's open call took the
    request in) / rejected (reasons) / emergency (103/112)."""
    intake = await services.intakes.view(intake_id)
    if intake is None or intake.client_id != principal.client_id:
        raise NotFound("Заявка не найдена")
    return _status(intake)


def _status(intake: IntakeView) -> dict[str, Any]:
    state = intake.state
    result: dict[str, Any] = {
        "intake_id": intake.id,
        "state": state.value,
        "call_id": intake.call_id,
        "call_number": intake.call_number,
        "merged": intake.merged,
        "errors": intake.errors,
        "received_at": intake.received_at.isoformat(),
        "processed_at": intake.processed_at.isoformat() if intake.processed_at else None,
    }
    if state is IntakeState.ACCEPTED and intake.call_number is not None:
        result["message"] = accepted_text(
            intake.call_number, intake.call_status or "", intake.merged
        )
    elif state is IntakeState.EMERGENCY:
        result["message"] = EMERGENCY_ADVICE
        result["red_flags"] = intake.red_flags
    elif state is IntakeState.REJECTED:
        result["message"] = "Вызов не принят: " + "; ".join(e["message"] for e in intake.errors)
    return result


def shed_overload(app: FastAPI, admission: Admission) -> None:
    """The admission check in front of the intake POST (outermost: call it last)."""
    app.add_middleware(AdmissionMiddleware, admission=admission, path=router.prefix)
