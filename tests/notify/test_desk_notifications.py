"""The desk's side of notifications: the dead-letter list with «Повторить» (re-sent to the local
SMS center and webhook receiver), its menu count, and the delivery state on the call card."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast

from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatcher.notify.templates import IN_MESSENGER
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from intake_core.call import CHAT_CHANNEL
from tests.desk.conftest import http_login, make_user
from tests.notify.conftest import PHONE, Pipeline, make_call, subscribe
from tests.notify.receiver import Receiver
from tests.notify.smsc import Smsc

MASKED = "+791***4567"
LIST = "/desk/notifications/dead"
OTHER_MO = "DEMO-KRASNOGORSK"


def _rows(html: str) -> dict[int, str]:
    """The list's (or the card section's) rows by delivery id."""
    return {
        int(m.group(1)): m.group(0)
        for m in re.finditer(r'<tr data-delivery="(\d+)".*?</tr>', html, re.S)
    }


def _menu_count(client: TestClient) -> int:
    """The count the menu's badge shows (its script fetches it after the page is shown)."""
    answer = client.get(f"{LIST}/count", headers={"X-Requested-With": "fetch"})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["count"])


def _fail_everything(
    client: TestClient, db: Database, pipeline: Pipeline, smsc: Smsc, receiver: Receiver
) -> int:
    """A call whose SMS and webhook both fail three times: two dead letters."""
    client.app.state.services.settings = pipeline.settings  # type: ignore[attr-defined]
    _, receiver.secret = subscribe(db, receiver.url)
    smsc.fail_next = receiver.fail_next = 3
    call_id = make_call(db)
    pipeline.run()
    assert {d.state for d in pipeline.deliveries()} == {"dead"}
    return call_id


def test_desk_dead_letters_listed_masked_and_retry_resends_to_the_peers(
    client: TestClient, db: Database, pipeline: Pipeline, smsc: Smsc, receiver: Receiver
) -> None:
    call_id = _fail_everything(client, db, pipeline, smsc, receiver)
    make_user(db, "dl-dispatcher", "dispatcher")
    csrf = http_login(client, "dl-dispatcher", landing=LIST)

    html = client.get(LIST).text
    rows = _rows(html)
    assert len(rows) == 2 and _menu_count(client) == 2
    assert "data-dead-letters-count hidden" in html and "/desk/static/dead_letters.js" in html
    sms = next(r for r in rows.values() if ">SMS<" in r)
    hook = next(r for r in rows.values() if ">Вебхук<" in r)
    assert MASKED in sms and "SMPP SUBMIT_SM_RESP status 0x08" in sms and "Вызов принят" in sms
    assert "МИС" in hook and "Подписчик ответил 500" in hook and "Статус вызова: Новый" in hook
    with db.session() as session:
        number = session.scalar(select(tables.CallRow.number).where(tables.CallRow.id == call_id))
    assert all(f'href="/desk/calls/{call_id}">№ {number}<' in r for r in rows.values())
    assert all('<td class="num">3</td>' in r for r in rows.values())  # attempts
    assert PHONE not in html and PHONE.lstrip("+") not in html
    assert "Вызов врача на дом принят" not in html  # no message text on the page

    for delivery_id in rows:
        answer = client.post(
            f"/desk/notifications/{delivery_id}/retry",
            data={"csrf_token": csrf},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and answer.headers["location"] == f"{LIST}?done=retried"
    after = client.get(f"{LIST}?done=retried").text
    assert "поставлено в очередь" in after and _rows(after) == {}
    assert _menu_count(client) == 0

    pipeline.drain()
    (text,) = smsc.texts()
    assert text.startswith("Вызов врача на дом принят")
    assert receiver.statuses() == ["new"] and receiver.bad_signatures == 0
    states = {d.channel: (d.state, d.attempts) for d in pipeline.deliveries()}
    assert states["webhook"] == ("sent", 1)
    assert states["sms"][0] in {"sent", "delivered"} and states["sms"][1] == 1


def test_desk_dead_letters_filters_by_channel_message_and_call_number(
    client: TestClient, db: Database, pipeline: Pipeline, smsc: Smsc, receiver: Receiver
) -> None:
    call_id = _fail_everything(client, db, pipeline, smsc, receiver)
    with db.session() as session:
        number = cast(
            int, session.scalar(select(tables.CallRow.number).where(tables.CallRow.id == call_id))
        )
    make_user(db, "dl-filters", "registry")
    http_login(client, "dl-filters", landing=LIST)

    only_sms = _rows(client.get(f"{LIST}?channel=sms").text)
    assert len(only_sms) == 1 and ">SMS<" in next(iter(only_sms.values()))
    only_hooks = _rows(client.get(f"{LIST}?template=status").text)
    assert len(only_hooks) == 1 and ">Вебхук<" in next(iter(only_hooks.values()))
    assert len(_rows(client.get(f"{LIST}?call={number}").text)) == 2
    assert _rows(client.get(f"{LIST}?call={number + 1}").text) == {}
    assert _rows(client.get(f"{LIST}?state=undelivered").text) == {}
    assert len(_rows(client.get(f"{LIST}?channel=nonsense&state=dead").text)) == 2


def test_desk_dead_letters_are_for_operators_of_their_mo_with_csrf(
    client: TestClient, db: Database, pipeline: Pipeline, smsc: Smsc, receiver: Receiver
) -> None:
    _fail_everything(client, db, pipeline, smsc, receiver)
    delivery_id = pipeline.deliveries()[0].id
    retry = f"/desk/notifications/{delivery_id}/retry"

    make_user(db, "dl-head", "head")
    csrf = http_login(client, "dl-head", landing="/desk")
    assert client.get(LIST).status_code == 403
    assert client.post(retry, data={"csrf_token": csrf}).status_code == 403
    assert 'id="nav-dead-letters"' not in client.get("/desk").text
    assert client.get(f"{LIST}/count", headers={"X-Requested-With": "fetch"}).status_code == 403

    make_user(db, "dl-stranger", "dispatcher", OTHER_MO)
    csrf = http_login(client, "dl-stranger", landing=LIST)
    assert _rows(client.get(LIST).text) == {} and _menu_count(client) == 0
    refused = client.post(retry, data={"csrf_token": csrf})
    assert refused.status_code == 404 and "Уведомление не найдено" in refused.text

    make_user(db, "dl-agent", "agent")
    csrf = http_login(client, "dl-agent", landing=LIST)
    assert client.post(retry, data={}).status_code == 403  # no CSRF token
    assert client.post(retry, data={"csrf_token": "forged"}).status_code == 403
    assert {d.state for d in pipeline.deliveries()} == {"dead"}
    assert client.post(retry, data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    again = client.post(retry, data={"csrf_token": csrf})
    assert again.status_code == 409 and "уже отправляется повторно" in again.text


def test_call_card_shows_each_message_and_its_delivery_state(
    client: TestClient, db: Database, pipeline: Pipeline, smsc: Smsc, receiver: Receiver
) -> None:
    client.app.state.services.settings = pipeline.settings  # type: ignore[attr-defined]
    _, receiver.secret = subscribe(db, receiver.url)
    receiver.fail_next = 3
    call_id = make_call(db)
    pipeline.run()
    make_user(db, "card-dispatcher", "dispatcher")
    csrf = http_login(client, "card-dispatcher", landing="/desk")

    card = client.get(f"/desk/calls/{call_id}").text
    section = card.split('id="deliveries"', 1)[1].split("</section>", 1)[0]
    rows = _rows(section)
    assert len(rows) == 2
    states = {i: re.search(r'data-state="(\w+)"', row) for i, row in rows.items()}
    by_state = {m.group(1): i for i, m in states.items() if m}
    assert set(by_state) in ({"sent", "dead"}, {"delivered", "dead"})
    sms_row = next(r for r in rows.values() if ">SMS<" in r)
    assert MASKED in sms_row and "Вызов принят" in sms_row
    assert ("Отправлено" in sms_row) or ("Доставлено" in sms_row)
    assert "card-retry-" not in sms_row
    dead_id = by_state["dead"]
    dead_row = rows[dead_id]
    assert "Не отправлено (ошибка)" in dead_row and "Подписчик ответил 500" in dead_row
    assert f'id="card-retry-{dead_id}"' in dead_row

    answer = client.post(
        f"/desk/notifications/{dead_id}/retry",
        data={"csrf_token": csrf, "back": f"/desk/calls/{call_id}"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == f"/desk/calls/{call_id}#deliveries"
    assert "В очереди" in _rows(client.get(f"/desk/calls/{call_id}").text)[dead_id]
    pipeline.drain()
    assert receiver.statuses() == ["new"]
    assert "Отправлено" in _rows(client.get(f"/desk/calls/{call_id}").text)[dead_id]


def test_call_card_without_messages_says_so_and_redirect_stays_on_the_desk(
    client: TestClient, db: Database, pipeline: Pipeline, receiver: Receiver
) -> None:
    client.app.state.services.settings = pipeline.settings  # type: ignore[attr-defined]
    quiet = make_call(db, phone=None)
    pipeline.run()  # no phone, no subscriber yet: no message about this call
    _, receiver.secret = subscribe(db, receiver.url)
    receiver.fail_next = 3
    make_user(db, "card-empty", "registry")
    csrf = http_login(client, "card-empty", landing="/desk")
    assert "Уведомлений по вызову не было" in client.get(f"/desk/calls/{quiet}").text

    noisy = make_call(db, phone=None)
    pipeline.run()
    (dead,) = pipeline.deliveries(call_id=noisy)
    answer = client.post(
        f"/desk/notifications/{dead.id}/retry",
        data={"csrf_token": csrf, "back": "https://evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == f"{LIST}?done=retried"


def test_desk_menu_renders_on_a_page_drawn_inside_its_transaction(
    client: TestClient, db: Database
) -> None:
    """The patient card renders while its session is open: the menu must not need another one
    (on SQLite a second writer-style transaction would wait for it until the lock timeout)."""
    with db.session() as session:
        patient_id = session.scalar(select(tables.PatientRecord.id).limit(1))
    make_user(db, "menu-registry", "registry")
    http_login(client, "menu-registry", landing="/desk")
    card = client.get(f"/desk/patients/{patient_id}")
    assert card.status_code == 200 and 'id="nav-dead-letters"' in card.text


def test_call_card_shows_the_sms_of_a_telegram_call_as_not_sent_on_purpose(
    client: TestClient, db: Database, pipeline: Pipeline, bot_chats: Callable[..., None]
) -> None:
    client.app.state.services.settings = pipeline.settings  # type: ignore[attr-defined]
    bot_chats(7_770_001)
    call_id = make_call(db, source="telegram", channel=(CHAT_CHANNEL, "7770001"))
    pipeline.run()
    make_user(db, "card-chat", "registry")
    http_login(client, "card-chat", landing="/desk")

    card = client.get(f"/desk/calls/{call_id}").text
    (row,) = _rows(card.split('id="deliveries"', 1)[1].split("</section>", 1)[0]).values()
    assert 'data-state="skipped"' in row and "Не отправлялось" in row
    assert IN_MESSENGER in row and "card-retry-" not in row
    assert _menu_count(client) == 0  # not a failure: nothing waits in the dead letters
