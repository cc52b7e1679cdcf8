"""The registry's number a patient is told to call comes from the MO's reference data."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from dispatcher.services.messenger.clinic_phone import ClinicPhones
from dispatcher.services.reference_import import import_directory
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoDirectory
from intake_core.errors import ValidationFailed
from tests.bots.conftest import CLINIC_PHONE, MO_PHONES

# MO code of the call (None: no address yet) → the number the patient reads
CASES = [
    ("DEMO-KHIMKI", MO_PHONES["DEMO-KHIMKI"]),  # the MO's own registry
    ("DEMO-KRASNOGORSK", MO_PHONES["DEMO-KRASNOGORSK"]),
    ("DEMO-TALDOM", CLINIC_PHONE),  # its data names no phone: the bot's number
    ("НЕТ-ТАКОЙ", CLINIC_PHONE),  # an MO the directory does not know
    (None, CLINIC_PHONE),  # two MOs are served: which one is not known yet
]


@pytest.mark.parametrize(("mo_code", "expected"), CASES)
def test_clinic_phone_is_the_mos_own_else_the_bots(
    db: Database, mo_code: str | None, expected: str
) -> None:
    with db.session() as session:
        session.execute(
            update(tables.MedicalOrganization)
            .where(tables.MedicalOrganization.code == "DEMO-TALDOM")
            .values(phone=None)
        )
    assert ClinicPhones(db, MoDirectory(), CLINIC_PHONE).phone(mo_code) == expected


def test_clinic_phone_of_the_one_served_mo_before_the_address(db: Database) -> None:
    with db.session() as session:
        session.execute(
            update(tables.MedicalOrganization)
            .where(tables.MedicalOrganization.code != "DEMO-KHIMKI")
            .values(served=False)
        )
    assert ClinicPhones(db, MoDirectory()).phone(None) == MO_PHONES["DEMO-KHIMKI"]


def test_clinic_phone_is_none_when_nobody_knows_it(db: Database) -> None:
    with db.session() as session:
        session.execute(update(tables.MedicalOrganization).values(phone=None))
    assert ClinicPhones(db, MoDirectory()).phone("DEMO-KHIMKI") is None


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("8 (495) 123-45-67", "+74951234567"),
        ("+7 495 123 45 67", "+74951234567"),
        ("", None),  # the column is optional
    ],
)
def test_mo_import_reads_the_registry_phone(
    db: Database, tmp_path: Path, phone: str, stored: str | None
) -> None:
    (tmp_path / "mos.csv").write_text(
        f"code;name;served;phone\nDEMO-KHIMKI;Поликлиника;да;{phone}\n", encoding="utf-8"
    )
    with db.session() as session:
        import_directory(session, tmp_path)
    with db.session() as session:
        mo = session.query(tables.MedicalOrganization).filter_by(code="DEMO-KHIMKI").one()
        assert mo.phone == stored


def test_mo_import_refuses_a_registry_phone_that_is_not_one(db: Database, tmp_path: Path) -> None:
    (tmp_path / "mos.csv").write_text(
        "code;name;served;phone\nDEMO-KHIMKI;Поликлиника;да;123\n", encoding="utf-8"
    )
    with db.session() as session, pytest.raises(ValidationFailed) as refused:
        import_directory(session, tmp_path)
    assert refused.value.errors[0].field == "mos.csv:2:phone"
    assert "телефон регистратуры" in refused.value.errors[0].message
