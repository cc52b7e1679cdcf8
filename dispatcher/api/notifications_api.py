"""Messages about calls: delivery state on the call card, dead letters and «повторить»,
patients' SMS opt-out, MO quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from dispatcher.api.ratelimit import RESPONSES, limited
from dispatcher.api.responses import RowId, responses
from dispatcher.notify import delivery_views, preferences
from dispatcher.notify.dead_letters import dead_letters as given_up
from dispatcher.notify.jobs import retry_dead_letter
from dispatcher.services.access import visible_call_row
from dispatcher.services.accounts import Principal
from dispatcher.web.deps import ServicesDep, actor_for
from intake_core.errors import NotFound

router = APIRouter(tags=["notifications"], responses=RESPONSES)
ReadLimited = Annotated[Principal, Depends(limited("calls:read"))]
WriteLimited = Annotated[Principal, Depends(limited("calls:write"))]
AdminLimited = Annotated[Principal, Depends(limited("admin"))]


class PreferenceBody(BaseModel):
    phone: str = Field(..., max_length=40, description="Телефон пациента")
    sms_enabled: bool = Field(..., description="false — пациент отказался от SMS")


class QuietHoursBody(BaseModel):
    start: str = Field(..., pattern=r"^\d{2}:\d{2}$", examples=["22:00"])
    end: str = Field(..., pattern=r"^\d{2}:\d{2}$", examples=["08:00"])


@router.get("/api/v1/calls/{call_id}/notifications")
def call_notifications(
    call_id: RowId, services: ServicesDep, principal: ReadLimited
) -> dict[str, Any]:
    """Сообщения о вызове (SMS, вебхуки) и их доставка: на карточку вызова."""
    actor = actor_for(services, principal)
    with services.db.session() as session:
        visible_call_row(session, actor.mo_ids, call_id)
        items = delivery_views.for_call(session, call_id)
    return {"items": [i.as_json() for i in items]}


@router.get("/api/v1/notifications/dead-letters")
def dead_letters(
    services: ServicesDep,
    principal: ReadLimited,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Неотправленные уведомления (после N попыток или прерванные) — для кнопки «повторить»."""
    actor = actor_for(services, principal)
    with services.db.session() as session:
        items = given_up(session, actor.mo_ids, limit)
    return {"items": [i.as_json() for i in items], "count": len(items)}


@router.post(
    "/api/v1/notifications/{delivery_id}/retry",
    responses=responses(409, c409="SMS могло уже дойти: повтор только с confirm=true"),
)
def retry(
    delivery_id: RowId,
    services: ServicesDep,
    principal: WriteLimited,
    confirm: Annotated[
        bool,
        Query(description="Повторить SMS, которое могло уже дойти (`fate_unknown`): без этого 409"),
    ] = False,
) -> dict[str, Any]:
    """Повторить отправку неотправленного уведомления. SMS, прерванное на отправке, могло уже
    дойти до пациента: его повтор требует `confirm=true`, иначе 409 с предупреждением."""
    mo_ids = actor_for(services, principal).mo_ids
    retry_dead_letter(services.db, services.redis, services.settings, delivery_id, mo_ids, confirm)
    return {"id": delivery_id, "state": "queued", "state_label": "В очереди"}


@router.put("/api/v1/notifications/preferences")
def set_preference(
    body: PreferenceBody, services: ServicesDep, principal: WriteLimited
) -> dict[str, Any]:
    """Согласие или отказ пациента от SMS по номеру телефона."""
    with services.db.session() as session:
        phone = preferences.set_sms(
            session, body.phone, body.sms_enabled, principal.actor, datetime.now(UTC)
        )
    return {"phone": phone, "sms_enabled": body.sms_enabled}


@router.put("/api/v1/notifications/quiet-hours/{mo_code}")
def set_quiet_hours(
    mo_code: str, body: QuietHoursBody, services: ServicesDep, principal: AdminLimited
) -> dict[str, Any]:
    """Тихие часы МО (местное время): несрочные SMS ждут их окончания; уже отложенные SMS
    получают время отправки по новым часам (`rescheduled` — сколько)."""
    if principal.mo_codes and mo_code not in principal.mo_codes:
        raise NotFound(f"Медицинская организация {mo_code} не найдена")
    with services.db.session() as session:
        held = preferences.set_quiet_hours(
            session, mo_code, body.start, body.end, datetime.now(UTC)
        )
    # SMS the new hours release now go with the next sweep of the notify process
    return {"mo_code": mo_code, "start": body.start, "end": body.end, "rescheduled": held}
