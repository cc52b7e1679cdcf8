"""«Маршрутный лист назначенных вызовов на врача»: printable page and a PDF (WeasyPrint)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.desk.auth import RoleForbidden
from dispatcher.desk.doctor_accounts import doctor_of_user
from dispatcher.desk.forms_web import DeskUserDep, ServicesDep, mo_context, page, render_text
from dispatcher.desk.route_rows import RouteSheet, build_route_sheet
from dispatcher.storage import tables
from dispatcher.storage.calls import doctor_name
from intake_core.errors import NotFound

router = APIRouter(prefix="/desk", include_in_schema=False)


def _sheet(
    session: Session, services: Any, user: DeskUserDep, doctor: int | None, day: date | None
) -> RouteSheet:
    """A doctor sees only their own sheet; operators any doctor of their MO."""
    mo = mo_context(services, session, user)
    own = doctor_of_user(session, user.id)
    if own is None and user.role == "doctor":
        raise RoleForbidden(user, "Учётная запись не связана с врачом этой медицинской организации")
    if own is not None:
        if doctor is not None and doctor != own.id:
            raise NotFound("Врач не найден")
        doctor = own.id
    if doctor is None:
        raise NotFound("Выберите врача")
    now = datetime.now(UTC)
    return build_route_sheet(session, mo.id, doctor, day or mo.local(now).date(), mo.zone, now)


def pdf_bytes(html: str) -> bytes:
    """The printable page as a PDF; WeasyPrint is imported here, it loads pango on first use."""
    from weasyprint import HTML

    document: bytes = HTML(string=html).write_pdf()
    return document


@router.get("/route-sheet")
def route_sheet(
    request: Request,
    services: ServicesDep,
    user: DeskUserDep,
    doctor: Annotated[int | None, Query()] = None,
    day: Annotated[date | None, Query(alias="date")] = None,
) -> Response:
    sheet: RouteSheet | None = None
    error: str | None = None
    with services.db.session() as session:
        today = mo_context(services, session, user).local(datetime.now(UTC)).date()
        try:
            sheet = _sheet(session, services, user, doctor, day)
        except NotFound as exc:  # not a doctor of this MO: pick another
            if doctor is not None:
                error = exc.message
        doctors = [
            {"id": d.id, "name": doctor_name(d)}
            for d in session.scalars(
                select(tables.Doctor)
                .where(tables.Doctor.mo_id == user.mo_id)
                .order_by(tables.Doctor.last_name)
            )
        ]
    return page(
        request,
        "route_sheet.html",
        user=user,
        status_code=404 if error and doctor is not None else 200,
        sheet=sheet,
        error=error,
        chosen_day=day or today,  # the picker starts at the MO's today
        doctors=doctors,
        pdf=False,
        back_url="/desk/doctor" if user.role == "doctor" else "/desk",
    )


@router.get("/route-sheet.pdf")
async def route_sheet_pdf(
    services: ServicesDep,
    user: DeskUserDep,
    doctor: Annotated[int | None, Query()] = None,
    day: Annotated[date | None, Query(alias="date")] = None,
) -> Response:
    def build() -> RouteSheet:
        with services.db.session() as session:
            return _sheet(session, services, user, doctor, day)

    sheet = await run_in_threadpool(build)
    html = render_text("route_sheet.html", sheet=sheet, pdf=True, doctors=[], back_url="")
    document = await run_in_threadpool(pdf_bytes, html)
    filename = f"route-sheet-{sheet.doctor_code}-{sheet.day.isoformat()}.pdf"
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
