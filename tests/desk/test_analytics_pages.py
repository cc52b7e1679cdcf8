"""Analytics pages over HTTP: head and admin only, tables, PNG charts, CSV and XLSX exports."""

from __future__ import annotations

import csv
import io
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from PIL import Image

from dispatcher.analytics.charts import CHARTS
from dispatcher.demo.month import OPERATORS, Month
from dispatcher.storage.database import Database
from tests.analytics.conftest import store_small_month
from tests.desk.conftest import http_login, make_user

WEEK = "first=2026-10-01&last=2026-10-07"
WEEK_HTML = WEEK.replace("&", "&amp;")  # as the page writes it
EMPTY = "first=2025-01-01&last=2025-01-07"
PAGE = f"/desk/analytics?{WEEK}"
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def month(db: Database) -> Month:
    generated, _ = store_small_month(db)
    return generated


@pytest.fixture
def head(client: TestClient, db: Database, month: Month) -> TestClient:
    make_user(db, "head1", "head")
    http_login(client, "head1", landing=PAGE)
    return client


def _png(response_content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(response_content))
    image.load()
    return image


def test_analytics_page_shows_tables_and_charts_to_the_head(head: TestClient, month: Month) -> None:
    response = head.get(PAGE)
    assert response.status_code == 200
    html = response.text
    assert "Аналитика: качество приёма и сроки" in html
    assert f'<td>Вызовов за период</td><td class="num">{len(month.calls)}</td>' in html
    for title in ("Повод ≠ факт по операторам", "Нехватка профилей", "Сроки по дням"):
        assert title in html
    assert "Оператор Третий (демо)" in html and "adult_fever_home" in html
    for name in CHARTS:
        assert f'id="chart-{name}" src="/desk/analytics/charts/{name}.png?{WEEK_HTML}' in html
    assert 'id="nav-analytics"' in html


def test_admin_may_open_analytics(client: TestClient, db: Database, month: Month) -> None:
    make_user(db, "admin1", "admin")
    http_login(client, "admin1", landing=PAGE)
    assert client.get(PAGE).status_code == 200


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("agent", "/desk"),
        ("registry", "/desk"),
        ("dispatcher", "/desk"),
        ("doctor", "/desk/doctor"),
    ],
)
def test_analytics_refused_for_operators_and_doctors(
    client: TestClient, db: Database, month: Month, role: str, landing: str
) -> None:
    make_user(db, f"user-{role}", role)
    http_login(client, f"user-{role}", landing=landing)
    for path in (
        PAGE,
        f"/desk/analytics/charts/days.png?{WEEK}",
        f"/desk/analytics/export.xlsx?{WEEK}",
        f"/desk/analytics/doctors.csv?{WEEK}",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Недостаточно прав" in response.text
    assert 'id="nav-analytics"' not in client.get(landing).text


def test_analytics_sends_signed_out_people_to_login(client: TestClient) -> None:
    response = client.get(PAGE, headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/desk/login?next=")


def test_every_chart_renders_as_png(head: TestClient) -> None:
    for name in CHARTS:
        response = head.get(f"/desk/analytics/charts/{name}.png?{WEEK}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == "image/png"
        assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
        image = _png(response.content)
        assert image.size == (800, 400)
        colors = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colors is not None and len(colors) > 50, name  # bars, text, axes: not a blank
        empty = _png(head.get(f"/desk/analytics/charts/{name}.png?{EMPTY}").content)
        assert empty.size == (800, 400)
        assert empty.convert("RGB").tobytes() != image.convert("RGB").tobytes(), name


def test_unknown_chart_or_table_is_404(head: TestClient) -> None:
    assert head.get(f"/desk/analytics/charts/nope.png?{WEEK}").status_code == 404
    assert head.get(f"/desk/analytics/nope.csv?{WEEK}").status_code == 404


def test_csv_export_has_a_row_per_operator_with_hand_counted_figures(
    head: TestClient, month: Month
) -> None:
    response = head.get(f"/desk/analytics/operators.csv?{WEEK}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Оператор", "Карт", "Расхождений", "Доля, %", "Вместо (буква: карт)"]
    totals: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    names = {o.login: o.full_name for o in OPERATORS}
    for call in month.calls:
        card = call.card
        if card is None or card.postfactum_letter is None:
            continue
        name = names.get(card.operator_login or "", "Без оператора (бот, портал)")
        totals[name] += 1
        wrong[name] += card.postfactum_letter != card.branch.letter
    got = {row[0]: (int(row[1]), int(row[2])) for row in rows[1:]}
    assert got == {name: (totals[name], wrong[name]) for name in totals}


def test_xlsx_export_opens_with_a_sheet_per_table(head: TestClient, month: Month) -> None:
    response = head.get(f"/desk/analytics/export.xlsx?{WEEK}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames[:3] == [
        "Сводка",
        "Повод ≠ факт по операторам",
        "Повод ≠ факт по ветвям",
    ]
    summary = {row[0]: row[1] for row in workbook["Сводка"].iter_rows(values_only=True)}
    assert summary["Вызовов за период"] == len(month.calls)
    doctors = list(workbook["Нагрузка на врачей"].iter_rows(values_only=True))
    assert doctors[0][:3] == ("Врач", "Профиль", "Вызовов")
    with_doctor = Counter(c.doctor_code for c in month.calls if c.doctor_code)
    assert len(doctors) - 1 == len(with_doctor)
    assert sorted(row[2] for row in doctors[1:]) == sorted(with_doctor.values())
    days = list(workbook["Сроки по дням"].iter_rows(values_only=True))
    assert len(days) - 1 == 7


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("first=2026-10-07&last=2026-10-01", "Начало периода позже его конца"),
        ("first=07.10.2026&last=2026-10-01", "Даты укажите в формате ГГГГ-ММ-ДД"),
        ("first=2024-01-01&last=2026-10-01", "Период не длиннее 366 дней"),
    ],
)
def test_bad_period_is_refused_in_russian(head: TestClient, query: str, message: str) -> None:
    page = head.get(f"/desk/analytics?{query}")
    assert page.status_code == 400
    assert message in page.text
    chart = head.get(f"/desk/analytics/charts/days.png?{query}")
    assert chart.status_code == 400 and chart.json()["message"] == message


def test_head_sees_only_the_calls_of_their_own_mo(
    client: TestClient, db: Database, month: Month
) -> None:
    make_user(db, "head-other", "head", "DEMO-KRASNOGORSK")
    http_login(client, "head-other", landing=PAGE)
    html = client.get(PAGE).text
    assert '<td>Вызовов за период</td><td class="num">0</td>' in html
    assert "Оператор Третий (демо)" not in html


def test_page_shows_outcomes_diagnoses_trips_and_hours(head: TestClient, month: Month) -> None:
    html = head.get(PAGE).text
    for heading in (
        "Вызовы и сроки по часам суток",
        "Результаты вызовов",
        "Диагнозы (МКБ-10)",
        "Выезд, путь и осмотр",
    ):
        assert f"<h2>{heading}</h2>" in html
    for name in ("hours", "results", "diagnoses", "trip"):
        assert f'id="chart-{name}" src="/desk/analytics/charts/{name}.png?{WEEK_HTML}' in html
    for table in ("sla_hours", "results_departments", "refusals", "diagnosis_top", "trip_doctors"):
        assert f'id="table-{table}"' in html
    assert "<td>Взрослое поликлиническое отделение</td>" in html


def _csv_rows(head: TestClient, name: str) -> list[list[str]]:
    response = head.get(f"/desk/analytics/{name}.csv?{WEEK}")
    assert response.status_code == 200, name
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_outcome_csv_exports_hold_hand_counted_rows(head: TestClient, month: Month) -> None:
    results = _csv_rows(head, "results_departments")
    assert results[0][:3] == ["Отделение", "С результатом", "Оставлен дома"]
    served = Counter(c.department_code for c in month.calls if c.result)
    left = Counter(c.department_code for c in month.calls if c.result == "left_at_home")
    got = {row[0]: (int(row[1]), int(row[2])) for row in results[1:]}
    assert got == {
        "Взрослое поликлиническое отделение": (served["ADULT"], left["ADULT"]),
        "Детское поликлиническое отделение": (served["CHILD"], left["CHILD"]),
    }
    hours = _csv_rows(head, "sla_hours")
    created = Counter(c.created_at.astimezone(MOSCOW).hour for c in month.calls)
    assert {row[0]: int(row[1]) for row in hours[1:]} == {
        f"{h:02d}:00–{h:02d}:59": n for h, n in created.items()
    }
    top = _csv_rows(head, "diagnosis_top")
    categories: Counter[str] = Counter()
    for call in month.calls:
        categories.update({code[:3] for code in call.diagnoses})
    assert [(row[0], int(row[2])) for row in top[1:]] == sorted(
        categories.items(), key=lambda item: (-item[1], item[0])
    )[:20]
    trips = _csv_rows(head, "trip_doctors")
    with_trip = Counter(c.doctor_code for c in month.calls if c.card and c.departed_at)
    assert sorted(int(row[2]) for row in trips[1:]) == sorted(with_trip.values())


def test_xlsx_export_has_the_outcome_sheets(head: TestClient, month: Month) -> None:
    workbook = load_workbook(
        io.BytesIO(head.get(f"/desk/analytics/export.xlsx?{WEEK}").content), read_only=True
    )
    for sheet in (
        "Вызовы и сроки по часам суток",
        "Результаты по отделениям",
        "Результаты по врачам",
        "Диагнозы по классам МКБ-10",
    ):
        assert sheet in workbook.sheetnames, sheet
    results = list(workbook["Результаты по отделениям"].iter_rows(values_only=True))
    assert sum(row[1] for row in results[1:]) == sum(1 for c in month.calls if c.result)
    refused = [c for c in month.calls if c.result == "refused_hospitalisation"]
    refusals = next(name for name in workbook.sheetnames if name.startswith("Отказы"))
    reasons = list(workbook[refusals].iter_rows(values_only=True))
    assert sum(row[1] for row in reasons[1:]) == len(refused)
