"""Every free text of the new call form is triaged with the facts known, and the questionnaire
does not ask what the form already says: the server side (live parses and saving)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dispatcher.desk.forms_web import desk_now
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.dispatch_tables import CallServiceCard
from tests.desk.conftest import http_login, make_user
from tests.desk.forms_calls import store_demo_call

# a Wednesday morning in Moscow: the dates below are ages at this moment, whatever today is
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
BORN_2_MONTHS = "20.09.2026"
BORN_6_MONTHS = "20.05.2026"
BORN_2_YEARS = "20.11.2024"
BORN_ADULT = "01.02.1970"


@pytest.fixture
def desk(client: TestClient, db: Database) -> Iterator[tuple[TestClient, str]]:
    """A registry operator signed in, the forms' clock held at NOW; the CSRF token."""
    client.app.dependency_overrides[desk_now] = lambda: NOW  # type: ignore[attr-defined]
    make_user(db, "triage", "registry")
    yield client, http_login(client, "triage")
    client.app.dependency_overrides.pop(desk_now)  # type: ignore[attr-defined]


def _form(csrf: str, **typed: str) -> dict[str, str]:
    """A complete form of an invented patient; `typed` changes its fields."""
    return {
        "csrf_token": csrf,
        "form_id": f"triage-{typed.get('last_name', 'Нотова')}",
        "last_name": "Нотова",
        "first_name": "Мария",
        "birth_date": BORN_ADULT,
        "phone": "+7 900 555-31-41",
        "address": "Химки, Молодежная 13, кв. 5",
        "district_code": "T2",
        "complaints": "кашель, насморк",
        "next": "save",
    } | typed


def _calls(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(tables.CallRow)) or 0


def _call_id(saved_location: str) -> int:
    return int(saved_location.split("call=", 1)[1].split("&", 1)[0])


# the live check of any free text: text, birth date → emergency, the red flag named
LIVE = [
    ("температура 38.5", BORN_2_MONTHS, True, "до 3 месяцев"),
    ("температура 38.5", BORN_2_YEARS, False, None),
    ("температура 38.5", "", False, None),
    ("домофон не работает, позвонить за полчаса", BORN_ADULT, False, None),
    ("не дышит, губы синие", BORN_ADULT, True, "дыхания"),
    ("температура 38.5", "2026-09-20", True, "до 3 месяцев"),  # ISO dates are read too
]


@pytest.mark.parametrize(("text", "born", "emergency", "flag"), LIVE)
def test_live_triage_counts_the_age_from_the_birth_date(
    desk: tuple[TestClient, str], text: str, born: str, emergency: bool, flag: str | None
) -> None:
    client, _ = desk
    found = client.get("/desk/forms/complaints", params={"text": text, "birth_date": born})
    assert found.status_code == 200
    assert found.json()["emergency"] is emergency
    if flag:
        assert any(flag in reason for reason in found.json()["red_flags"]), found.json()


@pytest.mark.parametrize(
    ("born", "years"),
    [(BORN_2_MONTHS, 2 / 12), (BORN_2_YEARS, 2.0), (BORN_ADULT, 56 + 9 / 12), ("31.02.2020", None)],
)
def test_age_box_gives_the_questionnaire_the_age_in_years(
    desk: tuple[TestClient, str], born: str, years: float | None
) -> None:
    client, _ = desk
    answer = client.get("/desk/forms/age", params={"birth_date": born}).json()
    assert answer["years"] == (pytest.approx(years) if years is not None else None)
    assert bool(answer["text"]) is (years is not None)


@pytest.mark.parametrize(
    ("complaints", "notes", "born", "flag"),
    [
        ("кашель, насморк", "со слов дочери: не дышит, губы синие", BORN_ADULT, "дыхания"),
        ("кашель", "температура 38,5 с утра", BORN_2_MONTHS, "до 3 месяцев"),
    ],
)
def test_server_refuses_an_emergency_written_in_the_note(
    desk: tuple[TestClient, str],
    db: Database,
    complaints: str,
    notes: str,
    born: str,
    flag: str,
) -> None:
    client, csrf = desk
    form = _form(csrf, complaints=complaints, notes=notes, birth_date=born)
    refused = client.post("/desk/calls/new", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert 'id="emergency-banner" role="alert" data-live >' in refused.text  # shown
    assert flag in refused.text
    assert notes in refused.text  # what was typed stays in the form
    assert 'id="btn-save" accesskey="s"' in refused.text and "disabled>Сохранить<" in refused.text
    assert _calls(db) == 0
    with db.session() as session:
        recorded = session.scalars(
            select(tables.OutboxEvent.topic).where(tables.OutboxEvent.topic == "intake.emergency")
        ).all()
    assert recorded == ["intake.emergency"]  # recorded as for an emergency complaint


def test_a_harmless_note_and_a_toddlers_fever_are_saved(
    desk: tuple[TestClient, str], db: Database
) -> None:
    client, csrf = desk
    form = _form(
        csrf,
        birth_date=BORN_2_YEARS,
        complaints="температура 38.5",
        notes="домофон не работает, позвонить за полчаса",
    )
    saved = client.post("/desk/calls/new", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with db.session() as session:
        row = session.get(tables.CallRow, _call_id(saved.headers["location"]))
        assert row is not None and row.notes == "домофон не работает, позвонить за полчаса"
        assert row.created_at == NOW


def _card(db: Database, call_id: int) -> CallServiceCard | None:
    with db.session() as session:
        card = session.get(CallServiceCard, call_id)
        if card is not None:
            session.expunge(card)
        return card


# answers sent by the page, birth date, complaint → the code written, the transcript's length
KNOWN = [
    # the age is not asked: the page sends the facts' answer…
    (["home", "no", "adult", "fever", "no"], BORN_ADULT, "кашель, температура 37,5", "60Т", 5),
    # …or leaves it out (an older page): the server answers it from the birth date
    (["home", "no", "fever", "no"], BORN_ADULT, "кашель, температура 37,5", "60Т", 5),
    # a stale age answer is overruled by the birth date
    (["home", "no", "child", "cold"], BORN_ADULT, "кашель", None, None),
    # 39.4 in the complaint answers «39 и выше…» for the adult
    (["home", "no", "adult", "fever"], BORN_ADULT, "температура 39,4", "61Т", 5),
    # a toddler: the age answered, the complaint's temperature too
    (["home", "no", "fever", "no"], BORN_2_YEARS, "температура 39,1", "71П", 6),
]


@pytest.mark.parametrize(("answers", "born", "complaints", "code", "steps"), KNOWN)
def test_questionnaire_answers_what_the_form_knows(
    desk: tuple[TestClient, str],
    db: Database,
    answers: list[str],
    born: str,
    complaints: str,
    code: str | None,
    steps: int | None,
) -> None:
    client, csrf = desk
    form = _form(csrf, birth_date=born, complaints=complaints, reason_answers=json.dumps(answers))
    answer = client.post("/desk/calls/new", data=form, follow_redirects=False)
    if code is None:  # «child» gave way to the birth date: «cold» is no answer of the adult's
        assert answer.status_code == 422 and "не из вариантов вопроса" in answer.text
        assert _calls(db) == 0
        return
    assert answer.status_code == 303, answer.text
    card = _card(db, _call_id(answer.headers["location"]))
    assert card is not None and card.reason_code == code
    assert len(card.answers) == steps
    assert card.answers[2]["question"] == "Сколько лет пациенту?"


def test_infants_fever_known_from_the_form_exits_the_questionnaire(
    desk: tuple[TestClient, str], db: Database
) -> None:
    """Six months and 38.5: the triage lets it through (the rule is under 3 months), but the
    questionnaire's answers known from the form lead to its exit, and nothing is saved."""
    client, csrf = desk
    live = client.get(
        "/desk/forms/complaints", params={"text": "температура 38,5", "birth_date": BORN_6_MONTHS}
    )
    assert live.json()["emergency"] is False
    form = _form(
        csrf,
        birth_date=BORN_6_MONTHS,
        complaints="температура 38,5",
        reason_answers=json.dumps(["home", "no"]),
    )
    refused = client.post("/desk/calls/new", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert "Температура у ребёнка до года" in refused.text
    assert _calls(db) == 0


def test_half_answered_questionnaire_saves_like_an_untouched_one(
    desk: tuple[TestClient, str], db: Database
) -> None:
    client, csrf = desk
    untouched = client.post(
        "/desk/calls/new", data=_form(csrf, last_name="Нетронутова"), follow_redirects=False
    )
    assert untouched.status_code == 303, untouched.text
    assert "uncoded" not in untouched.headers["location"]
    half = client.post(
        "/desk/calls/new",
        data=_form(csrf, last_name="Половинкина", reason_answers=json.dumps(["home", "no"])),
        follow_redirects=False,
    )
    assert half.status_code == 303, half.text
    call_id = _call_id(half.headers["location"])
    assert _card(db, call_id) is None and _card(db, _call_id(untouched.headers["location"])) is None
    notice = client.get(half.headers["location"]).text
    assert "сохранён без кода повода: опросник не был пройден до конца" in notice
    assert f'href="/desk/calls/{call_id}/reason" id="nc-code-later"' in notice
    # answers not from the tree are still refused, in Russian
    bad = client.post(
        "/desk/calls/new",
        data=_form(csrf, last_name="Ошибкина", reason_answers=json.dumps(["home", "maybe"])),
        follow_redirects=False,
    )
    assert bad.status_code == 422 and "не из вариантов вопроса" in bad.text


def test_reason_dialog_of_a_stored_call_answers_its_age_from_the_birth_date(
    desk: tuple[TestClient, str], db: Database
) -> None:
    client, csrf = desk
    call_id = store_demo_call(db, "Датова", house="13", birth_date="1970-02-01", now=NOW)
    page = client.get(f"/desk/calls/{call_id}/reason").text
    assert 'data-age-years="56.75"' in page and 'data-temperature="38.0"' in page
    coded = client.post(
        f"/desk/calls/{call_id}/reason",
        data={"answers": json.dumps(["home", "no", "fever", "no"]), "csrf_token": csrf},
        follow_redirects=False,
    )
    assert coded.status_code == 303, coded.text
    card = _card(db, call_id)
    assert card is not None and card.reason_code == "60Т"
    assert [step["answer"] for step in card.answers][2] == "Взрослый (18 лет и старше)"


CHEST_PAIN = "боли в грудной клетке"  # a possible sign: the operator asks how it hurts

# the live check: text → emergency, every sign only possible, a sign named
LIVE_POSSIBLE = [
    (CHEST_PAIN, True, True, "боль в груди — уточните"),
    ("со вчерашнего дня двоится в глазах", True, True, "двоение в глазах"),
    (f"{CHEST_PAIN}, не дышит", True, False, "Тяжёлое нарушение дыхания"),
    ("давящая боль за грудиной", True, False, "Острая боль в груди"),
    ("кашель, насморк", False, False, None),
]


@pytest.mark.parametrize(("text", "emergency", "possible", "flag"), LIVE_POSSIBLE)
def test_live_triage_says_when_every_sign_is_only_possible(
    desk: tuple[TestClient, str], text: str, emergency: bool, possible: bool, flag: str | None
) -> None:
    client, _ = desk
    found = client.get("/desk/forms/complaints", params={"text": text, "birth_date": BORN_ADULT})
    assert found.status_code == 200
    answer = found.json()
    assert (answer["emergency"], answer["possible"]) == (emergency, possible), answer
    assert [f["reason"] for f in answer["flags"]] == answer["red_flags"]
    if flag:
        assert any(flag in f["reason"] for f in answer["flags"]), answer
    if possible:
        assert all(f["possible"] for f in answer["flags"])


def _history(db: Database, call_id: int) -> list[tables.CallHistory]:
    with db.session() as session:
        rows = session.scalars(
            select(tables.CallHistory)
            .where(tables.CallHistory.call_id == call_id)
            .order_by(tables.CallHistory.id)
        ).all()
        session.expunge_all()
        return list(rows)


def _emergencies(db: Database) -> int:
    with db.session() as session:
        return len(
            session.scalars(
                select(tables.OutboxEvent.id).where(tables.OutboxEvent.topic == "intake.emergency")
            ).all()
        )


def test_possible_sign_is_refused_until_the_operator_confirms_it_is_no_emergency(
    desk: tuple[TestClient, str], db: Database
) -> None:
    client, csrf = desk
    form = _form(csrf, last_name="Грудинина", complaints=CHEST_PAIN)
    refused = client.post("/desk/calls/new", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert 'class="nc-emergency nc-possible" id="emergency-banner"' in refused.text
    assert "Возможны экстренные показания — уточните у звонящего!</strong>" in refused.text
    assert "уточните характер, силу и давность боли" in refused.text  # the question to ask
    assert 'id="possible-confirm" >' in refused.text  # offered, not hidden
    assert "disabled>Сохранить<" in refused.text
    assert (_calls(db), _emergencies(db)) == (0, 1)

    saved = client.post(
        "/desk/calls/new", data=form | {"not_emergency": "1"}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    call_id = _call_id(saved.headers["location"])
    with db.session() as session:
        row = session.get(tables.CallRow, call_id)
        assert row is not None
        assert row.emergency is False and row.complaints["emergency"] is False
        assert [(f["code"], f["possible"]) for f in row.complaints["red_flags"]] == [
            ("chest_pain_unqualified", True)
        ]
    confirmed = [h for h in _history(db, call_id) if h.action == "not_emergency_confirmed"]
    assert len(confirmed) == 1
    assert (confirmed[0].actor, confirmed[0].at) == ("triage", NOW)
    assert confirmed[0].reason is not None
    assert confirmed[0].reason.startswith("Уточнено у звонящего: не экстренный случай")
    assert "боль в груди" in confirmed[0].reason
    assert _emergencies(db) == 1  # the confirmed call is no emergency redirect
    card = client.get(f"/desk/calls/{call_id}").text
    assert '<dt class="flag">Возможный экстренный признак</dt>' in card
    assert "Уточнено у звонящего: не экстренный случай" in card


# complaint, note → a certain sign among the possible ones: refused even when confirmed
CERTAIN_TOO = [
    (f"{CHEST_PAIN}, не дышит", ""),
    (CHEST_PAIN, "со слов дочери: губы синие, задыхается"),
    ("давящая боль за грудиной", ""),
]


@pytest.mark.parametrize(("complaints", "notes"), CERTAIN_TOO)
def test_certain_sign_is_refused_even_with_the_confirmation(
    desk: tuple[TestClient, str], db: Database, complaints: str, notes: str
) -> None:
    client, csrf = desk
    form = _form(csrf, complaints=complaints, notes=notes, not_emergency="1")
    refused = client.post("/desk/calls/new", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert 'class="nc-emergency" id="emergency-banner"' in refused.text
    assert 'id="possible-confirm" hidden>' in refused.text
    assert "Экстренные показания — вызов врача на дом не оформляется!</strong>" in refused.text
    assert (_calls(db), _emergencies(db)) == (0, 1)
