"""The assign dialog's doctors: the district's first, each with load today and tomorrow."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from dispatcher.storage.calls import doctor_name
from intake_core.errors import FieldError, ValidationFailed
from intake_core.schedule import DayLoad, Schedule, ScheduleError, day_load, parse_schedule
from intake_core.status import CallStatus

# both took a slot of the doctor's day: an active visit still to make, a served one already made
LOADED_STATUSES = (CallStatus.ACTIVE.value, CallStatus.SERVED.value)


@dataclass(frozen=True, slots=True)
class DoctorOption:
    """One row of the assign dialog."""

    id: int
    code: str
    name: str
    full_name: str
    profile: str
    district_code: str | None
    district_name: str | None
    own_district: bool
    loads: tuple[DayLoad, ...]
    schedule_problem: str | None

    @property
    def search_text(self) -> str:
        parts = (self.full_name, self.profile, self.district_code or "", self.district_name or "")
        return " ".join(parts).casefold()


def assigned_counts(
    session: Session, mo_id: int, days: Collection[date]
) -> dict[tuple[int, date], int]:
    """Calls per (doctor, planned date) that occupy the doctor's day."""
    rows = session.execute(
        select(tables.CallRow.doctor_id, tables.CallRow.planned_date, func.count())
        .where(
            tables.CallRow.mo_id == mo_id,
            tables.CallRow.doctor_id.is_not(None),
            tables.CallRow.status.in_(LOADED_STATUSES),
            tables.CallRow.planned_date.in_(list(days)),
        )
        .group_by(tables.CallRow.doctor_id, tables.CallRow.planned_date)
    ).all()
    return {(doctor_id, day): int(count) for doctor_id, day, count in rows if doctor_id}


def _schedule(text: str) -> tuple[Schedule, str | None]:
    try:
        return parse_schedule(text), None
    except ScheduleError as exc:
        return Schedule({}), exc.message


def doctor_options(
    session: Session,
    mo_id: int,
    district_id: int | None,
    days: tuple[date, ...],
    now_local: datetime,
    visit_minutes: int,
) -> list[DoctorOption]:
    """Active doctors of the MO: the call's district first, then the others, by name."""
    districts = {
        d.id: d
        for d in session.scalars(select(tables.District).where(tables.District.mo_id == mo_id))
    }
    counts = assigned_counts(session, mo_id, days)
    options: list[DoctorOption] = []
    doctors = session.scalars(
        select(tables.Doctor)
        .where(tables.Doctor.mo_id == mo_id, tables.Doctor.active.is_(True))
        .order_by(tables.Doctor.last_name, tables.Doctor.first_name)
    )
    for doctor in doctors:
        schedule, problem = _schedule(doctor.schedule)
        district = districts.get(doctor.district_id) if doctor.district_id else None
        options.append(
            DoctorOption(
                id=doctor.id,
                code=doctor.code,
                name=doctor_name(doctor),
                full_name=" ".join(
                    p for p in (doctor.last_name, doctor.first_name, doctor.middle_name) if p
                ),
                profile=doctor.profile,
                district_code=district.code if district else None,
                district_name=district.name if district else None,
                own_district=district_id is not None and doctor.district_id == district_id,
                loads=tuple(
                    day_load(schedule, d, counts.get((doctor.id, d), 0), now_local, visit_minutes)
                    for d in days
                ),
                schedule_problem=problem,
            )
        )
    options.sort(key=lambda o: not o.own_district)
    return options


def check_available(option: DoctorOption | None, day: date) -> None:
    """Refuse a date the doctor does not work or whose window has already ended."""
    if option is None:
        raise ValidationFailed(
            [FieldError("doctor_id", "Врач не найден в этой медицинской организации", "not_found")]
        )
    load = next((load for load in option.loads if load.day == day), None)
    if load is None:
        raise ValidationFailed(
            [FieldError("planned_date", "Назначить можно на сегодня или на завтра", "invalid")]
        )
    if load.window is None:
        raise ValidationFailed(
            [FieldError("planned_date", f"{option.name} не работает {day:%d.%m.%Y}", "day_off")]
        )
    if load.time_out:
        raise ValidationFailed(
            [FieldError("planned_date", f"У врача {option.name} время приёма вышло", "time_out")]
        )
