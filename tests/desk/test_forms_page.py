"""The new call form: its page, and typed fields to the core's request and back to errors."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from dispatcher.desk.intake_form import NewCallForm, field_errors
from dispatcher.storage.database import Database
from intake_core.errors import ValidationFailed
from intake_core.intake import validate
from tests.desk.conftest import http_login, make_user
from tests.desk.forms_calls import DEMO_MO


@pytest.fixture
def desk(client: TestClient, db: Database) -> TestClient:
    """A registry operator signed in through the real login form."""
    make_user(db, "reg", "registry")
    http_login(client, "reg")
    return client


def test_new_call_form_page_has_every_block(desk: TestClient) -> None:
    page = desk.get("/desk/calls/new")
    assert page.status_code == 200
    html = page.text
    for text in (
        "Первичный",
        "Повторный",
        "Активное посещение",
        "Неотложный",
        "Кто пациент",
        "Адрес",
        "Частный сектор",
        "Констатация смерти",
        "Кто вызывает",
        "Сохранить и назначить",
        "Передать в другое ЛПУ",
        "T1 — Терапевтический участок №1",
    ):
        assert text in html, text
    # «Сохранить» comes first in the form, so Enter in a field saves
    assert html.index('id="btn-save"') < html.index('id="btn-save-assign"')


def test_new_call_form_shows_merge_notice_with_the_call_number(desk: TestClient) -> None:
    page = desk.get("/desk/calls/new?merged=57012&call=3")
    assert "открытый вызов № 57012" in page.text
    assert page.text.count('href="/desk/calls/3"') == 1


ERRORS = [
    # typed fields, input → message fragment
    ({}, {"last_name": "фамилию", "first_name": "имя", "address": "адрес", "phone": "телефон"}),
    ({"birth_date": "31.02.2020"}, {"birth_date": "Неверная дата"}),
    ({"caller_phone": "12"}, {"caller_phone": "елефон"}),
    ({"entrance": "второй"}, {"entrance": "только цифры"}),
    ({"policy_number": "123"}, {"policy_number": "олис"}),
]


@pytest.mark.parametrize(("typed", "expected"), ERRORS)
def test_form_errors_land_next_to_their_fields(
    typed: dict[str, str], expected: dict[str, str]
) -> None:
    base = {"last_name": "Иванов", "first_name": "Иван", "address": "Химки", "complaints": "кашель"}
    base |= {"phone": "+79000000001"}
    form = NewCallForm(**(base | typed if typed else {}))
    with pytest.raises(ValidationFailed) as caught:
        validate(form.to_request(DEMO_MO), date(2026, 11, 23))
    shown = field_errors(caught.value.errors)
    for name, fragment in expected.items():
        assert fragment in shown[name].casefold() or fragment in shown[name], (name, shown)
