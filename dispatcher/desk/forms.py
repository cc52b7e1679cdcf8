"""«Оформление нового вызова»: the form, live parsing endpoints, saving through the intake."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from dispatcher.desk.forms_web import (
    AnalyzerDep,
    OperatorDep,
    ServicesDep,
    mo_context,
    page,
)
from dispatcher.desk.intake_form import (
    CALLER_TYPES,
    DESK_KINDS,
    DESK_SOURCES,
    NewCallForm,
    field_errors,
    with_district,
)
from dispatcher.desk.patient_search import search_patients
from dispatcher.desk.questionnaire_web import RulesDep, record_reason, walk_answers
from dispatcher.desk.templating import symptom_label
from dispatcher.services.intake import EmergencyRedirect, intake_now
from dispatcher.storage.phone_calls import link_intake_call
from intake_core.call import Source
from intake_core.errors import ValidationFailed
from intake_core.intake import parse_birth_date
from intake_core.patient import age_category, age_in_months, describe_age
from intake_core.planning import CUTOFF_SCRIPT

router = APIRouter(prefix="/desk", include_in_schema=False)

CHIPS = ("Температура", "Давление", "Кашель", "Сыпь", "Рвота", "Патронаж", "Констатация смерти")
DESK_CHANNEL = "desk_form"


def _age_text(raw: str, today: Any) -> str:
    try:
        born = parse_birth_date(raw, today)
    except ValueError:
        return ""
    category = age_category(born, today)
    return f"{describe_age(born, today)}, {category.value if category else ''}".strip(", ")


def _render_form(
    request: Request,
    services: Any,
    user: Any,
    form: NewCallForm,
    errors: dict[str, str] | None = None,
    emergency: list[str] | None = None,
    notice: str | None = None,
    notice_call_id: int | None = None,
    status_code: int = 200,
) -> Response:
    with services.db.session() as session:
        mo = mo_context(services, session, user)
    now = mo.local(datetime.now(UTC))
    return page(
        request,
        "new_call.html",
        user=user,
        status_code=status_code,
        form=form,
        errors=errors or {},
        emergency=emergency or [],
        notice=notice,
        notice_call_id=notice_call_id,
        sources=DESK_SOURCES,
        kinds=DESK_KINDS,
        caller_types=CALLER_TYPES,
        chips=CHIPS,
        districts=sorted(mo.catalog.districts, key=lambda d: d.code),
        cutoff_script=CUTOFF_SCRIPT if mo.calendar.past_cutoff(now) else None,
        age_text=_age_text(form.birth_date, now.date()) if form.birth_date else "",
    )


@router.get("/calls/new")
def new_call(
    request: Request,
    services: ServicesDep,
    user: OperatorDep,
    saved: Annotated[int | None, Query()] = None,
    merged: Annotated[int | None, Query()] = None,
    call: Annotated[int | None, Query()] = None,
) -> Response:
    notice = None
    if saved:
        notice = f"Вызов № {saved} сохранён"
    elif merged:
        notice = (
            f"У пациента уже есть открытый вызов № {merged}: новый вызов не создан, "
            "обращение добавлено к существующему"
        )
    source = Source.CALL_CENTER if user.role == "agent" else Source.REGISTRY
    form = NewCallForm(form_id=uuid.uuid4().hex, source=source.value)
    return _render_form(request, services, user, form, notice=notice, notice_call_id=call)


@router.post("/calls/new")
def save_new_call(
    request: Request,
    services: ServicesDep,
    analyzer: AnalyzerDep,
    user: OperatorDep,
    rules: RulesDep,
    form: Annotated[NewCallForm, Form()],
) -> Response:
    form_id = form.form_id or uuid.uuid4().hex
    try:
        walk = walk_answers(rules, form.reason_answers)
        if walk is not None and walk.exit is not None:  # the script ended in 103/112
            return _render_form(
                request, services, user, form, emergency=[walk.exit.reason], status_code=422
            )
        with services.db.session() as session:
            mo = mo_context(services, session, user)
            stored = intake_now(
                session,
                form.to_request(mo.code),
                mo,
                analyzer,
                actor=user.login,
                channel=(DESK_CHANNEL, form_id),
                now=datetime.now(UTC),
                adjust=with_district(mo, form.district_code) if form.district_code else None,
            )
            call_id, number, merged = stored.row.id, stored.row.number, stored.merged
            if walk is not None and not merged:
                record_reason(session, rules, call_id, walk, user.id)
            if form.linkedid:  # opened from the caller's card: keep the telephony Linkedid
                link_intake_call(session, form.linkedid, call_id, datetime.now(UTC))
    except ValidationFailed as exc:
        return _render_form(
            request, services, user, form, errors=field_errors(exc.errors), status_code=422
        )
    except EmergencyRedirect as exc:
        flags = [f.reason for f in exc.formalized.red_flags] or ["экстренные показания"]
        return _render_form(request, services, user, form, emergency=flags, status_code=422)
    services.relay.relay_pending()  # the open desks show the new call now, not at the next poll
    if merged:
        return RedirectResponse(f"/desk/calls/new?merged={number}&call={call_id}", 303)
    if form.next == "assign":
        return RedirectResponse(f"/desk/calls/{call_id}/assign", 303)
    if form.next == "transfer":
        return RedirectResponse(f"/desk/calls/{call_id}/transfer", 303)
    return RedirectResponse(f"/desk/calls/new?saved={number}&call={call_id}", 303)


def _age_years(birth_date: str, today: Any) -> float | None:
    try:
        return age_in_months(parse_birth_date(birth_date, today), today) / 12
    except ValueError:
        return None


@router.get("/forms/address")
def parse_address(
    services: ServicesDep,
    analyzer: AnalyzerDep,
    user: OperatorDep,
    text: str = "",
    birth_date: str = "",
) -> dict[str, Any]:
    """The address line's components and the district they fall into, as the operator types."""
    with services.db.session() as session:
        mo = mo_context(services, session, user)
    today = mo.local(datetime.now(UTC)).date()
    address = analyzer.address(text[:500], mo.catalog.streets())
    born = None
    if birth_date:
        try:
            born = parse_birth_date(birth_date, today)
        except ValueError:
            born = None
    match = mo.catalog.match(address.city, address.street, address.house, age_category(born, today))
    return {
        "components": address.components(),
        "private_sector": address.private_sector,
        "confidence": address.confidence,
        "street_matched": address.street_matched,
        "district": ({"code": match.district.code, "name": match.district.name} if match else None),
    }


@router.get("/forms/complaints")
def parse_complaints(
    services: ServicesDep,
    analyzer: AnalyzerDep,
    user: OperatorDep,
    text: str = "",
    birth_date: str = "",
) -> dict[str, Any]:
    """Symptoms, temperature and triage of the complaint text, as the operator types."""
    today = datetime.now(UTC).date()
    complaints = analyzer.complaints(text[:2000], _age_years(birth_date, today))
    return {
        "symptoms": list(complaints.symptoms),
        "symptom_labels": [symptom_label(code) for code in complaints.symptoms],
        "temperature": complaints.temperature,
        "emergency": complaints.emergency,
        "red_flags": [f.reason for f in complaints.red_flags],
    }


@router.get("/forms/age")
def age(user: OperatorDep, birth_date: str = "") -> dict[str, str]:
    """«9 лет, Дети» for the age box next to the birth date."""
    return {"text": _age_text(birth_date, datetime.now(UTC).date()) if birth_date else ""}


@router.get("/forms/patients")
def find_patients(services: ServicesDep, user: OperatorDep, q: str = "") -> dict[str, Any]:
    """Patients and calls of our MO by policy, phone or name."""
    with services.db.session() as session:
        found = search_patients(session, user.mo_id, q[:100])
    return {
        "by": found.by,
        "patients": [
            {
                "last_name": p.last_name,
                "first_name": p.first_name,
                "middle_name": p.middle_name,
                "birth_date": f"{p.birth_date:%d.%m.%Y}" if p.birth_date else None,
                "sex": p.sex,
                "policy_series": p.policy_series,
                "policy_number": p.policy_number,
                "phone": p.phone,
                "address": p.address,
            }
            for p in found.patients
        ],
        "calls": [
            {
                "id": c.id,
                "number": c.number,
                "patient": c.patient,
                "doctor": c.doctor,
                "address": c.address,
                "created": c.created,
                "status": c.status,
                "is_open": c.is_open,
            }
            for c in found.calls
        ],
    }
