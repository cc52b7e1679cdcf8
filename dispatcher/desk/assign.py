"""«Назначение вызова на врача»: doctors with their load; one click assigns."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dispatcher.desk.call_access import open_call, refused
from dispatcher.desk.dispatch_suggest import Proposal, check_override, propose, record_dispatch
from dispatcher.desk.doctor_board import DoctorOption, check_available, doctor_options
from dispatcher.desk.forms_web import OperatorDep, ServicesDep, actor_of, page
from dispatcher.desk.questionnaire_web import get_rules
from dispatcher.services.lifecycle import CallLifecycle
from dispatcher.storage.references import MoContext
from dispatcher.storage.service_cards import load_card
from intake_core.call import Call
from intake_core.errors import IllegalTransition, ValidationFailed
from intake_core.patient import describe_age
from intake_core.status import Action

router = APIRouter(prefix="/desk", include_in_schema=False)


def _options(
    session: Session, services: ServicesDep, mo: MoContext, call: Call
) -> tuple[datetime, tuple[date, date], list[DoctorOption]]:
    """Now in the MO's zone, today and the next working day, and the doctors for this call."""
    now = mo.local(datetime.now(UTC))
    days = (now.date(), mo.calendar.next_working_day(now.date()))
    options = doctor_options(
        session,
        mo.id,
        mo.district_ids.get(call.district_code or ""),
        days,
        now,
        services.settings.desk_visit_minutes,
    )
    return now, days, options


def _proposal(
    request: Request,
    session: Session,
    call: Call,
    options: list[DoctorOption],
    days: tuple[date, date],
) -> Proposal | None:
    """The substitution table's suggestion when the call has a reason code."""
    card = load_card(session, call.id)
    return propose(session, get_rules(request), card, options, days) if card else None


def _render(
    request: Request,
    services: ServicesDep,
    user: OperatorDep,
    call_id: int,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        with services.db.session() as session:
            mo, call = open_call(session, services, user, call_id, Action.ASSIGN)
            now, days, options = _options(session, services, mo, call)
            dispatch = _proposal(request, session, call, options, days)
    except IllegalTransition as exc:
        return refused(request, user, call_id, error or exc.message)
    born = call.patient.birth_date
    return page(
        request,
        "assign.html",
        user=user,
        status_code=status_code,
        call=call,
        age=describe_age(born, now.date()) if born else "",
        days=days,
        own=[o for o in options if o.own_district],
        others=[o for o in options if not o.own_district],
        dispatch=dispatch,
        error=error,
    )


@router.get("/calls/{call_id}/assign")
def assign_dialog(
    request: Request, call_id: int, services: ServicesDep, user: OperatorDep
) -> Response:
    return _render(request, services, user, call_id)


@router.post("/calls/{call_id}/assign")
def assign_doctor(
    request: Request,
    call_id: int,
    services: ServicesDep,
    user: OperatorDep,
    doctor_id: Annotated[int, Form()],
    day: Annotated[date, Form()],
    override_reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        with services.db.session() as session:
            mo, call = open_call(session, services, user, call_id, Action.ASSIGN)
            now, days, options = _options(session, services, mo, call)
            check_available(next((o for o in options if o.id == doctor_id), None), day)
            dispatch = _proposal(request, session, call, options, days)
            check_override(dispatch, doctor_id, day, override_reason)
            CallLifecycle(session, actor_of(user)).assign(call_id, doctor_id, day)
            if dispatch:
                record_dispatch(
                    session, dispatch, call_id, doctor_id, user.id, override_reason, now
                )
    except ValidationFailed as exc:
        message = "; ".join(e.message for e in exc.errors)
        return _render(request, services, user, call_id, error=message, status_code=422)
    except IllegalTransition as exc:
        return _render(request, services, user, call_id, error=exc.message, status_code=409)
    services.relay.relay_pending()  # the open desks see the assignment now, not at the next poll
    return RedirectResponse(f"/desk/calls/{call_id}", 303)
