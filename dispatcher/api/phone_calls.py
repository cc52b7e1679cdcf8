"""`GET /api/v1/phone-calls`: the calls the AMI listener tracked, for the desk and other systems."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from dispatcher.api.responses import MAX_ID, responses
from dispatcher.api.schemas import IsoDateTime
from dispatcher.services.accounts import Principal
from dispatcher.storage.phone_calls import Outcome, PhoneCall, PhoneCallFilter, list_phone_calls
from dispatcher.web.deps import ServicesDep, actor_for, require
from intake_core.errors import FieldError, ValidationFailed
from intake_core.phones import InvalidPhone, normalize_phone

router = APIRouter(
    prefix="/api/v1/phone-calls", tags=["telephony"], responses=responses(401, 403, 422, 503)
)

PhoneCallsScope = Annotated[Principal, Depends(require("phone-calls"))]


class PhoneCallOut(BaseModel):
    """One inbound or outbound call through the PBX."""

    linkedid: str
    direction: str
    caller: str | None  # E.164, None when the number was withheld
    caller_raw: str | None
    outcome: Outcome
    agent_interface: str | None
    agent_name: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    hold_seconds: int | None
    transferred_to: str | None
    intake_call_id: int | None

    @classmethod
    def of(cls, call: PhoneCall) -> PhoneCallOut:
        return cls(
            linkedid=call.linkedid,
            direction=call.direction,
            caller=call.caller,
            caller_raw=call.caller_raw,
            outcome=call.outcome,
            agent_interface=call.agent_interface,
            agent_name=call.agent_name,
            started_at=call.started_at,
            answered_at=call.answered_at,
            ended_at=call.ended_at,
            hold_seconds=call.hold_seconds,
            transferred_to=call.transferred_to,
            intake_call_id=call.intake_call_id,
        )


@router.get("", response_model=list[PhoneCallOut])
def phone_calls(
    services: ServicesDep,
    principal: PhoneCallsScope,
    outcome: Outcome | None = None,
    caller: Annotated[str | None, Query(description="номер в любом виде: +7…, 8…")] = None,
    agent: Annotated[str | None, Query(description="интерфейс агента, например PJSIP/102")] = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[PhoneCallOut]:
    """Newest first; a token bound to MOs sees only the calls answered in them."""
    phone = None
    if caller:
        try:
            phone = normalize_phone(caller)
        except InvalidPhone as exc:
            raise ValidationFailed([FieldError("caller", "Номер телефона не распознан")]) from exc
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise ValidationFailed([FieldError(name, "Укажите время с часовым поясом")])
    actor = actor_for(services, principal)
    where = PhoneCallFilter(
        outcome=outcome,
        caller=phone,
        agent_interface=agent,
        since=since,
        until=until,
        mo_ids=frozenset(actor.mo_ids) if actor.mo_ids is not None else None,
        limit=limit,
        offset=offset,
    )
    with services.db.session() as session:
        return [PhoneCallOut.of(call) for call in list_phone_calls(session, where)]
