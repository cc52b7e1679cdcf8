"""The doctor's view: today's and tomorrow's calls, and «Обработка назначенного вызова»."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.desk.auth import RoleForbidden
from dispatcher.desk.call_access import load_call, refuse_call
from dispatcher.desk.doctor_accounts import doctor_of_user
from dispatcher.desk.forms_web import DoctorDep, ServicesDep, actor_of, mo_context, page
from dispatcher.desk.questionnaire_web import get_rules
from dispatcher.desk.route_rows import build_route_sheet
from dispatcher.desk.service_card_web import record_completion
from dispatcher.services.lifecycle import CallLifecycle
from dispatcher.storage import tables
from dispatcher.storage.service_cards import live_states, load_card
from intake_core.call import Call, ServiceResult
from intake_core.errors import FieldError, IllegalTransition, ValidationFailed

router = APIRouter(prefix="/desk", include_in_schema=False)


def _doctor(session: Session, user: DoctorDep) -> tables.Doctor:
    doctor = doctor_of_user(session, user.id)
    if doctor is None or doctor.mo_id != user.mo_id:
        raise RoleForbidden(user, "Учётная запись не связана с врачом этой медицинской организации")
    return doctor


@router.get("/doctor")
def doctor_calls(
    request: Request, services: ServicesDep, user: DoctorDep, served: int | None = None
) -> Response:
    with services.db.session() as session:
        doctor = _doctor(session, user)
        mo = mo_context(services, session, user)
        now = datetime.now(UTC)
        today = mo.local(now).date()
        sheets = [
            build_route_sheet(session, mo.id, doctor.id, day, mo.zone, now)
            for day in (today, mo.calendar.next_working_day(today))
        ]
        live = live_states(session, [doctor.id]).get(doctor.id)
    return page(
        request,
        "doctor.html",
        user=user,
        sheets=sheets,
        titles=("Сегодня", "Завтра"),
        live=live,
        zone=mo.zone,
        notice=f"Вызов № {served} отмечен выполненным" if served else None,
    )


def _own_call(session: Session, user: DoctorDep, call_id: int) -> tuple[Call, tables.Doctor]:
    doctor = _doctor(session, user)
    call = load_call(session, user, call_id)
    if call.assignment is None or call.assignment.doctor_id != doctor.id:
        raise refuse_call(session, user, call_id)
    return call, doctor


def _render_call(
    request: Request,
    services: ServicesDep,
    user: DoctorDep,
    call_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with services.db.session() as session:
        call, _ = _own_call(session, user, call_id)
        departments = session.scalars(
            select(tables.Department).where(tables.Department.mo_id == user.mo_id)
        ).all()
        current_department = call.department_code or ""
        card = load_card(session, call_id)
        zone = mo_context(services, session, user).zone
    return page(
        request,
        "doctor_call.html",
        user=user,
        status_code=status_code,
        call=call,
        results=list(ServiceResult),
        departments=departments,
        values=values or {"department": current_department},
        errors=errors or {},
        card=card,
        profiles=get_rules(request).profiles,
        zone=zone,
    )


@router.get("/doctor/calls/{call_id}")
def doctor_call(request: Request, call_id: int, services: ServicesDep, user: DoctorDep) -> Response:
    return _render_call(request, services, user, call_id)


@router.post("/doctor/calls/{call_id}")
def serve_call(
    request: Request,
    call_id: int,
    services: ServicesDep,
    user: DoctorDep,
    diagnosis: Annotated[str, Form()] = "",
    result: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    postfactum_letter: Annotated[str, Form(max_length=1)] = "",
    departed_at: Annotated[str, Form(max_length=5)] = "",
    arrived_at: Annotated[str, Form(max_length=5)] = "",
    finished_at: Annotated[str, Form(max_length=5)] = "",
    result_reason: Annotated[str, Form(max_length=500)] = "",
    remarks: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    values = {"diagnosis": diagnosis, "result": result, "department": department, "note": note}
    card_fields = {
        "postfactum_letter": postfactum_letter,
        "departed_at": departed_at,
        "arrived_at": arrived_at,
        "finished_at": finished_at,
        "result_reason": result_reason,
        "remarks": remarks,
    }
    values.update(card_fields)
    try:
        with services.db.session() as session:
            call, doctor = _own_call(session, user, call_id)
            errors: list[FieldError] = []
            codes = [c for c in diagnosis.replace(";", ",").split(",") if c.strip()]
            if not codes:
                errors.append(FieldError("diagnoses", "Укажите диагноз (код МКБ-10)", "required"))
            outcome = next((r for r in ServiceResult if r.value == result), None)
            if outcome is None:
                errors.append(FieldError("result", "Выберите результат обслуживания", "required"))
            if errors:
                raise ValidationFailed(errors)
            assert outcome is not None
            mo = mo_context(services, session, user)
            rules = get_rules(request)
            record_completion(session, rules, call, doctor.id, mo.zone, card_fields, outcome)
            row = CallLifecycle(session, actor_of(user)).serve(
                call_id, outcome, codes, note.strip() or None
            )
            if department:
                row.department_id = session.scalar(
                    select(tables.Department.id).where(
                        tables.Department.mo_id == user.mo_id, tables.Department.code == department
                    )
                )
    except ValidationFailed as exc:
        shown = {"diagnosis" if e.field == "diagnoses" else e.field: e.message for e in exc.errors}
        return _render_call(request, services, user, call_id, values, shown, 422)
    except IllegalTransition as exc:
        return _render_call(request, services, user, call_id, values, {"form": exc.message}, 409)
    services.relay.relay_pending()  # the desks see the call served now
    return RedirectResponse(f"/desk/doctor?served={call.number}", 303)
