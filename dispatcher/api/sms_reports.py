"""Delivery reports of an HTTP SMS provider: each one moves the state of its message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from dispatcher.api.ratelimit import RESPONSES, limited
from dispatcher.notify.deliveries import Deliveries
from dispatcher.notify.delivery_state import DeliveryState
from dispatcher.notify.sms import ReportStatus
from dispatcher.services.accounts import Principal
from dispatcher.web.deps import ServicesDep
from intake_core.errors import NotFound

router = APIRouter(prefix="/api/v1/sms", tags=["sms"], responses=RESPONSES)
ReportsScope = Annotated[Principal, Depends(limited("sms_reports"))]
UNKNOWN_MESSAGE = "Сообщение с таким идентификатором не найдено: повторите отчёт позже"


class DeliveryReport(BaseModel):
    """Отчёт SMS-провайдера о доставке одного сообщения."""

    id: str = Field(
        ..., min_length=1, max_length=65, description="Идентификатор, выданный при отправке"
    )
    status: ReportStatus = Field(
        ...,
        description="delivered — доставлено, undelivered / rejected / expired — не доставлено, "
        "enroute — ещё в пути",
    )


class ReportAccepted(BaseModel):
    """Отчёт принят: состояние уведомления после него."""

    id: str = Field(..., description="Идентификатор сообщения провайдера")
    state: str = Field(..., description="Состояние уведомления")
    state_label: str = Field(..., description="Состояние по-русски")


@router.post("/reports", response_model=ReportAccepted)
def delivery_report(
    body: DeliveryReport, services: ServicesDep, principal: ReportsScope
) -> ReportAccepted:
    """Отчёт о доставке SMS от HTTP-провайдера; повтор того же отчёта ничего не меняет.
    404 — сообщение пока не известно (отчёт обогнал запись об отправке): повторите позже."""
    machine = Deliveries.configured(services.db, services.settings)
    state = machine.receipt(body.id, body.status.stat, datetime.now(UTC))
    if state is None:
        raise NotFound(UNKNOWN_MESSAGE)
    return ReportAccepted(id=body.id, state=state, state_label=DeliveryState(state).label)
