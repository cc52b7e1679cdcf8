"""The call service card on the desk: the dispatch code, doctors' live states, the doctor's trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.desk.auth import OPERATORS
from dispatcher.desk.call_access import load_call, refuse_call
from dispatcher.desk.doctor_accounts import doctor_of_user
from dispatcher.desk.forms_web import (
    DeskUserDep,
    DoctorDep,
    OperatorDep,
    ServicesDep,
    mo_context,
    page,
)
from dispatcher.desk.questionnaire_web import RulesDep
from dispatcher.services.dispatch_rules import DispatchRules
from dispatcher.storage import tables
from dispatcher.storage.calls import doctor_name
from dispatcher.storage.service_cards import (
    live_states,
    load_card,
    mark_trip,
    save_service,
    set_state,
)
from intake_core.call import Call, ServiceResult
from intake_core.doctor_state import DoctorState
from intake_core.errors import FieldError, ValidationFailed
from intake_core.service_card import ServiceCard, ServiceRecord
from intake_core.status import CallStatus

router = APIRouter(prefix="/desk", include_in_schema=False)


def _clock(raw: str, field: str, day: date, zone: ZoneInfo) -> datetime | None:
    """«14:05» typed by the doctor: that time today in the MO's zone, as UTC."""
    if not raw.strip():
        return None
    try:
        moment = time.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed([FieldError(field, "Время в виде ЧЧ:ММ", "invalid")]) from None
    return datetime.combine(day, moment, zone).astimezone(UTC)


def record_completion(
    session: Session,
    rules: DispatchRules,
    call: Call,
    doctor_id: int,
    zone: ZoneInfo,
    fields: dict[str, str],
    result: ServiceResult,
) -> None:
    """The doctor's part of the card at completion: the letter needed post factum, time points,
    result, remarks; the doctor is free again. A call never coded has no card to complete."""
    now = datetime.now(UTC)
    card = load_card(session, call.id)
    if card is not None:
        today = now.astimezone(zone).date()
        record = ServiceRecord(
            postfactum_letter=fields.get("postfactum_letter", "").strip(),
            departed_at=_clock(fields.get("departed_at", ""), "departed_at", today, zone)
            or card.departed_at,
            arrived_at=_clock(fields.get("arrived_at", ""), "arrived_at", today, zone)
            or card.arrived_at,
            finished_at=_clock(fields.get("finished_at", ""), "finished_at", today, zone) or now,
            result=result,
            result_reason=fields.get("result_reason", "").strip() or None,
            remarks=fields.get("remarks", "").strip() or None,
        )
        record.check(rules.letters, call.received_at)
        save_service(session, call.id, record, now)
    set_state(session, doctor_id, DoctorState.FREE, None, now)


def _render_card(
    request: Request,
    services: ServicesDep,
    user: DeskUserDep,
    rules: DispatchRules,
    call_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with services.db.session() as session:
        mo = mo_context(services, session, user)
        call = load_call(session, user, call_id)
        card = load_card(session, call_id)
    operator = user.role in OPERATORS
    return page(
        request,
        "service_card.html",
        status_code=status_code,
        user=user,
        call=call,
        card=card,
        zone=mo.zone,
        profiles=rules.profiles,
        results=list(ServiceResult),
        can_code=operator,
        can_record=operator and card is not None and call.status is CallStatus.SERVED,
        values=values or _card_values(card, call, mo.zone),
        errors=errors or {},
    )


def _card_values(card: ServiceCard | None, call: Call, zone: ZoneInfo) -> dict[str, str]:
    """The paper card's fields as already stored, for correcting them."""
    if card is None:
        return {}

    def clock(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%H:%M") if moment else ""

    result = card.result or (call.service.result if call.service else None)
    return {
        "postfactum_letter": card.postfactum_letter or "",
        "departed_at": clock(card.departed_at),
        "arrived_at": clock(card.arrived_at),
        "finished_at": clock(card.finished_at or call.served_at),
        "result": result.value if result else "",
        "result_reason": card.result_reason or "",
        "remarks": card.remarks or "",
    }


@router.get("/calls/{call_id}/service-card")
def service_card(
    request: Request, call_id: int, services: ServicesDep, user: DeskUserDep, rules: RulesDep
) -> Response:
    """«Карта обслуживания вызова»: reason code with the answers, who was sent, the result."""
    return _render_card(request, services, user, rules, call_id)


@router.post("/calls/{call_id}/service-card")
def record_paper_card(
    request: Request,
    call_id: int,
    services: ServicesDep,
    user: OperatorDep,
    rules: RulesDep,
    postfactum_letter: Annotated[str, Form(max_length=1)] = "",
    departed_at: Annotated[str, Form(max_length=5)] = "",
    arrived_at: Annotated[str, Form(max_length=5)] = "",
    finished_at: Annotated[str, Form(max_length=5)] = "",
    result: Annotated[str, Form(max_length=32)] = "",
    result_reason: Annotated[str, Form(max_length=500)] = "",
    remarks: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The staff member who takes the doctors' paper cards enters what the doctor added."""
    values = {
        "postfactum_letter": postfactum_letter,
        "departed_at": departed_at,
        "arrived_at": arrived_at,
        "finished_at": finished_at,
        "result": result,
        "result_reason": result_reason,
        "remarks": remarks,
    }
    try:
        with services.db.session() as session:
            mo = mo_context(services, session, user)
            call = load_call(session, user, call_id)
            if call.status is not CallStatus.SERVED or load_card(session, call_id) is None:
                raise ValidationFailed(
                    [FieldError("form", "Карту заполняют по обслуженному вызову с кодом повода")]
                )
            outcome = next((r for r in ServiceResult if r.value == result), None)
            if outcome is None:
                raise ValidationFailed([FieldError("result", "Выберите результат", "required")])
            served = (call.served_at or datetime.now(UTC)).astimezone(mo.zone).date()
            record = ServiceRecord(
                postfactum_letter=postfactum_letter.strip(),
                departed_at=_clock(departed_at, "departed_at", served, mo.zone),
                arrived_at=_clock(arrived_at, "arrived_at", served, mo.zone),
                finished_at=_clock(finished_at, "finished_at", served, mo.zone)
                or call.served_at
                or datetime.now(UTC),
                result=outcome,
                result_reason=result_reason.strip() or None,
                remarks=remarks.strip() or None,
            )
            record.check(rules.letters, call.received_at)
            save_service(session, call_id, record, datetime.now(UTC))
    except ValidationFailed as exc:
        shown = {e.field: e.message for e in exc.errors}
        return _render_card(request, services, user, rules, call_id, values, shown, 422)
    return RedirectResponse(f"/desk/calls/{call_id}/service-card", 303)


def _doctor_rows(
    session: Session, rules: DispatchRules, mo_id: int, today: date
) -> list[dict[str, object]]:
    doctors = session.scalars(
        select(tables.Doctor)
        .where(tables.Doctor.mo_id == mo_id, tables.Doctor.active.is_(True))
        .order_by(tables.Doctor.last_name, tables.Doctor.first_name)
    ).all()
    live = live_states(session, [d.id for d in doctors])
    calls = session.execute(
        select(tables.CallRow.doctor_id, tables.CallRow.id, tables.CallRow.number).where(
            tables.CallRow.mo_id == mo_id,
            tables.CallRow.status == CallStatus.ACTIVE.value,
            tables.CallRow.planned_date == today,
        )
    ).all()
    rows: list[dict[str, object]] = []
    for doctor in doctors:
        state = live.get(doctor.id)
        letter = rules.letter_of(doctor.profile_letter, doctor.profile)
        rows.append(
            {
                "id": doctor.id,
                "name": doctor_name(doctor),
                "profile": doctor.profile,
                "letter": letter,
                "state": state.state if state else DoctorState.FREE,
                "since": state.since if state else None,
                "call_id": state.call_id if state else None,
                "calls": [(cid, number) for did, cid, number in calls if did == doctor.id],
            }
        )
    return rows


@router.get("/doctors/states")
def doctor_states(
    request: Request, services: ServicesDep, user: OperatorDep, rules: RulesDep
) -> Response:
    """Doctors' live states for the dispatcher, who sets them from the radio or the phone."""
    with services.db.session() as session:
        mo = mo_context(services, session, user)
        rows = _doctor_rows(session, rules, mo.id, mo.local(datetime.now(UTC)).date())
    return page(
        request, "doctor_states.html", user=user, rows=rows, states=list(DoctorState), zone=mo.zone
    )


@router.post("/doctors/{doctor_id}/state")
def change_doctor_state(
    doctor_id: int,
    services: ServicesDep,
    user: OperatorDep,
    state: Annotated[DoctorState, Form()],
    call_id: Annotated[int | None, Form()] = None,
) -> Response:
    with services.db.session() as session:
        doctor = session.get(tables.Doctor, doctor_id)
        if doctor is None or doctor.mo_id != user.mo_id:
            raise ValidationFailed([FieldError("doctor_id", "Врач не найден", "not_found")])
        if state.needs_call and call_id is not None:
            call = load_call(session, user, call_id)
            if call.assignment is None or call.assignment.doctor_id != doctor_id:
                raise refuse_call(session, user, call_id)
        set_state(session, doctor_id, state, call_id, datetime.now(UTC))
    return RedirectResponse("/desk/doctors/states", 303)


@router.post("/doctor/state")
def change_own_state(
    services: ServicesDep, user: DoctorDep, state: Annotated[DoctorState, Form()]
) -> Response:
    """The doctor's own «свободен» / «закончил работу» from the route list."""
    if state.needs_call:
        raise ValidationFailed([FieldError("state", "Выберите вызов в списке", "invalid")])
    with services.db.session() as session:
        doctor = doctor_of_user(session, user.id)
        if doctor is None or doctor.mo_id != user.mo_id:
            raise ValidationFailed([FieldError("doctor", "Учётная запись не связана с врачом")])
        set_state(session, doctor.id, state, None, datetime.now(UTC))
    return RedirectResponse("/desk/doctor", 303)


@router.post("/doctor/calls/{call_id}/trip")
def doctor_trip(
    call_id: int,
    services: ServicesDep,
    user: DoctorDep,
    step: Annotated[str, Form()],
) -> Response:
    """«Выехал» and «Прибыл»: the doctor's state and the card's time points."""
    if step not in ("departed", "arrived"):
        raise ValidationFailed([FieldError("step", "Неизвестный шаг", "invalid")])
    now = datetime.now(UTC)
    with services.db.session() as session:
        doctor = doctor_of_user(session, user.id)
        call = load_call(session, user, call_id)
        if doctor is None or call.assignment is None or call.assignment.doctor_id != doctor.id:
            raise refuse_call(session, user, call_id)
        departed = step == "departed"
        state = DoctorState.ON_THE_WAY if departed else DoctorState.AT_PATIENT
        set_state(session, doctor.id, state, call_id, now)
        mark_trip(session, call_id, now if departed else None, None if departed else now)
    return RedirectResponse(f"/desk/doctor/calls/{call_id}", 303)
