"""Calls: read with full history, list and count (overdue too), move through the lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatcher.api.responses import RowId, responses
from dispatcher.api.schemas import AssignBody, ReasonBody, ServeBody, TransferBody, call_json
from dispatcher.services.access import visible_call
from dispatcher.services.accounts import Principal
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.storage import tables
from dispatcher.storage.calls import overdue_filter, to_domain_many
from dispatcher.storage.references import MoContext
from dispatcher.web.deps import ReadScope, ServicesDep, WriteScope, actor_for
from dispatcher.web.services import Services
from intake_core.status import CallStatus

router = APIRouter(prefix="/api/v1/calls", tags=["calls"], responses=responses(401, 403, 422, 503))
# a move of a call: it may be missing, the body may not parse, the status may forbid it
ACTION = responses(
    400, 404, 409, c409="Переход недопустим из текущего статуса вызова (или вызов изменён)"
)


def _visible_mos(session: Session, services: Services, actor: Actor) -> list[MoContext]:
    query = select(tables.MedicalOrganization.code)
    if actor.mo_ids is not None:
        query = query.where(tables.MedicalOrganization.id.in_(actor.mo_ids))
    contexts = [services.directory.by_code(session, code) for code in session.scalars(query)]
    return [c for c in contexts if c is not None]


def _read(services: Services, actor: Actor, call_id: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    with services.db.session() as session:
        call = visible_call(session, actor.mo_ids, call_id)
        mo = services.directory.by_code(session, call.mo_code)
        assert mo is not None
        return call_json(call, mo.deadlines, now)


@router.get("/counters")
def counters(services: ServicesDep, principal: ReadScope) -> dict[str, Any]:
    """Counters by status, as on the desk, plus «Просроченные»."""
    actor = actor_for(services, principal)
    now = datetime.now(UTC)
    result: dict[str, Any] = {s.value: 0 for s in CallStatus}
    overdue = 0
    with services.db.session() as session:
        for mo in _visible_mos(session, services, actor):
            rows = session.execute(
                select(tables.CallRow.status, func.count())
                .where(tables.CallRow.mo_id == mo.id)
                .group_by(tables.CallRow.status)
            ).all()
            for status, count in rows:
                result[status] += count
            overdue += (
                session.scalar(
                    select(func.count())
                    .select_from(tables.CallRow)
                    .where(
                        tables.CallRow.mo_id == mo.id,
                        overdue_filter(now, mo.deadlines.assign, mo.deadlines.serve),  # type: ignore[arg-type]
                    )
                )
                or 0
            )
    return {
        "counts": result,
        "overdue": overdue,
        "labels": {s.value: s.label for s in CallStatus} | {"overdue": "Просроченные"},
    }


@router.get("")
def list_calls(
    services: ServicesDep,
    principal: ReadScope,
    status: CallStatus | None = None,
    overdue: bool = False,
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """Calls of the principal's MOs, newest first; `overdue=true` lists only overdue ones."""
    actor = actor_for(services, principal)
    now = datetime.now(UTC)
    items: list[dict[str, Any]] = []
    with services.db.session() as session:
        for mo in _visible_mos(session, services, actor):
            query = select(tables.CallRow).where(tables.CallRow.mo_id == mo.id)
            if status is not None:
                query = query.where(tables.CallRow.status == status.value)
            if overdue:
                query = query.where(
                    overdue_filter(now, mo.deadlines.assign, mo.deadlines.serve)  # type: ignore[arg-type]
                )
            rows = session.scalars(query.order_by(tables.CallRow.id.desc()).limit(limit)).all()
            items.extend(
                call_json(call, mo.deadlines, now) for call in to_domain_many(session, rows)
            )
    items.sort(key=lambda c: c["id"], reverse=True)
    return {"items": items[:limit], "count": len(items[:limit])}


@router.get("/overdue")
def list_overdue(
    services: ServicesDep, principal: ReadScope, limit: int = Query(100, ge=1, le=1000)
) -> dict[str, Any]:
    return list_calls(services, principal, None, True, limit)


@router.get("/{call_id}", responses=responses(404))
def get_call(call_id: RowId, services: ServicesDep, principal: ReadScope) -> dict[str, Any]:
    """The formalized call with its full status history."""
    return _read(services, actor_for(services, principal), call_id)


def _act(
    services: Services,
    principal: Principal,
    call_id: RowId,
    move: Callable[[CallLifecycle], object],
) -> dict[str, Any]:
    actor = actor_for(services, principal)
    with services.db.session() as session:
        move(CallLifecycle(session, actor))
    services.relay.relay_pending()
    return _read(services, actor, call_id)


@router.post("/{call_id}/accept", responses=ACTION)
def accept(call_id: RowId, services: ServicesDep, principal: WriteScope) -> dict[str, Any]:
    """«Ожидает обработки» → «Новый» after an operator checked it."""
    return _act(services, principal, call_id, lambda lc: lc.accept(call_id))


@router.post("/{call_id}/assign", responses=ACTION)
def assign(
    call_id: RowId, body: AssignBody, services: ServicesDep, principal: WriteScope
) -> dict[str, Any]:
    """Assign to a doctor for a date (also re-assigns an active call)."""
    return _act(
        services,
        principal,
        call_id,
        lambda lc: lc.assign(call_id, body.doctor_id, body.planned_date),
    )


@router.post("/{call_id}/unassign", responses=ACTION)
def unassign(
    call_id: RowId, body: ReasonBody, services: ServicesDep, principal: WriteScope
) -> dict[str, Any]:
    return _act(services, principal, call_id, lambda lc: lc.unassign(call_id, body.reason))


@router.post("/{call_id}/serve", responses=ACTION)
def serve(
    call_id: RowId, body: ServeBody, services: ServicesDep, principal: WriteScope
) -> dict[str, Any]:
    """The doctor served it: result code, ICD-10 diagnoses, note."""
    return _act(
        services,
        principal,
        call_id,
        lambda lc: lc.serve(call_id, body.result, body.diagnoses, body.note),
    )


@router.post("/{call_id}/cancel", responses=ACTION)
def cancel(
    call_id: RowId, body: ReasonBody, services: ServicesDep, principal: WriteScope
) -> dict[str, Any]:
    return _act(services, principal, call_id, lambda lc: lc.cancel(call_id, body.reason))


@router.post("/{call_id}/transfer", responses=ACTION)
def transfer(
    call_id: RowId, body: TransferBody, services: ServicesDep, principal: WriteScope
) -> dict[str, Any]:
    """Hand over to another MO; it appears there as a new call."""
    return _act(
        services, principal, call_id, lambda lc: lc.transfer(call_id, body.to_mo, body.reason)
    )
