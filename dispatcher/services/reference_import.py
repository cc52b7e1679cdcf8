"""Load an MO's reference data from CSV files (UTF-8, `;` or `,`): idempotent upserts by code."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from intake_core.districts import HouseRuleError, parse_house_rules
from intake_core.errors import FieldError, InvalidValue, ValidationFailed
from intake_core.intake import parse_birth_date
from intake_core.phones import InvalidPhone, normalize_phone
from intake_core.policy import parse_policy
from intake_core.profile import load_profiles

# file name -> required columns, in load order
FILES: dict[str, tuple[str, ...]] = {
    "mos.csv": ("code", "name"),
    "departments.csv": ("mo_code", "code", "name", "category"),
    "districts.csv": (
        "mo_code",
        "department_code",
        "district_code",
        "district_name",
        "category",
        "city",
        "street",
        "street_type",
        "houses",
    ),
    "doctors.csv": ("mo_code", "code", "last_name", "first_name", "profile"),
    "patients.csv": ("mo_code", "last_name", "first_name", "birth_date"),
}


@dataclass(slots=True)
class ImportReport:
    counts: dict[str, int] = field(default_factory=dict)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    text = path.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,")
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    for number, row in enumerate(reader, start=2):
        yield number, {k.strip(): (v or "").strip() for k, v in row.items() if k}


def _fail(path: Path, line: int, column: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(f"{path.name}:{line}:{column}", message, "import")])


def _mo_id(session: Session, path: Path, line: int, code: str) -> int:
    mo_id = session.scalar(
        select(tables.MedicalOrganization.id).where(tables.MedicalOrganization.code == code)
    )
    if mo_id is None:
        raise _fail(path, line, "mo_code", f"МО {code} не найдена (загрузите mos.csv)")
    return mo_id


def import_directory(session: Session, directory: Path) -> ImportReport:
    """Load every known file present in `directory`, in dependency order, in one transaction."""
    report = ImportReport()
    found = False
    for name, required in FILES.items():
        path = directory / name
        if not path.exists():
            continue
        found = True
        rows = list(_rows(path))
        if rows:
            missing = [c for c in required if c not in rows[0][1]]
            if missing:
                raise _fail(path, 1, ",".join(missing), "нет обязательных колонок")
        loader = _LOADERS[name]
        report.counts[name] = loader(session, path, rows)
    if not found:
        raise ValidationFailed(
            [FieldError("directory", f"В {directory} нет файлов {', '.join(FILES)}", "import")]
        )
    return report


def _load_mos(session: Session, path: Path, rows: list[tuple[int, dict[str, str]]]) -> int:
    for line, row in rows:
        mo = session.scalar(
            select(tables.MedicalOrganization).where(tables.MedicalOrganization.code == row["code"])
        )
        if mo is None:
            mo = tables.MedicalOrganization(code=row["code"])
            session.add(mo)
        mo.name = row["name"]
        mo.short_name = row.get("short_name") or None
        mo.address = row.get("address") or None
        mo.served = row.get("served", "").casefold() in {"1", "да", "yes", "true"}
        mo.timezone = row.get("timezone") or "Europe/Moscow"
        mo.cutoff = row.get("cutoff") or "13:00"
        try:  # optional: the registry's number the patients' messages name
            mo.phone = normalize_phone(row.get("phone") or None)
        except InvalidPhone as exc:
            raise _fail(path, line, "phone", "телефон регистратуры: 10 цифр") from exc
        try:
            mo.assign_deadline_minutes = int(row.get("assign_deadline_minutes") or 30)
            mo.serve_deadline_hours = int(row.get("serve_deadline_hours") or 24)
        except ValueError as exc:
            raise _fail(path, line, "deadline", "сроки: целые числа") from exc
    session.flush()
    return len(rows)


def _load_departments(session: Session, path: Path, rows: list[tuple[int, dict[str, str]]]) -> int:
    for line, row in rows:
        mo_id = _mo_id(session, path, line, row["mo_code"])
        dep = session.scalar(
            select(tables.Department).where(
                tables.Department.mo_id == mo_id, tables.Department.code == row["code"]
            )
        )
        if dep is None:
            dep = tables.Department(mo_id=mo_id, code=row["code"])
            session.add(dep)
        dep.name = row["name"]
        dep.category = row["category"]
    session.flush()
    return len(rows)


def _load_districts(session: Session, path: Path, rows: list[tuple[int, dict[str, str]]]) -> int:
    seen: set[int] = set()
    for line, row in rows:
        mo_id = _mo_id(session, path, line, row["mo_code"])
        dep_id = session.scalar(
            select(tables.Department.id).where(
                tables.Department.mo_id == mo_id,
                tables.Department.code == row["department_code"],
            )
        )
        if dep_id is None:
            raise _fail(path, line, "department_code", "подразделение не найдено")
        try:
            parse_house_rules(row["houses"])
        except HouseRuleError as exc:
            raise _fail(path, line, "houses", exc.message) from exc
        district = session.scalar(
            select(tables.District).where(
                tables.District.mo_id == mo_id, tables.District.code == row["district_code"]
            )
        )
        if district is None:
            district = tables.District(mo_id=mo_id, code=row["district_code"])
            session.add(district)
        district.department_id = dep_id
        district.name = row["district_name"]
        district.category = row["category"]
        session.flush()
        if district.id not in seen:
            # the file is the whole truth about a district's streets
            session.execute(
                delete(tables.DistrictStreet).where(
                    tables.DistrictStreet.district_id == district.id
                )
            )
            seen.add(district.id)
        session.add(
            tables.DistrictStreet(
                district_id=district.id,
                city=row["city"] or None,
                street=row["street"],
                street_type=row["street_type"] or None,
                houses=row["houses"],
            )
        )
    session.flush()
    return len(rows)


def _load_doctors(session: Session, path: Path, rows: list[tuple[int, dict[str, str]]]) -> int:
    profiles = load_profiles()
    for line, row in rows:
        mo_id = _mo_id(session, path, line, row["mo_code"])
        doctor = session.scalar(
            select(tables.Doctor).where(
                tables.Doctor.mo_id == mo_id, tables.Doctor.code == row["code"]
            )
        )
        if doctor is None:
            doctor = tables.Doctor(mo_id=mo_id, code=row["code"])
            session.add(doctor)
        doctor.last_name = row["last_name"]
        doctor.first_name = row["first_name"]
        doctor.middle_name = row.get("middle_name") or None
        doctor.profile = row["profile"]
        letter = (row.get("profile_letter") or "").strip().upper()
        if letter and letter not in profiles.names:
            raise _fail(path, line, "profile_letter", f"буква профиля {letter} неизвестна")
        doctor.profile_letter = letter or profiles.letter_for(row["profile"])
        doctor.schedule = row.get("schedule", "")
        doctor.active = row.get("active", "1").casefold() not in {"0", "нет", "no", "false"}
        district_code = row.get("district_code")
        doctor.district_id = (
            session.scalar(
                select(tables.District.id).where(
                    tables.District.mo_id == mo_id, tables.District.code == district_code
                )
            )
            if district_code
            else None
        )
        if district_code and doctor.district_id is None:
            raise _fail(path, line, "district_code", f"участок {district_code} не найден")
        try:
            doctor.phone = normalize_phone(row.get("phone"))
        except InvalidPhone as exc:
            raise _fail(path, line, "phone", "неверный телефон") from exc
    session.flush()
    return len(rows)


def _load_patients(session: Session, path: Path, rows: list[tuple[int, dict[str, str]]]) -> int:
    today = date.today()
    for line, row in rows:
        mo_id = _mo_id(session, path, line, row["mo_code"])
        try:
            birth = parse_birth_date(row["birth_date"], today)
            policy = parse_policy(row.get("policy_series"), row.get("policy_number"))
            phone = normalize_phone(row.get("phone"))
        except InvalidValue as exc:  # a birth date, a policy or a phone
            raise _fail(path, line, "patient", exc.message) from exc
        existing = session.scalar(
            select(tables.PatientRecord).where(
                tables.PatientRecord.mo_id == mo_id,
                tables.PatientRecord.last_name == row["last_name"],
                tables.PatientRecord.first_name == row["first_name"],
                tables.PatientRecord.birth_date == birth,
            )
        )
        patient = existing or tables.PatientRecord(mo_id=mo_id)
        if existing is None:
            session.add(patient)
        patient.last_name = row["last_name"]
        patient.first_name = row["first_name"]
        patient.middle_name = row.get("middle_name") or None
        patient.birth_date = birth
        patient.sex = row.get("sex") or None
        patient.policy_series = policy.series if policy else None
        patient.policy_number = policy.number if policy else None
        patient.phone = phone
        patient.address = row.get("address") or None
    session.flush()
    return len(rows)


_LOADERS = {
    "mos.csv": _load_mos,
    "departments.csv": _load_departments,
    "districts.csv": _load_districts,
    "doctors.csv": _load_doctors,
    "patients.csv": _load_patients,
}
