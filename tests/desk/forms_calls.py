"""Calls for the desk-form tests, stored through the intake's own storage path."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime

from dispatcher.services.call_store import store_call
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoDirectory
from intake_core.call import CallKind, Complaints, VisitAddress
from intake_core.intake import Formalized, IntakeRequest, PatientInput, validate
from intake_core.patient import age_category
from intake_core.status import CallStatus

DEMO_MO = "DEMO-KHIMKI"


def store_demo_call(
    db: Database,
    last_name: str,
    street: str = "Молодежная",
    house: str = "12",
    birth_date: str = "1970-01-01",
    now: datetime | None = None,
    policy: str | None = None,
    phone: str | None = None,
) -> int:
    """A new call in the demo MO with an address already parsed; returns its id. Its dates (the
    birth-date check, the age, the planned visit) are the MO's local date of `now`, as the intake's
    own path takes them; `now` defaults to the real clock, which the desk pages read too."""
    now = now or datetime.now(UTC)
    phone = phone or f"+7900{zlib.crc32(last_name.encode()) % 10**7:07d}"
    directory = MoDirectory()
    with db.session() as session:
        mo = directory.by_code(session, DEMO_MO)
        assert mo is not None
        today = mo.local(now).date()
        valid = validate(
            IntakeRequest(
                source="registry",
                patient=PatientInput(
                    last_name=last_name,
                    first_name="Иван",
                    birth_date=birth_date,
                    policy_number=policy,
                ),
                phone=phone,
                address=f"Химки, {street} {house}, кв. 5",
                complaints="температура 38",
                mo_code=DEMO_MO,
            ),
            today,
        )
        address = VisitAddress(
            raw=valid.address,
            city="Химки",
            street=street,
            street_type="улица",
            house=house,
            flat="5",
            intercom="5к",
            entrance="2",
            floor="3",
            confidence=1.0,
        )
        category = age_category(valid.birth_date, today)
        match = mo.catalog.match("Химки", street, house, category)
        formalized = Formalized(
            intake=valid,
            address=address,
            complaints=Complaints(raw=valid.complaints, symptoms=("fever",), temperature=38.0),
            age_category=category,
            kind=CallKind.PRIMARY,
            status=CallStatus.NEW if match else CallStatus.PENDING,
            pending_reasons=() if match else ("Адрес не сопоставлен с участком",),
            district=match,
            planned_date=today,
        )
        stored = store_call(session, formalized, mo, now, now, ("test", last_name), "тест")
        return stored.row.id


def mo_today(db: Database) -> date:
    """Today in the demo MO's zone, read from the real clock exactly as the desk pages read it
    (`datetime.now(UTC).astimezone(mo.zone).date()`): for tests of pages that cannot be given a
    moment. Between 21:00 and 24:00 UTC it is already tomorrow in Moscow."""
    with db.session() as session:
        mo = MoDirectory().by_code(session, DEMO_MO)
        assert mo is not None
        return datetime.now(UTC).astimezone(mo.zone).date()


def doctor_id(db: Database, code: str) -> int:
    with db.session() as session:
        doctor = session.query(tables.Doctor).filter_by(code=code).one()
        return doctor.id


def mo_id(db: Database, code: str = DEMO_MO) -> int:
    with db.session() as session:
        return session.query(tables.MedicalOrganization).filter_by(code=code).one().id


def assign(
    db: Database, call_id: int, doctor_code: str, day: date, now: datetime | None = None
) -> None:
    """The call assigned to the doctor for `day`, at `now` (default: the real clock)."""
    doctor = doctor_id(db, doctor_code)
    with db.session() as session:
        CallLifecycle(session, Actor("тест", None), now=now).assign(call_id, doctor, day)
