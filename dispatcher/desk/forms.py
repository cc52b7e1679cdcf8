"""«Оформление нового вызова»: the form, live parsing endpoints, saving through the intake."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from dispatcher.desk.call_channels import DESK_CHANNEL
from dispatcher.desk.forms_web import (
    AnalyzerDep,
    NowDep,
    OperatorDep,
    ServicesDep,
    desk_now,
    mo_context,
    page,
)
from dispatcher.desk.intake_form import (
    CALLER_TYPES,
    DESK_KINDS,
    DESK_SOURCES,
    LIMITS,
    NewCallForm,
    chained,
    field_errors,
    triage,
    typed_birth_date,
    with_district,
    with_triaged_notes,
)
from dispatcher.desk.patient_search import search_patients
from dispatcher.desk.questionnaire_web import RulesDep, form_walk, record_reason
from dispatcher.services.direct_intake import intake_now
from dispatcher.services.red_flag import EmergencyRedirect, only_possible
from dispatcher.storage.phone_calls import link_intake_call
from dispatcher.web.templating import symptom_label
from intake_core.call import Source
from intake_core.errors import ValidationFailed
from intake_core.patient import age_category, describe_age
from intake_core.questionnaire import Facts

router = APIRouter(prefix="/desk", include_in_schema=False)

CHIPS = ("Температура", "Давление", "Кашель", "Сыпь", "Рвота", "Патронаж", "Констатация смерти")


def _age_text(raw: str, today: Any) -> str:
    born = typed_birth_date(raw, today)
    if born is None:
        return ""
    category = age_category(born, today)
    return f"{describe_age(born, today)}, {category.value if category else ''}".strip(", ")


def render_form(
    request: Request,
    services: Any,
    user: Any,
    form: NewCallForm,
    now: datetime | None = None,
    errors: dict[str, str] | None = None,
    emergency: list[str] | None = None,
    possible_only: bool = False,
    notice: str | None = None,
    notice_call_id: int | None = None,
    uncoded: bool = False,
    status_code: int = 200,
) -> Response:
    with services.db.session() as session:
        mo = mo_context(services, session, user)
    now = mo.local(now or desk_now())
    return page(
        request,
        "new_call.html",
        user=user,
        status_code=status_code,
        form=form,
        errors=errors or {},
        emergency=emergency or [],
        possible_only=possible_only,
        notice=notice,
        notice_call_id=notice_call_id,
        uncoded=uncoded,
        sources=DESK_SOURCES,
        kinds=DESK_KINDS,
        caller_types=CALLER_TYPES,
        limits=LIMITS,
        chips=CHIPS,
        districts=sorted(mo.catalog.districts, key=lambda d: d.code),
        cutoff_script=mo.calendar.cutoff_notice(now),
        age_text=_age_text(form.birth_date, now.date()) if form.birth_date else "",
        facts=Facts.known(typed_birth_date(form.birth_date, now.date()), None, now.date()),
    )


def _form_facts(analyzer: AnalyzerDep, form: NewCallForm, today: date) -> Facts:
    """What the form already tells the questionnaire: the age from the birth date typed, the
    temperature parsed from the complaint (the script on the page gets the same from the live
    parses)."""
    if not form.reason_answers.strip():
        return Facts()  # the questionnaire was not run: nothing to answer
    born = typed_birth_date(form.birth_date, today)
    temperature = triage(analyzer, form.complaints, born, today).temperature
    return Facts.known(born, temperature, today)


@router.get("/calls/new")
def new_call(
    request: Request,
    services: ServicesDep,
    user: OperatorDep,
    now: NowDep,
    saved: Annotated[int | None, Query()] = None,
    merged: Annotated[int | None, Query()] = None,
    call: Annotated[int | None, Query()] = None,
    uncoded: Annotated[bool, Query()] = False,
) -> Response:
    notice = None
    if saved:
        notice = f"Вызов № {saved} сохранён"
        if uncoded:  # the operator left the questionnaire half-way: the call waits for its code
            notice += " без кода повода: опросник не был пройден до конца"
    elif merged:
        notice = (
            f"У пациента уже есть открытый вызов № {merged}: новый вызов не создан, "
            "обращение добавлено к существующему"
        )
    source = Source.CALL_CENTER if user.role == "agent" else Source.REGISTRY
    form = NewCallForm(form_id=uuid.uuid4().hex, source=source.value)
    return render_form(
        request, services, user, form, now, notice=notice, notice_call_id=call, uncoded=uncoded
    )


@router.post("/calls/new")
def save_new_call(
    request: Request,
    services: ServicesDep,
    analyzer: AnalyzerDep,
    user: OperatorDep,
    rules: RulesDep,
    now: NowDep,
    form: Annotated[NewCallForm, Form()],
) -> Response:
    form_id = form.form_id or uuid.uuid4().hex
    if errors := form.length_errors():
        return render_form(request, services, user, form, now, errors=errors, status_code=422)
    try:
        with services.db.session() as session:
            mo = mo_context(services, session, user)
        today = mo.local(now).date()
        walk = form_walk(rules, form.reason_answers, _form_facts(analyzer, form, today))
        if walk is not None and walk.exit is not None:  # the script ended in 103/112
            return render_form(
                request, services, user, form, now, emergency=[walk.exit.reason], status_code=422
            )
        refused: EmergencyRedirect | None = None
        with services.db.session() as session:
            try:
                stored = intake_now(
                    session,
                    form.to_request(mo.code),
                    mo,
                    analyzer,
                    actor=user.login,
                    channel=(DESK_CHANNEL, form_id),
                    now=now,
                    adjust=chained(
                        with_triaged_notes(analyzer, today),
                        with_district(mo, form.district_code) if form.district_code else None,
                    ),
                    not_emergency_confirmed=bool(form.not_emergency),
                )
            except EmergencyRedirect as exc:
                refused = exc  # caught inside: the session keeps the intake.emergency it recorded
            else:
                call_id, number, merged = stored.row.id, stored.row.number, stored.merged
                coded = walk is not None and walk.outcome is not None
                if walk is not None and coded and not merged:
                    record_reason(session, rules, call_id, walk, user.id, now)
                if form.linkedid:  # opened from the caller's card: keep the telephony Linkedid
                    link_intake_call(session, form.linkedid, call_id, now)
    except ValidationFailed as exc:
        return render_form(
            request, services, user, form, now, errors=field_errors(exc.errors), status_code=422
        )
    if refused is not None:
        found = refused.formalized.red_flags
        flags = [f.reason for f in found] or ["экстренные показания"]
        services.relay.relay_pending()
        return render_form(
            request,
            services,
            user,
            form,
            now,
            emergency=flags,
            possible_only=only_possible(found),
            status_code=422,
        )
    services.relay.relay_pending()  # the open desks show the new call now, not at the next poll
    if merged:
        return RedirectResponse(f"/desk/calls/new?merged={number}&call={call_id}", 303)
    if form.next == "assign":
        return RedirectResponse(f"/desk/calls/{call_id}/assign", 303)
    if form.next == "transfer":
        return RedirectResponse(f"/desk/calls/{call_id}/transfer", 303)
    unfinished = "&uncoded=1" if walk is not None and not coded else ""
    return RedirectResponse(f"/desk/calls/new?saved={number}&call={call_id}{unfinished}", 303)


@router.get("/forms/address")
def parse_address(
    services: ServicesDep,
    analyzer: AnalyzerDep,
    user: OperatorDep,
    now: NowDep,
    text: str = "",
    birth_date: str = "",
) -> dict[str, Any]:
    """The address line's components and the district they fall into, as the operator types."""
    with services.db.session() as session:
        mo = mo_context(services, session, user)
    today = mo.local(now).date()
    address = analyzer.address(text[:500], mo.catalog.streets())
    born = typed_birth_date(birth_date, today)
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
    now: NowDep,
    text: str = "",
    birth_date: str = "",
) -> dict[str, Any]:
    """Symptoms, temperature and triage of a free text of the form (the complaint or the note),
    as the operator types; the age from the birth date counts (a fever under 3 months)."""
    with services.db.session() as session:
        mo = mo_context(services, session, user)
    today = mo.local(now).date()
    complaints = triage(analyzer, text, typed_birth_date(birth_date, today), today)
    return {
        "symptoms": list(complaints.symptoms),
        "symptom_labels": [symptom_label(code) for code in complaints.symptoms],
        "temperature": complaints.temperature,
        "emergency": complaints.emergency,
        # every sign only possible: the operator may clear them after asking the caller
        "possible": complaints.emergency and only_possible(complaints.red_flags),
        "red_flags": [f.reason for f in complaints.red_flags],
        "flags": [f.as_json() for f in complaints.red_flags],
    }


@router.get("/forms/age")
def age(user: OperatorDep, now: NowDep, birth_date: str = "") -> dict[str, Any]:
    """«9 лет, Дети» for the age box next to the birth date, and the age in years the
    questionnaire answers its age question with (None while the date is not one)."""
    today = now.date()
    born = typed_birth_date(birth_date, today)
    return {
        "text": _age_text(birth_date, today) if born else "",
        "years": Facts.known(born, None, today).age_years,
    }


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
