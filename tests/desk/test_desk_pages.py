"""The desk over HTTP: counters, list, fragments, call card, MO scoping, access log, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatcher.storage import tables
from dispatcher.storage.calls import add_channel
from dispatcher.storage.database import Database
from dispatcher.storage.desk_tables import AccessLogEntry
from intake_core.status import CallStatus
from tests.desk.conftest import http_login, make_user
from tests.desk.forms_calls import assign, mo_today, store_demo_call

OTHER_MO = "DEMO-KRASNOGORSK"


def _log(db: Database, login: str) -> list[tuple[str, int, str]]:
    with db.session() as session:
        entries = session.scalars(
            select(AccessLogEntry).where(AccessLogEntry.login == login).order_by(AccessLogEntry.id)
        ).all()
        return [(e.object_kind, e.object_id, e.outcome) for e in entries]


def test_desk_shows_counters_doctors_and_list(client: TestClient, db: Database) -> None:
    make_user(db, "desk1", "dispatcher")
    fresh = store_demo_call(db, "Свежев")
    # the desk reads the real clock: «overdue» is an hour before it, whatever the hour
    old = store_demo_call(db, "Старов", now=datetime.now(UTC) - timedelta(hours=1))
    served_soon = store_demo_call(db, "Назначенов")
    assign(db, served_soon, "D002", mo_today(db))
    http_login(client, "desk1", landing="/desk")
    html = client.get("/desk").text
    assert "Рабочий стол оператора" in html
    for name in ("Свежев", "Старов", "Назначенов"):
        assert name in html
    assert 'id="count-new">2<' in html  # Свежев and Старов (unassigned)
    assert 'id="count-overdue">1<' in html  # Старов: over 30 minutes unassigned
    assert 'id="count-active">1<' in html
    assert f'id="call-{fresh}"' in html and f'id="call-{old}"' in html
    board = client.get("/desk/fragments/board?bucket=overdue").text
    assert 'id="count-overdue">1<' in board and "Тестов" in board  # D002's line
    overdue_rows = client.get("/desk/fragments/rows?bucket=overdue").text
    assert "Старов" in overdue_rows and "Свежев" not in overdue_rows


def test_desk_filters_by_fio_and_row_fragment_answers_204_when_filtered_out(
    client: TestClient, db: Database
) -> None:
    make_user(db, "desk2", "registry")
    wanted = store_demo_call(db, "Искомов")
    other = store_demo_call(db, "Прочий")
    http_login(client, "desk2", landing="/desk")
    html = client.get("/desk?fio=искомов").text
    assert "Искомов" in html and "Прочий" not in html
    assert client.get(f"/desk/fragments/rows/{wanted}?fio=искомов").status_code == 200
    assert client.get(f"/desk/fragments/rows/{other}?fio=искомов").status_code == 204


def test_call_card_shows_fields_history_and_logs_the_opening(
    client: TestClient, db: Database
) -> None:
    make_user(db, "desk3", "dispatcher")
    call_id = store_demo_call(db, "Карточкин")
    http_login(client, "desk3", landing="/desk")
    html = client.get(f"/desk/calls/{call_id}").text
    assert "Карточкин Иван" in html and "История статусов" in html
    assert "Химки, Молодежная 12" in html and "температура 38" in html
    assert f'href="/desk/calls/{call_id}/assign"' in html
    assert f'href="/desk/calls/{call_id}/transfer"' in html
    assert ("call", call_id, "opened") in _log(db, "desk3")


def test_call_card_names_the_department_and_the_channels_in_words(
    client: TestClient, db: Database
) -> None:
    moscow = ZoneInfo("Europe/Moscow")
    created = datetime(2026, 11, 2, 8, 15, tzinfo=moscow)
    call_id = store_demo_call(db, "Каналов", now=created.astimezone(UTC))
    joined = [
        ("telephony", "1764660900.4711", created),
        ("telegram_chat", "tg-55501234", created + timedelta(minutes=7)),
        ("portal_request", "rpgu-7f3a9c", created + timedelta(days=1, hours=2)),
        ("smp_card", "SMP-0042", created + timedelta(minutes=20)),
    ]
    with db.session() as session:
        for kind, value, at in joined:
            add_channel(session, call_id, kind, value, at.astimezone(UTC))
    make_user(db, "desk-channels", "dispatcher")
    http_login(client, "desk-channels", landing="/desk")
    html = client.get(f"/desk/calls/{call_id}").text
    assert '<dd id="department">Взрослое поликлиническое отделение</dd>' in html
    assert ">ADULT<" not in html
    channels = html.split('id="channels">', 1)[1].split("</ul>", 1)[0]
    assert '<span class="phone-origin">поступил по телефону</span> <time>08:15</time>' in channels
    assert "Telegram <time>08:22</time>" in channels
    assert "портал <time>03.11.2026 10:15</time>" in channels
    assert "СМП, карта № SMP-0042 <time>08:35</time>" in channels
    assert "другой канал <time>08:15</time>" in channels  # the test's own channel kind
    for technical in ("1764660900.4711", "tg-55501234", "rpgu-7f3a9c", "telegram_chat", "Каналов"):
        assert technical not in channels


def test_another_mos_call_answers_404_and_the_attempt_is_logged(
    client: TestClient, db: Database
) -> None:
    make_user(db, "stranger", "dispatcher", OTHER_MO)
    call_id = store_demo_call(db, "Чужаков")
    http_login(client, "stranger", landing="/desk")
    response = client.get(f"/desk/calls/{call_id}")
    assert response.status_code == 404 and "Вызов не найден" in response.text
    assert "Чужаков" not in response.text
    assert client.get(f"/desk/fragments/rows/{call_id}").status_code == 204
    assert "Чужаков" not in client.get("/desk").text
    assert _log(db, "stranger") == [("call", call_id, "denied")]


def test_cancel_needs_csrf_and_a_reason_then_moves_the_call(
    client: TestClient, db: Database
) -> None:
    make_user(db, "desk4", "dispatcher")
    call_id = store_demo_call(db, "Отменов")
    token = http_login(client, "desk4", landing="/desk")
    url = f"/desk/calls/{call_id}/cancel"
    assert client.post(url, data={"reason": "дубль"}).status_code == 403
    no_reason = client.post(url, data={"csrf_token": token})
    assert no_reason.status_code == 422 and 'id="action-error"' in no_reason.text
    done = client.post(url, data={"csrf_token": token, "reason": "дубль"}, follow_redirects=False)
    assert done.status_code == 303
    with db.session() as session:
        row = session.get(tables.CallRow, call_id)
        assert row is not None and row.status == CallStatus.CANCELLED.value


def test_head_sees_the_card_without_actions_and_cannot_cancel(
    client: TestClient, db: Database
) -> None:
    make_user(db, "boss", "head")
    call_id = store_demo_call(db, "Начальников")
    token = http_login(client, "boss", landing="/desk")
    card = client.get(f"/desk/calls/{call_id}").text
    assert "Начальников" in card and 'id="actions"' not in card
    refused = client.post(
        f"/desk/calls/{call_id}/cancel", data={"csrf_token": token, "reason": "x"}
    )
    assert refused.status_code == 403
    assert client.get("/desk/admin").status_code == 403


def test_admin_creates_user_and_saves_mo_settings(client: TestClient, db: Database) -> None:
    make_user(db, "chief", "admin")
    token = http_login(client, "chief", landing="/desk/admin")
    created = client.post(
        "/desk/admin/users",
        data={
            "csrf_token": token,
            "login": "newbie",
            "full_name": "Новиков Н. Н.",
            "role": "agent",
            "password": "long-enough-1",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert "newbie" in client.get("/desk/admin").text
    bad = client.post(
        "/desk/admin/settings",
        data={"csrf_token": token, "cutoff": "25:00", "assign": "30", "serve": "24"},
    )
    assert bad.status_code == 422 and "ЧЧ:ММ" in bad.text
    saved = client.post(
        "/desk/admin/settings",
        data={"csrf_token": token, "cutoff": "12:30", "assign": "45", "serve": "12"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with db.session() as session:
        mo = session.scalar(
            select(tables.MedicalOrganization).where(
                tables.MedicalOrganization.code == "DEMO-KHIMKI"
            )
        )
        assert mo is not None
        assert (mo.cutoff, mo.assign_deadline_minutes, mo.serve_deadline_hours) == ("12:30", 45, 12)
    pages = ("/desk/admin/doctors", "/desk/admin/districts", "/desk/admin/mos")
    texts = [client.get(p).text for p in pages]
    assert "D002" in texts[0] and "Молодежная" in texts[1] and OTHER_MO in texts[2]


def test_admin_import_refuses_another_mos_rows(client: TestClient, db: Database) -> None:
    make_user(db, "chief2", "admin")
    token = http_login(client, "chief2", landing="/desk/admin")
    foreign = "mo_code;code;name;category\nDEMO-KRASNOGORSK;X1;Чужое;Взрослые\n"
    refused = client.post(
        "/desk/admin/import",
        data={"csrf_token": token},
        files={"files": ("departments.csv", foreign.encode(), "text/csv")},
    )
    assert refused.status_code == 422 and "другой МО" in refused.text
    own = "mo_code;code;name;category\nDEMO-KHIMKI;NEW1;Новое отделение;Взрослые\n"
    loaded = client.post(
        "/desk/admin/import",
        data={"csrf_token": token},
        files={"files": ("departments.csv", own.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert loaded.status_code == 303
    with db.session() as session:
        assert session.scalar(select(tables.Department).where(tables.Department.code == "NEW1"))
