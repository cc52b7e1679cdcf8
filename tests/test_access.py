"""Reading a call or a patient by id within the requester's MOs: a call of another MO reads as
missing, and every opening and refusal of a desk user goes to the access log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from dispatcher.services.access import visible_call, visible_patient
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.desk_tables import AccessLogEntry
from intake_core.errors import NotFound
from tests.desk.forms_calls import mo_id, store_demo_call

OTHER_MO = "DEMO-KRASNOGORSK"


@dataclass(frozen=True)
class Reader:
    id: int
    login: str
    mo_id: int


# кто читает (МО читателя), какой вызов → что видно и что записано в журнал доступа
CALLS = [
    ("своя МО", "DEMO-KHIMKI", "stored", "Вызов открыт", "opened"),
    ("чужая МО", OTHER_MO, "stored", "Вызов не найден", "denied"),
    ("нет такого вызова", "DEMO-KHIMKI", "missing", "Вызов не найден", "denied"),
]


def _log(db: Database, login: str) -> list[tuple[str, str]]:
    with db.session() as session:
        rows = session.execute(
            select(AccessLogEntry.object_kind, AccessLogEntry.outcome).where(
                AccessLogEntry.login == login
            )
        ).all()
    return [(kind, outcome) for kind, outcome in rows]


@pytest.mark.parametrize(("case", "reader_mo", "call", "seen", "logged"), CALLS)
def test_visible_call_shows_own_mos_call_and_logs_every_reading(
    db: Database, case: str, reader_mo: str, call: str, seen: str, logged: str
) -> None:
    call_id = store_demo_call(db, "Читаемов")
    if call == "missing":
        call_id += 1000
    reader = Reader(7, f"reader-{uuid.uuid4().hex[:8]}", mo_id(db, reader_mo))
    try:
        with db.session() as session:
            found = visible_call(session, {reader.mo_id}, call_id, reader=reader)
            outcome = "Вызов открыт" if found.id == call_id else "не тот вызов"
    except NotFound as exc:
        outcome = exc.message
    assert outcome == seen, case
    # a refusal is logged even though the request's transaction is rolled back
    assert _log(db, reader.login) == [("call", logged)], case


def test_visible_call_without_a_reader_sees_every_mo_and_logs_nothing(db: Database) -> None:
    call_id = store_demo_call(db, "Системов")
    other = mo_id(db, OTHER_MO)
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(AccessLogEntry))
        assert visible_call(session, None, call_id).patient.last_name == "Системов"
        with pytest.raises(NotFound, match="Вызов не найден"):
            visible_call(session, {other}, call_id)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AccessLogEntry)) == before


def test_visible_patient_of_another_mo_is_not_found_and_the_refusal_logged(db: Database) -> None:
    own = Reader(8, f"own-{uuid.uuid4().hex[:8]}", mo_id(db))
    stranger = Reader(9, f"stranger-{uuid.uuid4().hex[:8]}", mo_id(db, OTHER_MO))
    with db.session() as session:
        patient = tables.PatientRecord(
            mo_id=own.mo_id,
            last_name="Регистров",
            first_name="Иван",
            birth_date=date(1970, 1, 1),
        )
        session.add(patient)
        session.flush()
        patient_id = patient.id
    with db.session() as session:
        assert visible_patient(session, {own.mo_id}, patient_id, reader=own).id == patient_id
    with pytest.raises(NotFound, match="Пациент не найден"), db.session() as session:
        visible_patient(session, {stranger.mo_id}, patient_id, reader=stranger)
    assert _log(db, own.login) == [("patient", "opened")]
    assert _log(db, stranger.login) == [("patient", "denied")]
