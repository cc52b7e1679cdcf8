"""Analytics pages for the head of an MO: dispatch-code quality, deadlines, load; PNG, CSV, XLSX."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse, Response

from dispatcher.analytics.charts import CHARTS, chart_png
from dispatcher.analytics.export import csv_bytes, xlsx_bytes
from dispatcher.analytics.facts import load_facts, load_names, mo_frame
from dispatcher.analytics.recent import RecentReports
from dispatcher.analytics.records import Period
from dispatcher.analytics.report import Cell, Report, build_report, tables
from dispatcher.desk.auth import DeskUser, require_roles
from dispatcher.desk.periods import PeriodRejected, check_days, parse_dates
from dispatcher.web.services import Services
from dispatcher.web.templating import render

router = APIRouter(prefix="/desk/analytics", include_in_schema=False)

ANALYSTS = ("head", "admin")
AnalystDep = Annotated[DeskUser, Depends(require_roles(*ANALYSTS))]
MAX_DAYS = 366
CACHE_SECONDS = 60.0  # the page's charts, loaded right after it, reuse its report
_CACHE_LOCK = threading.Lock()
DEFAULT_DAYS = 30
TEXTS = {
    "no_table": "Такой таблицы нет",
    "no_chart": "Такого графика нет",
}
SECTIONS = (  # heading, charts, tables
    ("Коды выезда: качество приёма", ("operators", "branches"), ("operators", "branches")),
    (
        "Нехватка профилей и помощь не тем профилем",
        ("shortage",),
        ("shortage", "sent_needed"),
    ),
    (
        "Сроки назначения и обслуживания",
        ("assign", "serve"),
        ("percentiles", "assign_buckets", "serve_buckets"),
    ),
    ("Сроки по дням и каналам", ("days", "channels"), ("sla_days", "sla_channels")),
    ("Сроки по отделениям и участкам", (), ("sla_departments", "sla_districts")),
    ("Вызовы и сроки по часам суток", ("hours",), ("sla_hours",)),
    (
        "Результаты вызовов",
        ("results",),
        ("results_departments", "results_profiles", "results_doctors", "refusals"),
    ),
    ("Диагнозы (МКБ-10)", ("diagnoses",), ("diagnosis_chapters", "diagnosis_top")),
    ("Выезд, путь и осмотр", ("trip",), ("trip_departments", "trip_doctors")),
    ("Нагрузка на врачей", ("doctors",), ("doctors",)),
)


def parse_period(first: str | None, last: str | None, today: date) -> Period:
    """The requested local days; by default the last 30 days up to today."""
    first_day, last_day = parse_dates(first, last)
    end = last_day or today
    start = first_day or end - timedelta(days=DEFAULT_DAYS - 1)
    check_days(start, end, MAX_DAYS)
    return Period(start, end)


def _recent(request: Request) -> RecentReports:
    """This app's report cache, made on first use."""
    with _CACHE_LOCK:
        cache = getattr(request.app.state, "analytics_reports", None)
        if cache is None:
            cache = RecentReports(CACHE_SECONDS)
            request.app.state.analytics_reports = cache
    assert isinstance(cache, RecentReports)
    return cache


def _report(request: Request, user: DeskUser) -> Report:
    services: Services = request.app.state.services
    params = request.query_params
    with services.db.session() as session:
        mo = mo_frame(session, user.mo_id)
    period = parse_period(params.get("first"), params.get("last"), datetime.now(mo.zone).date())

    def build() -> Report:
        with services.db.session() as session:
            facts = load_facts(session, mo, period)
            names = load_names(session, mo.id)
        return build_report(facts, names, mo, period, datetime.now(UTC))

    return _recent(request).get((mo, period), build)


def cell(value: Cell) -> str:
    """A figure as people read it: decimal comma, a dash for «no data»."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def _rejected(exc: PeriodRejected) -> Response:
    return JSONResponse({"message": exc.message}, status.HTTP_400_BAD_REQUEST)


def _file_name(report: Report, stem: str, suffix: str) -> str:
    return f"analytics-{stem}-{report.period.first}-{report.period.last}.{suffix}"


@router.get("")
def page(request: Request, user: AnalystDep) -> Response:
    """Tables and charts for any date range of the user's MO."""
    try:
        report = _report(request, user)
    except PeriodRejected as exc:
        return render(
            request,
            "analytics.html",
            status_code=status.HTTP_400_BAD_REQUEST,
            user=user,
            error=exc.message,
            first=request.query_params.get("first", ""),
            last=request.query_params.get("last", ""),
        )
    query = urlencode({"first": report.period.first, "last": report.period.last})
    today = datetime.now(report.mo.zone).date()
    month_start = today.replace(day=1)
    previous_end = month_start - timedelta(days=1)
    return render(
        request,
        "analytics.html",
        user=user,
        report=report,
        tables={t.name: t for t in tables(report)},
        charts=CHARTS,
        sections=SECTIONS,
        query=query,
        cell=cell,
        first=report.period.first.isoformat(),
        last=report.period.last.isoformat(),
        zone=report.mo.zone,
        shortcuts=(
            ("7 дней", today - timedelta(days=6), today),
            ("30 дней", today - timedelta(days=29), today),
            ("Этот месяц", month_start, today),
            ("Прошлый месяц", previous_end.replace(day=1), previous_end),
        ),
    )


@router.get("/charts/{name}.png")
def chart(name: str, request: Request, user: AnalystDep) -> Response:
    """One chart of the period as a PNG image."""
    found = CHARTS.get(name)
    if found is None:
        return JSONResponse({"message": TEXTS["no_chart"]}, status.HTTP_404_NOT_FOUND)
    try:
        report = _report(request, user)
    except PeriodRejected as exc:
        return _rejected(exc)
    return Response(
        chart_png(found, report),
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=60"},
    )


@router.get("/export.xlsx")
def export_xlsx(request: Request, user: AnalystDep) -> Response:
    """Every table of the period, a sheet each."""
    try:
        report = _report(request, user)
    except PeriodRejected as exc:
        return _rejected(exc)
    heading = f"Аналитика {report.mo.name}: {report.period.first} — {report.period.last}"
    return Response(
        xlsx_bytes(tables(report), heading),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{_file_name(report, "all", "xlsx")}"'
        },
    )


@router.get("/{name}.csv")
def export_csv(name: str, request: Request, user: AnalystDep) -> Response:
    """One table of the period as CSV."""
    try:
        report = _report(request, user)
    except PeriodRejected as exc:
        return _rejected(exc)
    found = {t.name: t for t in tables(report)}.get(name)
    if found is None:
        return JSONResponse({"message": TEXTS["no_table"]}, status.HTTP_404_NOT_FOUND)
    return Response(
        csv_bytes(found),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_file_name(report, name, "csv")}"'
        },
    )
