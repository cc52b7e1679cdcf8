"""«Рабочий стол оператора», its live fragments, the call card and the patient card."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from dispatcher.desk import notify_web
from dispatcher.desk.auth import OPERATORS, DeskUser, DeskUserDep, RoleForbidden
from dispatcher.desk.board import (
    BUCKETS,
    DeskFilters,
    counters,
    doctor_counts,
    filter_choices,
    next_overdue_in,
    one_row,
    rows,
)
from dispatcher.desk.call_access import PageNotFound, load_call, own_mo
from dispatcher.desk.call_channels import channel_lines
from dispatcher.services.access import visible_patient
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.storage import tables
from dispatcher.storage.references import MoContext
from dispatcher.web.services import Services
from dispatcher.web.templating import render
from intake_core.call import Call
from intake_core.errors import DomainError, NotFound
from intake_core.patient import describe_age
from intake_core.status import TRANSITIONS, Action, CallStatus

router = APIRouter(prefix="/desk", include_in_schema=False)

DONE = {
    "accept": "Вызов принят в работу",
    "cancel": "Вызов отменён",
    "unassign": "Назначение врача снято",
}
# role → actions on the call card (links to the forms' dialogs included)
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    "agent": frozenset({Action.ACCEPT, Action.CANCEL, Action.ASSIGN, Action.TRANSFER}),
    "registry": frozenset(
        {Action.ACCEPT, Action.CANCEL, Action.ASSIGN, Action.UNASSIGN, Action.TRANSFER}
    ),
    "dispatcher": frozenset(
        {Action.ACCEPT, Action.CANCEL, Action.ASSIGN, Action.UNASSIGN, Action.TRANSFER}
    ),
    "admin": frozenset(
        {Action.ACCEPT, Action.CANCEL, Action.ASSIGN, Action.UNASSIGN, Action.TRANSFER}
    ),
    "doctor": frozenset({Action.SERVE}),
    "head": frozenset(),
}


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]


def _mo(services: Services, session: Session, user: DeskUser) -> MoContext:
    mo = services.directory.by_code(session, user.mo_code)
    if mo is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Медицинская организация не найдена")
    return mo


def _filters(
    fio: str = "",
    doctor: str = "",
    kind: str = "",
    age: str = "",
    department: str = "",
    source: str = "",
    day: str = "",
    bucket: str = "",
) -> DeskFilters:
    try:
        return DeskFilters.model_validate(
            {
                "fio": fio,
                "doctor": doctor,
                "kind": kind,
                "age": age,
                "department": department,
                "source": source,
                "day": day,
                "bucket": bucket,
            }
        )
    except ValueError:
        return DeskFilters(fio=fio)


FiltersDep = Annotated[DeskFilters, Depends(_filters)]


@router.get("")
def desk(
    request: Request, services: ServicesDep, user: DeskUserDep, filters: FiltersDep
) -> Response:
    """The operator's desk: counters, doctors, filters and the list."""
    if user.role == "doctor":
        return RedirectResponse("/desk/doctor", status.HTTP_303_SEE_OTHER)
    now = datetime.now(UTC)
    with services.db.session() as session:
        mo = _mo(services, session, user)
        context: dict[str, Any] = {
            "counts": counters(session, mo, filters, now),
            "next_overdue_in": next_overdue_in(session, mo, filters, now),
            "doctors": doctor_counts(session, mo, filters),
            "rows": rows(session, mo, filters, now),
            "choices": filter_choices(session, mo),
        }
    return render(
        request,
        "desk.html",
        user=user,
        zone=mo.zone,
        filters=filters,
        query=filters.query_string(),
        buckets=BUCKETS,
        now=now,
        can_create=user.role in OPERATORS,
        **context,
    )


@router.get("/fragments/board")
def board_fragment(
    request: Request, services: ServicesDep, user: DeskUserDep, filters: FiltersDep
) -> Response:
    """Counters and doctors, re-fetched by the page on every live event."""
    now = datetime.now(UTC)
    with services.db.session() as session:
        mo = _mo(services, session, user)
        counts = counters(session, mo, filters, now)
        soon = next_overdue_in(session, mo, filters, now)
        doctors = doctor_counts(session, mo, filters)
    return render(
        request,
        "_board.html",
        user=user,
        counts=counts,
        next_overdue_in=soon,
        doctors=doctors,
        filters=filters,
        buckets=BUCKETS,
        query=filters.query_string(),
    )


@router.get("/fragments/rows")
def rows_fragment(
    request: Request, services: ServicesDep, user: DeskUserDep, filters: FiltersDep
) -> Response:
    """The whole list body (after a reconnect, when events may have been missed)."""
    now = datetime.now(UTC)
    with services.db.session() as session:
        mo = _mo(services, session, user)
        found = rows(session, mo, filters, now)
    return render(request, "_rows.html", user=user, zone=mo.zone, rows=found, now=now)


@router.get("/fragments/rows/{call_id:int}")
def row_fragment(
    request: Request, call_id: int, services: ServicesDep, user: DeskUserDep, filters: FiltersDep
) -> Response:
    """One call's row under the filters; 204 when it is not (or no longer) in the list."""
    now = datetime.now(UTC)
    with services.db.session() as session:
        mo = _mo(services, session, user)
        found = one_row(session, mo, filters, call_id, now)
    if found is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return render(request, "_rows.html", user=user, zone=mo.zone, rows=[found], now=now)


def allowed_actions(user: DeskUser, call_status: CallStatus) -> list[str]:
    """What this role may do to a call in this status (the transition table decides the rest)."""
    permitted = ROLE_ACTIONS.get(user.role, frozenset())
    return [a.value for a in Action if a in permitted and call_status in TRANSITIONS[a][0]]


def _card_context(
    session: Session, services: Services, user: DeskUser, call: Call
) -> dict[str, Any]:
    mo = _mo(services, session, user)
    today = datetime.now(UTC).astimezone(mo.zone).date()
    birth = call.patient.birth_date
    transferred = None
    if call.transferred_to:
        target = session.scalar(
            select(tables.MedicalOrganization).where(
                tables.MedicalOrganization.code == call.transferred_to
            )
        )
        transferred = target.name if target else call.transferred_to
    deadline = mo.deadlines.deadline(call.status, call.created_at, call.assigned_at)
    department = None
    if call.department_code:
        department = session.scalar(
            select(tables.Department.name).where(
                tables.Department.mo_id == user.mo_id,
                tables.Department.code == call.department_code,
            )
        )
    return {
        "call": call,
        "department": department or call.department_code,
        "channels": channel_lines(call.channels, call.created_at, mo.zone),
        "deliveries": notify_web.card_deliveries(session, call.id),  # SMS and webhooks
        "zone": mo.zone,
        "age": describe_age(birth, today) if birth else "",
        "actions": allowed_actions(user, call.status),
        "transferred": transferred,
        "deadline": deadline,
        "limit_seconds": int(
            (
                mo.deadlines.serve if call.status is CallStatus.ACTIVE else mo.deadlines.assign
            ).total_seconds()
        ),
    }


@router.get("/calls/{call_id:int}")
def call_card(
    request: Request,
    call_id: int,
    services: ServicesDep,
    user: DeskUserDep,
    done: str = "",
) -> Response:
    """The call card: every field, the history as a timeline, channels, allowed actions."""
    with services.db.session() as session:
        context = _card_context(session, services, user, load_call(session, user, call_id))
    return render(request, "call.html", user=user, notice=DONE.get(done), **context)


def _act(
    request: Request, services: Services, user: DeskUser, call_id: int, action: str, reason: str
) -> Response:
    if action not in allowed_actions_for_role(user):
        message = f"Недостаточно прав: роль «{user.role_label}» не может это сделать"
        raise RoleForbidden(user, message)
    actor = Actor(user.login, frozenset({user.mo_id}))
    error: str | None = None
    with services.db.session() as session:
        load_call(session, user, call_id)
    try:
        with services.db.session() as session:
            lifecycle = CallLifecycle(session, actor)
            if action == "accept":
                lifecycle.accept(call_id)
            elif action == "cancel":
                lifecycle.cancel(call_id, reason)
            else:
                lifecycle.unassign(call_id, reason)
    except DomainError as exc:
        error = exc.message
    if error is None:
        services.relay.relay_pending()
        return RedirectResponse(f"/desk/calls/{call_id}?done={action}", status.HTTP_303_SEE_OTHER)
    with services.db.session() as session:
        context = _card_context(session, services, user, load_call(session, user, call_id))
    return render(request, "call.html", status_code=422, user=user, error=error, **context)


def allowed_actions_for_role(user: DeskUser) -> set[str]:
    return {a.value for a in ROLE_ACTIONS.get(user.role, frozenset())}


@router.post("/calls/{call_id:int}/accept")
def accept(request: Request, call_id: int, services: ServicesDep, user: DeskUserDep) -> Response:
    """«Ожидает обработки» → «Новый»."""
    return _act(request, services, user, call_id, "accept", "")


@router.post("/calls/{call_id:int}/cancel")
def cancel(
    request: Request,
    call_id: int,
    services: ServicesDep,
    user: DeskUserDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Cancel with a reason (required)."""
    return _act(request, services, user, call_id, "cancel", reason)


@router.post("/calls/{call_id:int}/unassign")
def unassign(
    request: Request,
    call_id: int,
    services: ServicesDep,
    user: DeskUserDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Take the call off its doctor, with a reason."""
    return _act(request, services, user, call_id, "unassign", reason)


@router.get("/patients/{patient_id:int}")
def patient_card(
    request: Request, patient_id: int, services: ServicesDep, user: DeskUserDep
) -> Response:
    """A patient of the MO's register with their calls; the opening is logged."""
    with services.db.session() as session:
        try:
            patient = visible_patient(session, own_mo(user), patient_id, reader=user)
        except NotFound as exc:
            raise PageNotFound(user, exc.message) from None
        same = [tables.CallRow.patient_id == patient.id]
        if patient.policy_number:
            same.append(tables.CallRow.policy_number == patient.policy_number)
        if patient.birth_date is not None:
            same.append(
                and_(
                    tables.CallRow.last_name == patient.last_name,
                    tables.CallRow.first_name == patient.first_name,
                    tables.CallRow.birth_date == patient.birth_date,
                )
            )
        calls = session.scalars(
            select(tables.CallRow)
            .where(tables.CallRow.mo_id == user.mo_id, or_(*same))
            .order_by(tables.CallRow.id.desc())
            .limit(50)
        ).all()
        mo = _mo(services, session, user)
        history = [
            {
                "id": c.id,
                "number": c.number,
                "created_at": c.created_at,
                "status": CallStatus(c.status).label,
                "address": (c.address or {}).get("raw", ""),
            }
            for c in calls
        ]
        today: date = datetime.now(UTC).astimezone(mo.zone).date()
        age = describe_age(patient.birth_date, today) if patient.birth_date else ""
        page = render(
            request,
            "patient.html",
            user=user,
            zone=mo.zone,
            patient=patient,
            age=age,
            calls=history,
        )
    return page
