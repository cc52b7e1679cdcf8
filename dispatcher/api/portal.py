"""The regional portal (РПГУ) API: a patient's personal account creates, reads, cancels."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from dispatcher.api.external import call_status, hand_over, own_intake
from dispatcher.api.ratelimit import RESPONSES, limited
from dispatcher.api.schemas import (
    DIGITS,
    NON_BLANK,
    NON_BLANK_TEXT,
    CallerBody,
    IntakeBody,
    PatientBody,
)
from dispatcher.api.smp import CallStatusOut
from dispatcher.services.accounts import Principal
from dispatcher.services.withdrawal import withdraw
from dispatcher.web.deps import ServicesDep, actor_for
from intake_core.errors import NotFound

router = APIRouter(prefix="/api/v1/portal", tags=["portal"], responses=RESPONSES)
PortalScope = Annotated[Principal, Depends(limited("portal"))]


class PortalCallBody(BaseModel):
    """The portal's «Вызов врача на дом» form, field by field."""

    request_id: str = Field(
        ..., max_length=100, description="Номер заявки на портале", **NON_BLANK_TEXT
    )
    mo_code: str | None = Field(None, max_length=32)
    patient: PatientBody
    street: str = Field(
        ...,
        max_length=300,
        description="Адрес",
        examples=["ул. Центральная"],
        **NON_BLANK_TEXT,
    )
    city: str | None = Field(None, max_length=200, examples=["Химки"])
    house: str = Field(..., max_length=20, description="Дом", **NON_BLANK_TEXT)
    korpus: str | None = Field(None, max_length=20, description="Корпус")
    building: str | None = Field(None, max_length=20, description="Строение")
    flat: str | None = Field(None, max_length=20, description="Квартира")
    entrance: str | None = Field(
        None, max_length=10, description="Подъезд", json_schema_extra=DIGITS
    )
    floor: str | None = Field(None, max_length=10, description="Этаж", json_schema_extra=DIGITS)
    intercom: str | None = Field(None, max_length=100, description="Код домофона")
    private_sector: bool | None = Field(None, description="Частный сектор", strict=True)
    phone: str = Field(
        ...,
        max_length=40,
        description="Контактный телефон (8…, +7…, 10 цифр)",
        json_schema_extra=NON_BLANK,
    )
    complaints: str = Field(
        ..., max_length=4000, description="Жалобы и симптомы", json_schema_extra=NON_BLANK
    )
    caller: CallerBody = CallerBody()

    def intake(self) -> IntakeBody:
        parts = [self.city, self.street, f"д. {self.house}"]
        parts += [f"корп. {self.korpus}" if self.korpus else None]
        parts += [f"стр. {self.building}" if self.building else None]
        parts += [f"кв. {self.flat}" if self.flat else None]
        return IntakeBody(
            source="portal",
            mo_code=self.mo_code,
            patient=self.patient,
            phone=self.phone,
            address=", ".join(p for p in parts if p),
            entrance=self.entrance,
            floor=self.floor,
            intercom=self.intercom,
            private_sector=self.private_sector,
            complaints=self.complaints,
            caller=self.caller,
            channel_kind="portal_request",
            channel_ref=self.request_id,
        )


class PortalAccepted(BaseModel):
    request_id: str = Field(..., description="Номер заявки на портале")
    intake_id: str
    state: str = Field(..., description="queued — заявка получена и обрабатывается")


class CancelBody(BaseModel):
    reason: str = Field(..., max_length=500, description="Причина отмены", **NON_BLANK_TEXT)


def _key(request_id: str) -> str:
    return f"portal:{request_id.strip()}"


@router.post(
    "/calls",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PortalAccepted,
    responses={409: {"description": "Этот номер заявки уже использован для другого вызова"}},
)
def create(body: PortalCallBody, services: ServicesDep, principal: PortalScope) -> PortalAccepted:
    """Оформить вызов врача на дом из личного кабинета; повтор заявки не создаст второй вызов.
    Если у пациента уже есть активный вызов, заявка добавляется к нему: статус заявки
    (GET) ответит `merged: true`, номером этого вызова и сообщением «У вас уже есть активный
    вызов»."""
    submitted = hand_over(services, principal, _key(body.request_id), body.intake())
    return PortalAccepted(request_id=body.request_id, intake_id=submitted.intake_id, state="queued")


@router.get("/calls/{request_id}", response_model=CallStatusOut)
def read(request_id: str, services: ServicesDep, principal: PortalScope) -> dict[str, Any]:
    """Статус вызова для личного кабинета пациента."""
    with services.db.session() as session:
        intake = own_intake(session, principal.client_id, _key(request_id))
        if intake is None:
            raise NotFound("Заявка не найдена")
        return call_status(session, intake)


@router.post(
    "/calls/{request_id}/cancel",
    response_model=CallStatusOut,
    responses={409: {"description": "Вызов уже закрыт, или эта заявка уже отозвана"}},
)
def cancel(
    request_id: str, body: CancelBody, services: ServicesDep, principal: PortalScope
) -> dict[str, Any]:
    """Отменить вызов по просьбе пациента (пока он не обслужен). Если о том же вызове просили и
    по другому обращению (Telegram, телефон, СМП), отзывается только заявка портала: вызов
    остаётся, ответ `withdrawn: true` с сообщением об этом."""
    actor = actor_for(services, principal)
    with services.db.session() as session:
        intake = own_intake(session, principal.client_id, _key(request_id))
        if intake is None or intake.call_id is None:
            raise NotFound("Вызов по этой заявке не найден")
        channel = (
            intake.payload.get("channel_kind") or "portal_request",
            intake.payload.get("channel_ref") or request_id.strip(),
        )
        withdraw(session, actor, intake.call_id, channel, f"Отменён пациентом: {body.reason}")
    services.relay.relay_pending()
    with services.db.session() as session:
        found = own_intake(session, principal.client_id, _key(request_id))
        assert found is not None
        return call_status(session, found)
