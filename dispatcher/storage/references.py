"""Reference data of a medical organization as domain objects: calendar, deadlines, districts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dispatcher.storage import tables
from intake_core.districts import (
    District,
    DistrictCatalog,
    DistrictStreet,
    parse_house_rules,
)
from intake_core.overdue import Deadlines
from intake_core.patient import AgeCategory
from intake_core.planning import WorkCalendar


@dataclass(frozen=True, slots=True)
class MoContext:
    """Everything the intake and the lifecycle need to know about one MO."""

    id: int
    code: str
    name: str
    zone: ZoneInfo
    calendar: WorkCalendar
    deadlines: Deadlines
    repeat_window: timedelta
    catalog: DistrictCatalog
    district_ids: dict[str, int]
    department_ids: dict[str, int]
    phone: str | None = None  # the registry's number patients are told to call

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)


def _category(value: str) -> AgeCategory:
    return AgeCategory.CHILD if value.strip().casefold() in {"дети", "child"} else AgeCategory.ADULT


def load_mo(session: Session, mo: tables.MedicalOrganization) -> MoContext:
    rows = session.scalars(
        select(tables.District)
        .where(tables.District.mo_id == mo.id)
        .options(selectinload(tables.District.streets))
    ).all()
    departments = session.scalars(
        select(tables.Department).where(tables.Department.mo_id == mo.id)
    ).all()
    department_codes = {d.id: d.code for d in departments}
    districts = [
        District(
            code=row.code,
            name=row.name,
            department_code=department_codes.get(row.department_id, ""),
            category=_category(row.category),
            streets=tuple(
                DistrictStreet(s.city, s.street, s.street_type, parse_house_rules(s.houses))
                for s in row.streets
            ),
        )
        for row in rows
    ]
    hours, minutes = (int(p) for p in mo.cutoff.split(":"))
    return MoContext(
        id=mo.id,
        code=mo.code,
        name=mo.name,
        zone=ZoneInfo(mo.timezone),
        calendar=WorkCalendar(cutoff=time(hours, minutes)),
        deadlines=Deadlines(
            assign=timedelta(minutes=mo.assign_deadline_minutes),
            serve=timedelta(hours=mo.serve_deadline_hours),
        ),
        repeat_window=timedelta(days=mo.repeat_window_days),
        catalog=DistrictCatalog(districts),
        district_ids={row.code: row.id for row in rows},
        department_ids={d.code: d.id for d in departments},
        phone=mo.phone,
    )


class MoDirectory:
    """Loads MO contexts; callers keep one per process and `refresh()` after imports."""

    def __init__(self) -> None:
        self._cache: dict[str, MoContext] = {}
        self._served: list[str] | None = None

    def refresh(self) -> None:
        self._cache.clear()
        self._served = None

    def by_code(self, session: Session, code: str) -> MoContext | None:
        cached = self._cache.get(code)
        if cached is not None:
            return cached
        mo = session.scalar(
            select(tables.MedicalOrganization).where(tables.MedicalOrganization.code == code)
        )
        if mo is None:
            return None
        context = load_mo(session, mo)
        self._cache[code] = context
        return context

    def served_codes(self, session: Session) -> list[str]:
        if self._served is None:
            self._served = list(
                session.scalars(
                    select(tables.MedicalOrganization.code)
                    .where(tables.MedicalOrganization.served.is_(True))
                    .order_by(tables.MedicalOrganization.id)
                )
            )
        return list(self._served)
