"""The ambulance service (СМП) API: hand over urgent calls and «активы», status, the journal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dispatcher.api.external import call_status, hand_over, own_intake
from dispatcher.api.ratelimit import RESPONSES, limited
from dispatcher.api.schemas import (
    DIGITS,
    NON_BLANK,
    NON_BLANK_TEXT,
    CallerBody,
    IntakeBody,
    IsoDate,
    IsoDateTime,
    PatientBody,
)
from dispatcher.services.accounts import Principal
from dispatcher.storage import tables
from dispatcher.storage.calls import doctor_name
from dispatcher.storage.notify_tables import SmpHandover
from dispatcher.web.deps import ServicesDep
from intake_core.call import CallKind, ServiceResult
from intake_core.errors import NotFound
from intake_core.status import CallStatus

router = APIRouter(prefix="/api/v1/smp", tags=["smp"], responses=RESPONSES)
SmpScope = Annotated[Principal, Depends(limited("smp"))]
REASON_CODE = r"^[0-9]{2}[А-ЯЁA-Z]$"


class SmpCallBody(BaseModel):
    """An urgent call («Неотложный») or an «актив» handed over by the ambulance service."""

    card_number: str = Field(
        ..., max_length=64, description="Номер карты вызова СМП", **NON_BLANK_TEXT
    )
    kind: Literal["urgent", "active_visit"] = Field(
        ..., description="urgent — Неотложный, active_visit — Активное посещение"
    )
    reason_code: str | None = Field(
        None, pattern=REASON_CODE, examples=["47Е"], description="Код повода к вызову"
    )
    reason_text: str = Field(
        ...,
        max_length=1000,
        examples=["КАШЕЛЬ У РЕБЕНКА (НЕ ЗАДЫХАЕТСЯ, «ПОСЛУШАТЬ»)"],
        description="Текст повода (обязателен и при коде повода)",
        **NON_BLANK_TEXT,
    )
    brigade: str | None = Field(None, max_length=64, description="Номер бригады СМП")
    received_at: IsoDateTime | None = Field(None, description="Время поступления вызова в СМП")
    mo_code: str | None = Field(None, max_length=32, description="Код МО, куда передан вызов")
    patient: PatientBody
    phone: str | None = Field(None, max_length=40, description="Телефон (8…, +7…, 10 цифр)")
    address: str = Field(..., max_length=1000, json_schema_extra=NON_BLANK)
    entrance: str | None = Field(None, max_length=10, json_schema_extra=DIGITS)
    floor: str | None = Field(None, max_length=10, json_schema_extra=DIGITS)
    intercom: str | None = Field(None, max_length=100)
    notes: str | None = Field(
        None, max_length=1800, description="Примечание (в вызов — с номером карты и бригадой)"
    )

    def intake(self) -> IntakeBody:
        reason = " ".join(p for p in (self.reason_code, self.reason_text) if p)
        brigade = f"Бригада СМП {self.brigade}" if self.brigade else "СМП"
        notes = f"Карта СМП № {self.card_number}; {brigade}"
        return IntakeBody(
            source="smp",
            kind=self.kind,
            mo_code=self.mo_code,
            patient=self.patient,
            phone=self.phone,
            address=self.address,
            entrance=self.entrance,
            floor=self.floor,
            intercom=self.intercom,
            complaints=reason,
            caller=CallerBody(type="СМП", name=brigade),
            notes=f"{notes}. {self.notes}" if self.notes else notes,
            channel_kind="smp_card",
            channel_ref=self.card_number,
        )


class SmpAccepted(BaseModel):
    card_number: str = Field(..., description="Номер карты СМП")
    intake_id: str = Field(..., description="Идентификатор приёма вызова")
    state: str = Field(..., description="queued — вызов получен и обрабатывается")


class CallStatusOut(BaseModel):
    """Состояние переданного вызова: без текста жалоб и диагнозов."""

    intake_id: str
    state: str = Field(..., description="queued / accepted / rejected / emergency")
    call_id: int | None
    call_number: int | None = Field(None, description="Номер карты вызова поликлиники")
    status: str | None = Field(None, description="Статус вызова")
    status_label: str | None = Field(None, description="Статус по-русски")
    planned_date: str | None = Field(None, description="Планируемая дата визита")
    doctor: str | None = Field(None, description="Назначенный врач")
    merged: bool = Field(
        False,
        description="Заявка добавлена к открытому вызову того же пациента (номер в call_number)",
    )
    withdrawn: bool = Field(
        False, description="Заявка отозвана, вызов остаётся открытым по другим обращениям"
    )
    message: str | None = Field(
        None, description="Сообщение по-русски, например «У вас уже есть активный вызов: …»"
    )


def _key(card_number: str) -> str:
    return f"smp-card:{card_number.strip()}"


@router.post(
    "/calls",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SmpAccepted,
    responses={409: {"description": "Этот номер карты уже передан с другими данными"}},
)
def hand_over_call(body: SmpCallBody, services: ServicesDep, principal: SmpScope) -> SmpAccepted:
    """Передать неотложный вызов или актив: повтор с тем же номером карты не создаст второй.
    Если у пациента уже есть открытый вызов, карта добавляется к нему (жалобы и вид
    «Неотложный» тоже): статус карты (GET) ответит `merged: true` и номером этого вызова."""
    submitted = hand_over(services, principal, _key(body.card_number), body.intake())
    if submitted.created:
        try:
            with services.db.session() as session:
                session.add(
                    SmpHandover(
                        client_id=principal.client_id,
                        card_number=body.card_number.strip(),
                        intake_id=submitted.intake_id,
                        kind=CallKind(body.kind).value,
                        reason_code=body.reason_code,
                        reason_text=body.reason_text,
                        brigade=body.brigade,
                        smp_received_at=body.received_at,
                        handed_over_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            pass  # a concurrent repeat of the same card recorded it
    return SmpAccepted(card_number=body.card_number, intake_id=submitted.intake_id, state="queued")


@router.get("/calls/{card_number}", response_model=CallStatusOut)
def call_state(card_number: str, services: ServicesDep, principal: SmpScope) -> dict[str, Any]:
    """Статус вызова по номеру карты СМП."""
    with services.db.session() as session:
        intake = own_intake(session, principal.client_id, _key(card_number))
        if intake is None:
            raise NotFound("Вызов с таким номером карты не найден")
        return call_status(session, intake)


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    return int((end - start).total_seconds() // 60) if start and end else None


@router.get("/journal")
def journal(
    services: ServicesDep,
    principal: SmpScope,
    day: Annotated[
        IsoDate | None, Query(description="Дата передачи (по умолчанию сегодня)")
    ] = None,
) -> dict[str, Any]:
    """«Журнал передачи неотложных вызовов в поликлинику»: получен, принят, назначен,
    обслужен — со временем и сроками (SLA) медицинской организации."""
    now = datetime.now(UTC)
    day = day or now.date()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    with services.db.session() as session:
        query = (
            select(SmpHandover, tables.Intake)
            .join(tables.Intake, tables.Intake.id == SmpHandover.intake_id)
            .where(
                SmpHandover.handed_over_at >= start,
                SmpHandover.handed_over_at < start + timedelta(days=1),
            )
            .order_by(SmpHandover.handed_over_at)
        )
        if "admin" not in principal.scopes:
            query = query.where(SmpHandover.client_id == principal.client_id)
        for handover, intake in session.execute(query):
            call = session.get(tables.CallRow, intake.call_id) if intake.call_id else None
            rows.append(_journal_row(session, services, handover, intake, call, now))
    return {"day": day.isoformat(), "items": rows, "count": len(rows)}


def _journal_row(
    session: Any,
    services: Any,
    handover: SmpHandover,
    intake: tables.Intake,
    call: tables.CallRow | None,
    now: datetime,
) -> dict[str, Any]:
    received = handover.smp_received_at or handover.handed_over_at
    row: dict[str, Any] = {
        "card_number": handover.card_number,
        "kind": handover.kind,
        "kind_label": CallKind(handover.kind).label,
        "reason_code": handover.reason_code,
        "reason_text": handover.reason_text,
        "brigade": handover.brigade,
        "received_at": received.isoformat(),
        "handed_over_at": handover.handed_over_at.isoformat(),
        "intake_state": intake.state,
        "call_number": None,
        "status": None,
        "status_label": None,
        "accepted_at": None,
        "assigned_at": None,
        "doctor": None,
        "served_at": None,
        "result": None,
        "sla": None,
    }
    if call is None:
        return row
    mo_code = session.scalar(
        select(tables.MedicalOrganization.code).where(tables.MedicalOrganization.id == call.mo_id)
    )
    mo = services.directory.by_code(session, mo_code)
    doctor = session.get(tables.Doctor, call.doctor_id) if call.doctor_id else None
    assign_by = call.created_at + mo.deadlines.assign
    serve_by = call.assigned_at + mo.deadlines.serve if call.assigned_at else None
    status = CallStatus(call.status)
    row |= {
        "call_id": call.id,
        "call_number": call.number,
        "mo_code": mo_code,
        "status": status.value,
        "status_label": status.label,
        "accepted_at": call.created_at.isoformat(),
        "assigned_at": call.assigned_at.isoformat() if call.assigned_at else None,
        "doctor": doctor_name(doctor) if doctor else None,
        "served_at": call.served_at.isoformat() if call.served_at else None,
        "result": ServiceResult(call.result).label if call.result else None,
        "sla": {
            "assign_deadline": assign_by.isoformat(),
            "assign_minutes": _minutes(call.created_at, call.assigned_at),
            "assign_ok": (call.assigned_at or now) <= assign_by,
            "serve_deadline": serve_by.isoformat() if serve_by else None,
            "serve_minutes": _minutes(call.assigned_at, call.served_at),
            "serve_ok": serve_by is None or (call.served_at or now) <= serve_by,
        },
    }
    return row
