"""«Журнал передачи неотложных вызовов в поликлинику»: calls from the ambulance service (СМП)
with the times they were received, accepted, assigned and served, and the MO's deadlines."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.desk.auth import OPERATORS, DeskUser, require_roles
from dispatcher.desk.periods import PeriodRejected, check_days, parse_dates
from dispatcher.storage import tables
from dispatcher.storage.calls import doctor_name
from dispatcher.storage.notify_tables import SmpHandover
from dispatcher.storage.references import MoContext
from dispatcher.web.services import Services
from dispatcher.web.templating import render
from intake_core.call import CallKind, Source
from intake_core.status import CallStatus

router = APIRouter(prefix="/desk/journal/smp", include_in_schema=False)

READERS = (*sorted(OPERATORS), "head")
TEXTS = {
    "readers": "Недостаточно прав: журнал передачи вызовов СМП доступен операторам, "
    "диспетчерам, администраторам и руководителю МО",
    "no_mo": "Медицинская организация не найдена",
}
JournalReaderDep = Annotated[DeskUser, Depends(require_roles(*READERS, message=TEXTS["readers"]))]
MAX_DAYS = 31
SMP_CARD = "smp_card"
CREATED_WITHIN = timedelta(days=1)  # from an intake's receipt to its call
COLUMNS = (
    "Карта СМП",
    "Вызов №",
    "Вид",
    "Код повода",
    "Повод",
    "Бригада",
    "Поступил",
    "Принят поликлиникой",
    "Назначен",
    "Врач",
    "Обслужен",
    "Статус",
    "Назначение, мин",
    "Обслуживание, ч:мин",
    "Сроки",
)


@dataclass(frozen=True, slots=True)
class Period:
    """Local days of the MO, both ends included."""

    first: date
    last: date

    def bounds(self, mo: MoContext) -> tuple[datetime, datetime]:
        start = datetime.combine(self.first, time(), mo.zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(), mo.zone).astimezone(UTC)
        return start, end


def parse_period(first: str | None, last: str | None, today: date) -> Period:
    """The requested days; by default today alone."""
    first_day, last_day = parse_dates(first, last)
    start = first_day or today
    end = last_day or max(start, today)
    check_days(start, end, MAX_DAYS)
    return Period(start, end)


@dataclass(frozen=True, slots=True)
class Deadlines:
    """How the call keeps the MO's limits: assign within N minutes, serve within N hours."""

    assign_by: datetime
    serve_by: datetime | None
    assign_minutes: int | None
    serve_minutes: int | None
    ok: bool | None  # None: still within its limits, not finished
    label: str


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One handed-over call; reason text is for the desk only, never for messages."""

    call_id: int
    call_number: int
    card_number: str | None
    kind: str
    reason_code: str | None
    reason_text: str
    brigade: str | None
    received_at: datetime
    accepted_at: datetime | None
    assigned_at: datetime | None
    served_at: datetime | None
    doctor: str | None
    status: CallStatus
    deadlines: Deadlines


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    return int((end - start).total_seconds() // 60) if start and end else None


def deadlines(call: tables.CallRow, mo: MoContext, now: datetime) -> Deadlines:
    """Whether the call was assigned and served within the MO's limits (30 min and 24 h)."""
    state = CallStatus(call.status)
    assign_by = call.created_at + mo.deadlines.assign
    serve_by = call.assigned_at + mo.deadlines.serve if call.assigned_at else None
    ok: bool | None = False
    if state in (CallStatus.CANCELLED, CallStatus.TRANSFERRED):
        ok, label = None, state.label
    elif call.assigned_at is not None and call.assigned_at > assign_by:
        label = "Назначен с опозданием"
    elif call.assigned_at is None and now > assign_by:
        label = "Назначение просрочено"
    elif serve_by is not None and call.served_at is not None and call.served_at > serve_by:
        label = "Обслужен с опозданием"
    elif serve_by is not None and call.served_at is None and now > serve_by:
        label = "Обслуживание просрочено"
    elif state is CallStatus.SERVED:
        ok, label = True, "В срок"
    else:
        until = serve_by or assign_by
        ok, label = None, f"В работе, срок до {until.astimezone(mo.zone):%d.%m %H:%M}"
    return Deadlines(
        assign_by,
        serve_by,
        _minutes(call.created_at, call.assigned_at),
        _minutes(call.assigned_at, call.served_at),
        ok,
        label,
    )


def _handovers(
    session: Session, mo_id: int, start: datetime, end: datetime
) -> dict[int, SmpHandover]:
    """Handovers of the period by the call they became (a merge may join an older call)."""
    query = (
        select(SmpHandover, tables.Intake.call_id)
        .join(tables.Intake, tables.Intake.id == SmpHandover.intake_id)
        .join(tables.CallRow, tables.CallRow.id == tables.Intake.call_id)
        .where(
            tables.CallRow.mo_id == mo_id,
            SmpHandover.handed_over_at >= start,
            SmpHandover.handed_over_at < end,
        )
        .order_by(SmpHandover.handed_over_at.desc())
    )
    found: dict[int, SmpHandover] = {}
    for handover, call_id in session.execute(query):
        if call_id is not None:
            found[call_id] = handover  # the earliest handover of a call wins
    return found


def _accepted(session: Session, call_ids: list[int]) -> dict[int, datetime]:
    """When each call first became «Новый»: created so, or accepted by an operator."""
    query = (
        select(tables.CallHistory.call_id, tables.CallHistory.at)
        .where(
            tables.CallHistory.call_id.in_(call_ids),
            tables.CallHistory.to_status == CallStatus.NEW.value,
        )
        .order_by(tables.CallHistory.at.desc())
    )
    return {call_id: at for call_id, at in session.execute(query)}


def journal(session: Session, mo: MoContext, period: Period, now: datetime) -> list[JournalRow]:
    """Calls of the ambulance service received in the period, oldest first."""
    start, end = period.bounds(mo)
    calls = {
        c.id: c
        for c in session.scalars(
            select(tables.CallRow).where(
                tables.CallRow.mo_id == mo.id,
                tables.CallRow.source == Source.AMBULANCE.value,
                tables.CallRow.received_at >= start,
                tables.CallRow.received_at < end,
                # created after it was received, within the queue's delay: the indexed column
                tables.CallRow.created_at >= start,
                tables.CallRow.created_at < end + CREATED_WITHIN,
            )
        )
    }
    handovers = _handovers(session, mo.id, start, end)
    missing = [call_id for call_id in handovers if call_id not in calls]
    if missing:
        query = select(tables.CallRow).where(tables.CallRow.id.in_(missing))
        calls |= {c.id: c for c in session.scalars(query)}
    ids = list(calls)
    accepted = _accepted(session, ids)
    cards = dict(
        session.execute(
            select(tables.CallChannel.call_id, tables.CallChannel.value).where(
                tables.CallChannel.call_id.in_(ids), tables.CallChannel.kind == SMP_CARD
            )
        ).all()
    )
    doctor_ids = {c.doctor_id for c in calls.values() if c.doctor_id}
    doctors = {
        d.id: doctor_name(d)
        for d in session.scalars(select(tables.Doctor).where(tables.Doctor.id.in_(doctor_ids)))
    }
    rows = []
    for call in calls.values():
        handover = handovers.get(call.id)
        complaints = call.complaints or {}
        rows.append(
            JournalRow(
                call_id=call.id,
                call_number=call.number,
                card_number=handover.card_number if handover else cards.get(call.id),
                kind=CallKind(call.kind).label,
                reason_code=handover.reason_code if handover else complaints.get("reason_code"),
                reason_text=handover.reason_text if handover else complaints.get("raw", ""),
                brigade=handover.brigade if handover else None,
                received_at=(handover.smp_received_at if handover else None) or call.received_at,
                accepted_at=accepted.get(call.id),
                assigned_at=call.assigned_at,
                served_at=call.served_at,
                doctor=doctors.get(call.doctor_id) if call.doctor_id else None,
                status=CallStatus(call.status),
                deadlines=deadlines(call, mo, now),
            )
        )
    return sorted(rows, key=lambda r: (r.received_at, r.call_number))


def _hours(minutes: int | None) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}" if minutes is not None else ""


def csv_bytes(rows: list[JournalRow], mo: MoContext) -> bytes:
    """The journal as CSV for Excel: BOM, «;», local times."""

    def moment(value: datetime | None) -> str:
        return value.astimezone(mo.zone).strftime("%d.%m.%Y %H:%M") if value else ""

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            (
                r.card_number or "",
                r.call_number,
                r.kind,
                r.reason_code or "",
                r.reason_text,
                r.brigade or "",
                moment(r.received_at),
                moment(r.accepted_at),
                moment(r.assigned_at),
                r.doctor or "",
                moment(r.served_at),
                r.status.label,
                "" if r.deadlines.assign_minutes is None else r.deadlines.assign_minutes,
                _hours(r.deadlines.serve_minutes),
                r.deadlines.label,
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _load(
    request: Request, user: DeskUser
) -> tuple[MoContext, Period, list[JournalRow]] | PeriodRejected:
    services: Services = request.app.state.services
    params = request.query_params
    now = datetime.now(UTC)
    with services.db.session() as session:
        mo = services.directory.by_code(session, user.mo_code)
        if mo is None:
            return PeriodRejected(TEXTS["no_mo"])
        try:
            period = parse_period(
                params.get("first"), params.get("last"), now.astimezone(mo.zone).date()
            )
        except PeriodRejected as exc:
            return exc
        return mo, period, journal(session, mo, period, now)


@router.get("")
def page(request: Request, user: JournalReaderDep) -> Response:
    """The journal for a date range of the user's MO (default: today)."""
    loaded = _load(request, user)
    if isinstance(loaded, PeriodRejected):
        return render(
            request,
            "smp_journal.html",
            status_code=status.HTTP_400_BAD_REQUEST,
            user=user,
            error=str(loaded),
            rows=[],
            first=request.query_params.get("first", ""),
            last=request.query_params.get("last", ""),
        )
    mo, period, rows = loaded
    return render(
        request,
        "smp_journal.html",
        user=user,
        zone=mo.zone,
        mo=mo,
        rows=rows,
        first=period.first.isoformat(),
        last=period.last.isoformat(),
        late=sum(1 for r in rows if r.deadlines.ok is False),
    )


@router.get("/export.csv")
def export_csv(request: Request, user: JournalReaderDep) -> Response:
    """The same rows as the page, as CSV."""
    loaded = _load(request, user)
    if isinstance(loaded, PeriodRejected):
        return Response(str(loaded), status.HTTP_400_BAD_REQUEST, media_type="text/plain")
    mo, period, rows = loaded
    name = f"smp-journal-{period.first}-{period.last}.csv"
    return Response(
        csv_bytes(rows, mo),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
