"""«Журнал передачи неотложных вызовов в поликлинику» at the desk: СМП calls of a date range with
their times and deadlines, CSV export, roles."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatcher.desk.smp_journal import deadlines
from dispatcher.services import accounts
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.storage import tables
from dispatcher.storage.calls import add_channel
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoDirectory
from intake_core.status import CallStatus
from tests.conftest import auth
from tests.desk.conftest import DEMO_MO, http_login, make_user
from tests.desk.forms_calls import store_demo_call

MOSCOW = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 11, 2, tzinfo=MOSCOW)
JOURNAL = "/desk/journal/smp"
OTHER_MO = "DEMO-KRASNOGORSK"


def smp_call(
    db: Database,
    name: str,
    created: datetime,
    card: str | None = None,
    assigned: timedelta | None = None,
    served: timedelta | None = None,
    source: str = "ambulance",
    mo_code: str = DEMO_MO,
) -> int:
    """A stored urgent call as the СМП desk form or handover leaves it, moved along in time."""
    call_id = store_demo_call(db, name, now=created.astimezone(UTC))
    with db.session() as session:
        row = session.get(tables.CallRow, call_id)
        assert row is not None
        row.source, row.kind = source, "urgent"
        if mo_code != DEMO_MO:
            mo = session.scalar(
                select(tables.MedicalOrganization).where(tables.MedicalOrganization.code == mo_code)
            )
            assert mo is not None
            row.mo_id = mo.id
        if assigned is not None:
            doctor = session.scalar(select(tables.Doctor).where(tables.Doctor.code == "D001"))
            assert doctor is not None
            row.doctor_id, row.status = doctor.id, CallStatus.ACTIVE.value
            row.assigned_at = created.astimezone(UTC) + assigned
        if served is not None:
            row.status, row.result = CallStatus.SERVED.value, "left_at_home"
            row.served_at = created.astimezone(UTC) + served
        if card:
            add_channel(session, call_id, "smp_card", card, created.astimezone(UTC))
        return call_id


def _rows(html: str) -> dict[int, str]:
    return {
        int(m.group(1)): m.group(0)
        for m in re.finditer(r'<tr data-call="(\d+)">.*?</tr>', html, re.S)
    }


def test_smp_journal_lists_the_periods_smp_calls_with_times_and_deadlines(
    client: TestClient, db: Database
) -> None:
    on_time = smp_call(
        db,
        "Вовремяев",
        DAY.replace(hour=8),
        "SMP-1001",
        timedelta(minutes=20),
        timedelta(hours=4, minutes=20),
    )
    late = smp_call(db, "Опоздаев", DAY.replace(hour=9), "SMP-1002", timedelta(minutes=45))
    waiting = smp_call(db, "Ждунов", DAY.replace(hour=10))
    registry = smp_call(db, "Регистров", DAY.replace(hour=11), source="registry")
    next_day = smp_call(db, "Завтрашний", DAY.replace(hour=9) + timedelta(days=1))
    foreign = smp_call(db, "Чужой", DAY.replace(hour=12), mo_code=OTHER_MO)
    make_user(db, "journal-disp", "dispatcher")
    http_login(client, "journal-disp", landing="/desk")

    page = client.get(f"{JOURNAL}?first=2026-11-02&last=2026-11-02")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert list(rows) == [on_time, late, waiting]  # by the time received, oldest first
    assert registry not in rows and next_day not in rows and foreign not in rows
    assert 'id="journal-total">3<' in page.text and 'id="journal-late">2<' in page.text

    first = rows[on_time]
    assert "SMP-1001" in first and "Неотложный" in first and "температура 38" in first
    for moment in ("02.11.2026 08:00", "02.11.2026 08:20", "02.11.2026 12:20"):
        assert f"<time>{moment}</time>" in first
    assert "через 20 мин" in first and "через 4 ч 0 мин" in first
    assert "Демидова А. П." in first and "Обслуженный" in first
    assert '<td class="sla sla-ok">В срок</td>' in first
    assert '<td class="sla sla-late">Назначен с опозданием</td>' in rows[late]
    assert "через 45 мин" in rows[late]
    assert '<td class="sla sla-late">Назначение просрочено</td>' in rows[waiting]
    # accepted: the call was created as «Новый» at once
    assert rows[waiting].count("<time>02.11.2026 10:00</time>") == 2

    both_days = _rows(client.get(f"{JOURNAL}?first=2026-11-02&last=2026-11-03").text)
    assert list(both_days) == [on_time, late, waiting, next_day]


def test_smp_journal_csv_has_the_pages_rows(client: TestClient, db: Database) -> None:
    smp_call(
        db,
        "Вовремяев",
        DAY.replace(hour=8),
        "SMP-1001",
        timedelta(minutes=20),
        timedelta(hours=4, minutes=20),
    )
    smp_call(db, "Ждунов", DAY.replace(hour=10))
    make_user(db, "journal-csv", "registry")
    http_login(client, "journal-csv", landing="/desk")
    page = client.get(f"{JOURNAL}?first=2026-11-02&last=2026-11-02").text
    assert 'href="/desk/journal/smp/export.csv?first=2026-11-02&amp;last=2026-11-02"' in page

    export = client.get(f"{JOURNAL}/export.csv?first=2026-11-02&last=2026-11-02")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "smp-journal-2026-11-02-2026-11-02.csv" in export.headers["content-disposition"]
    assert export.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    header, *rows = table
    assert header[:3] == ["Карта СМП", "Вызов №", "Вид"] and header[-1] == "Сроки"
    assert len(rows) == 2
    served = dict(zip(header, rows[0], strict=True))
    assert served["Карта СМП"] == "SMP-1001" and served["Поступил"] == "02.11.2026 08:00"
    assert served["Назначен"] == "02.11.2026 08:20" and served["Обслужен"] == "02.11.2026 12:20"
    assert served["Назначение, мин"] == "20" and served["Обслуживание, ч:мин"] == "4:00"
    assert served["Врач"] == "Демидова А. П." and served["Сроки"] == "В срок"
    assert dict(zip(header, rows[1], strict=True))["Сроки"] == "Назначение просрочено"


def test_smp_journal_refuses_bad_periods_and_other_roles(client: TestClient, db: Database) -> None:
    make_user(db, "journal-head", "head")
    http_login(client, "journal-head", landing="/desk")
    assert client.get(JOURNAL).status_code == 200  # today by default
    reversed_period = client.get(f"{JOURNAL}?first=2026-11-03&last=2026-11-02")
    assert reversed_period.status_code == 400 and "Начало периода позже" in reversed_period.text
    assert client.get(f"{JOURNAL}?first=2026-01-01&last=2026-03-01").status_code == 400
    assert client.get(f"{JOURNAL}/export.csv?first=02.11.2026").status_code == 400

    make_user(db, "journal-doctor", "doctor")
    http_login(client, "journal-doctor", landing="/desk/doctor")
    refused = client.get(JOURNAL)
    assert refused.status_code == 403 and "журнал передачи вызовов СМП" in refused.text
    assert client.get(f"{JOURNAL}/export.csv").status_code == 403
    assert 'id="nav-smp-journal"' not in client.get("/desk/doctor").text


def test_smp_journal_shows_a_handover_from_the_ambulance_api(
    client: TestClient, db: Database, request: pytest.FixtureRequest
) -> None:
    pytest.importorskip("nlp.address", reason="the NLP package is being written")
    worker = request.getfixturevalue("worker")
    with db.session() as session:
        token = accounts.create_token(session, "СМП Химки", ["smp"], [DEMO_MO])
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=25)
    handed = client.post(
        "/api/v1/smp/calls",
        json={
            "card_number": "87331",
            "kind": "active_visit",
            "reason_code": "47Е",
            "reason_text": "КАШЕЛЬ У РЕБЕНКА (НЕ ЗАДЫХАЕТСЯ, «ПОСЛУШАТЬ»)",
            "brigade": "12",
            "received_at": received.isoformat(),
            "patient": {"last_name": "Петров", "first_name": "Иван", "birth_date": "2013-07-22"},
            "phone": "8 (926) 000-00-01",
            "address": "Химки, ул. Молодежная, д. 63, кв. 31",
        },
        headers=auth(token),
    )
    assert handed.status_code == 202
    worker.drain()
    make_user(db, "journal-agent", "agent")
    http_login(client, "journal-agent", landing="/desk")

    # the API stamps the handover with the real clock: ask for the day it was received and the
    # next, so a handover 25 minutes after a Moscow midnight is in the journal all the same
    first = received.astimezone(MOSCOW).date()
    period = f"?first={first.isoformat()}&last={(first + timedelta(days=1)).isoformat()}"
    (row,) = _rows(client.get(JOURNAL + period).text).values()
    assert "87331" in row and "<strong>47Е</strong> КАШЕЛЬ У РЕБЕНКА" in row
    assert "<td>12</td>" in row and "Активное посещение" in row
    assert f"<time>{received.astimezone(MOSCOW):%d.%m.%Y %H:%M}</time>" in row
    assert "В работе, срок до" in row or "Назначение просрочено" in row
    assert "926" not in row  # no phone in the journal


NOON = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DEADLINE_CASES = [
    # status, assigned after creation, served after creation, now after creation → label, ok
    ("new", None, None, timedelta(minutes=10), "В работе, срок до 02.11 15:30", None),
    ("new", None, None, timedelta(minutes=31), "Назначение просрочено", False),
    (
        "active",
        timedelta(minutes=29),
        None,
        timedelta(hours=20),
        "В работе, срок до 03.11 15:29",
        None,
    ),
    ("active", timedelta(minutes=29), None, timedelta(hours=25), "Обслуживание просрочено", False),
    ("active", timedelta(minutes=31), None, timedelta(hours=1), "Назначен с опозданием", False),
    (
        "served",
        timedelta(minutes=5),
        timedelta(hours=25),
        timedelta(days=2),
        "Обслужен с опозданием",
        False,
    ),
    ("served", timedelta(minutes=5), timedelta(hours=24), timedelta(days=2), "В срок", True),
    ("cancelled", None, None, timedelta(hours=3), "Отменён", None),
    ("transferred", None, None, timedelta(hours=3), "Передан в другую МО", None),
]


@pytest.mark.parametrize(("state", "assigned", "served", "later", "label", "ok"), DEADLINE_CASES)
def test_smp_journal_deadline_labels(
    db: Database,
    state: str,
    assigned: timedelta | None,
    served: timedelta | None,
    later: timedelta,
    label: str,
    ok: bool | None,
) -> None:
    with db.session() as session:
        mo = MoDirectory().by_code(session, DEMO_MO)
    assert mo is not None
    call = tables.CallRow(
        status=state,
        created_at=NOON,
        assigned_at=NOON + assigned if assigned else None,
        served_at=NOON + served if served else None,
    )
    found = deadlines(call, mo, NOON + later)
    assert (found.label, found.ok) == (label, ok)


def test_smp_journal_accepted_is_when_an_operator_took_a_pending_call(
    client: TestClient, db: Database
) -> None:
    created = DAY.replace(hour=7, minute=50)
    call_id = store_demo_call(db, "Непонятнов", street="Несуществующая", now=created)
    with db.session() as session:
        row = session.get(tables.CallRow, call_id)
        assert row is not None and row.status == CallStatus.PENDING.value
        row.source = "ambulance"
    make_user(db, "journal-pending", "dispatcher")
    http_login(client, "journal-pending", landing="/desk")
    before = _rows(client.get(f"{JOURNAL}?first=2026-11-02&last=2026-11-02").text)[call_id]
    assert before.count("<time></time>") == 3  # not accepted, assigned or served yet
    assert "Назначение просрочено" in before

    with db.session() as session:
        actor = Actor("Оператор", None)
        CallLifecycle(session, actor, now=DAY.replace(hour=8, minute=25)).accept(call_id)
    after = _rows(client.get(f"{JOURNAL}?first=2026-11-02&last=2026-11-02").text)[call_id]
    assert "<time>02.11.2026 07:50</time><" in after  # received
    assert "<td><time>02.11.2026 08:25</time></td>" in after  # accepted
