"""Desk pages of the telephony link: a new call from the caller's card, call-backs, 112."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.desk.auth import DeskUser, OperatorDep
from dispatcher.desk.forms import render_form
from dispatcher.desk.intake_form import NewCallForm
from dispatcher.phone.commands import CallBack, Command, TransferTo112, encode
from dispatcher.services.access import visible_patient
from dispatcher.storage import phone_calls as store
from dispatcher.storage import tables
from dispatcher.web.deps import ServicesDep
from dispatcher.web.templating import render
from intake_core.call import Source, VisitAddress
from intake_core.errors import Conflict, NotFound

router = APIRouter(prefix="/desk", include_in_schema=False)

COMMANDS_MAXLEN = 10_000
TEXTS = {
    "no_phone": "В вашем профиле не указан телефон (интерфейс АТС): перезвонить не получится",
    "queued": "Звоним: сначала зазвонит ваш телефон, затем — пациенту",
    "transfer_queued": "Звонок переводится на 112",
    "no_call": "Телефонный звонок не найден или не ваш",
}


def _interface(session: Session, user: DeskUser) -> str | None:
    row = session.get(tables.User, user.id)
    return row.interface if row is not None and row.interface else None


def _send(services: Any, command: Command) -> None:
    services.redis.xadd(
        services.settings.telephony_commands_stream,
        encode(command),
        maxlen=COMMANDS_MAXLEN,
        approximate=True,
    )


def _own_call(session: Session, user: DeskUser, linkedid: str) -> store.PhoneCall:
    call = store.find_phone_call(session, linkedid)
    if call is None or (call.mo_id is not None and call.mo_id != user.mo_id):
        raise NotFound(TEXTS["no_call"])
    return call


def _prefill(
    session: Session, user: DeskUser, call: store.PhoneCall, patient_id: int | None
) -> NewCallForm:
    """The caller's number, and the chosen patient with their last visit address."""
    form = NewCallForm(
        form_id=uuid.uuid4().hex,
        source=Source.CALL_CENTER.value,
        phone=call.caller or "",
        caller_phone=call.caller or "",
        linkedid=call.linkedid,
    )
    if patient_id is None:
        return form
    patient = visible_patient(session, frozenset({user.mo_id}), patient_id, reader=user)
    last = session.scalar(
        select(tables.CallRow)
        .where(tables.CallRow.patient_id == patient.id, tables.CallRow.mo_id == user.mo_id)
        .order_by(tables.CallRow.created_at.desc())
        .limit(1)
    )
    address = VisitAddress(**last.address).one_line if last is not None else patient.address
    return form.model_copy(
        update={
            "last_name": patient.last_name,
            "first_name": patient.first_name,
            "middle_name": patient.middle_name or "",
            "birth_date": f"{patient.birth_date:%d.%m.%Y}" if patient.birth_date else "",
            "sex": patient.sex or "",
            "policy_series": patient.policy_series or "",
            "policy_number": patient.policy_number or "",
            "phone": patient.phone or form.phone,
            "address": address or "",
        }
    )


@router.get("/phone/{linkedid}/new-call")
def new_call_from_card(
    request: Request,
    services: ServicesDep,
    user: OperatorDep,
    linkedid: str,
    patient: Annotated[int | None, Query()] = None,
) -> Response:
    """«Новый вызов» from the caller's card: the form prefilled, the Linkedid kept."""
    with services.db.session() as session:
        form = _prefill(session, user, _own_call(session, user, linkedid), patient)
    return render_form(request, services, user, form)


@router.post("/phone/{linkedid}/transfer-112")
def transfer_to_112(services: ServicesDep, user: OperatorDep, linkedid: str) -> dict[str, str]:
    """«Перевести на 112»: the listener blind-transfers the caller; the PBX's event records it."""
    with services.db.session() as session:
        call = _own_call(session, user, linkedid)
    _send(services, TransferTo112(call.linkedid, call.agent_channel))
    return {"status": "queued", "message": TEXTS["transfer_queued"]}


@router.get("/callbacks")
def callbacks(
    request: Request,
    services: ServicesDep,
    user: OperatorDep,
    notice: str | None = None,
) -> Response:
    """Abandoned and unanswered calls to ring back: number, time, wait, attempts."""
    with services.db.session() as session:
        entries = store.open_callbacks(session, user.mo_id)
        interface = _interface(session, user)
    return render(
        request,
        "phone_callbacks.html",
        user=user,
        entries=entries,
        interface=interface,
        max_attempts=services.settings.callback_max_attempts,
        notice=TEXTS.get(notice or ""),
    )


@router.post("/callbacks/{callback_id}/call")
def call_back(services: ServicesDep, user: OperatorDep, callback_id: int) -> Response:
    """«Перезвонить»: counted as an attempt, then the listener originates the call."""
    with services.db.session() as session:
        interface = _interface(session, user)
        if interface is None:
            raise Conflict(TEXTS["no_phone"])
        entry = store.start_attempt(session, callback_id, user.mo_id, interface, datetime.now(UTC))
    _send(services, CallBack(entry.id, interface, entry.phone))
    return RedirectResponse("/desk/callbacks?notice=queued", 303)
