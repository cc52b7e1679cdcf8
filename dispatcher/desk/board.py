"""The desk board: counters by status and by doctor, and the filtered list, for one MO."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, field_validator
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from dispatcher.storage.calls import households, overdue_filter
from dispatcher.storage.references import MoContext
from intake_core.call import CallKind, Source, VisitAddress
from intake_core.duplicates import household_label, together
from intake_core.status import CallStatus

LIST_LIMIT = 200

# bucket → its label as on the seed's desk, in the seed's order
BUCKETS = {
    "new": "Новые",
    "overdue": "Просроченные",
    "pending": "Ожидают обработки",
    "active": "Активные",
    "served": "Обслуженные",
}


class DeskFilters(BaseModel):
    """The desk's filters from the query string; empty means «any»."""

    fio: str = ""
    doctor: int | None = None
    kind: CallKind | None = None
    age: str = ""
    department: int | None = None
    source: Source | None = None
    day: date | None = None
    bucket: str = ""

    @field_validator("doctor", "department", "kind", "source", "day", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("bucket")
    @classmethod
    def _known_bucket(cls, value: str) -> str:
        return value if value in BUCKETS else ""

    def query_string(self) -> str:
        """The filters back as a query string (links, fragment fetches)."""
        pairs = {k: v for k, v in self.model_dump(mode="json").items() if v not in (None, "")}
        return urlencode(pairs)

    def with_bucket(self, bucket: str) -> str:
        """The query string of these filters with another bucket (a counter's link)."""
        return self.model_copy(update={"bucket": bucket}).query_string()


@dataclass(frozen=True, slots=True)
class DeskRow:
    """One call as the list shows it."""

    id: int
    number: int
    status: CallStatus
    created_at: datetime
    patient: str
    age_category: str
    address: str  # as parsed: «Химки, ул. Молодежная, д. 63, корп. 2, кв. 54»
    address_raw: str  # as typed or received
    kind: str
    source: str
    doctor: str
    planned_date: date
    deadline: datetime | None
    limit_seconds: int
    overdue: bool
    household: tuple[int, ...] = ()  # numbers of the other open calls at this phone and address

    @property
    def household_label(self) -> str:
        return household_label(list(self.household)) if self.household else ""

    @property
    def household_key(self) -> str:
        """The same for every call of one household: the rows stand together under it."""
        return "-".join(str(n) for n in sorted((self.number, *self.household)))


@dataclass(frozen=True, slots=True)
class DoctorCount:
    """One doctor's line under the counters: active and served calls."""

    id: int
    name: str
    phone: str
    active: int
    served: int


def short_name(last: str, first: str, middle: str | None) -> str:
    """«Коновалова Е. А.»"""
    initials = " ".join(f"{p[0]}." for p in (first, middle or "") if p)
    return f"{last} {initials}".strip()


def _bucket_condition(bucket: str, mo: MoContext, now: datetime) -> Any:
    if bucket == "new":
        return tables.CallRow.status.in_([CallStatus.PENDING.value, CallStatus.NEW.value])
    if bucket == "overdue":
        return overdue_filter(now, mo.deadlines.assign, mo.deadlines.serve)
    if bucket == "pending":
        return tables.CallRow.status == CallStatus.PENDING.value
    if bucket == "active":
        return tables.CallRow.status == CallStatus.ACTIVE.value
    if bucket == "served":
        return tables.CallRow.status == CallStatus.SERVED.value
    return None


def _conditions(mo: MoContext, filters: DeskFilters) -> list[Any]:
    """Every filter but the bucket, always within the user's own MO."""
    row = tables.CallRow
    conditions: list[Any] = [row.mo_id == mo.id]
    if filters.fio.strip():
        words = filters.fio.strip().split()
        fields = (row.last_name, row.first_name, row.middle_name)
        for word in words[:3]:
            lower, title = f"%{word.casefold()}%", f"%{word.capitalize()}%"
            # SQLite lowers only ASCII: a capitalized pattern catches «Иванов» there too
            matches = [func.lower(f).like(lower) for f in fields]
            matches += [f.like(title) for f in fields]
            conditions.append(or_(*matches))
    if filters.doctor is not None:
        conditions.append(row.doctor_id == filters.doctor)
    if filters.kind is not None:
        conditions.append(row.kind == filters.kind.value)
    if filters.age:
        conditions.append(row.age_category == filters.age)
    if filters.department is not None:
        conditions.append(row.department_id == filters.department)
    if filters.source is not None:
        conditions.append(row.source == filters.source.value)
    if filters.day is not None:
        start = datetime.combine(filters.day, time(), mo.zone).astimezone(UTC)
        conditions.append(and_(row.created_at >= start, row.created_at < start + timedelta(days=1)))
    return conditions


def counters(
    session: Session, mo: MoContext, filters: DeskFilters, now: datetime
) -> dict[str, int]:
    """Each bucket's count under the current filters (the bucket filter itself aside)."""
    base = _conditions(mo, filters)
    result: dict[str, int] = {}
    for bucket in BUCKETS:
        query = select(func.count()).select_from(tables.CallRow)
        query = query.where(*base, _bucket_condition(bucket, mo, now))
        result[bucket] = session.scalar(query) or 0
    return result


def next_overdue_in(
    session: Session, mo: MoContext, filters: DeskFilters, now: datetime
) -> float | None:
    """Seconds until the next call under the filters turns overdue by the clock alone (no event
    will tell the open desks), or None when no open call is on its way to it."""
    row = tables.CallRow
    base = _conditions(mo, filters)
    waiting = session.scalar(
        select(func.min(row.created_at)).where(
            *base,
            row.status.in_([CallStatus.PENDING.value, CallStatus.NEW.value]),
            row.created_at >= now - mo.deadlines.assign,
        )
    )
    serving = session.scalar(
        select(func.min(row.assigned_at)).where(
            *base,
            row.status == CallStatus.ACTIVE.value,
            row.assigned_at >= now - mo.deadlines.serve,
        )
    )
    deadlines = [
        moment + limit
        for moment, limit in ((waiting, mo.deadlines.assign), (serving, mo.deadlines.serve))
        if moment is not None
    ]
    if not deadlines:
        return None
    return max(0.0, (min(deadlines) - now).total_seconds())


def doctor_counts(session: Session, mo: MoContext, filters: DeskFilters) -> list[DoctorCount]:
    """Doctors with active or served calls under the filters, by name."""
    row = tables.CallRow
    counts: dict[int, dict[str, int]] = {}
    query = (
        select(row.doctor_id, row.status, func.count())
        .where(*_conditions(mo, filters), row.doctor_id.is_not(None))
        .where(row.status.in_([CallStatus.ACTIVE.value, CallStatus.SERVED.value]))
        .group_by(row.doctor_id, row.status)
    )
    for doctor_id, status, count in session.execute(query):
        if doctor_id is not None:
            counts.setdefault(doctor_id, {})[status] = count
    if not counts:
        return []
    doctors = session.scalars(select(tables.Doctor).where(tables.Doctor.id.in_(counts))).all()
    lines = [
        DoctorCount(
            id=d.id,
            name=short_name(d.last_name, d.first_name, d.middle_name),
            phone=d.phone or "",
            active=counts[d.id].get(CallStatus.ACTIVE.value, 0),
            served=counts[d.id].get(CallStatus.SERVED.value, 0),
        )
        for d in doctors
    ]
    return sorted(lines, key=lambda line: line.name)


def _list_query(
    mo: MoContext, filters: DeskFilters, now: datetime
) -> Select[tables.CallRow, tables.Doctor]:
    query = select(tables.CallRow, tables.Doctor).outerjoin(
        tables.Doctor, tables.Doctor.id == tables.CallRow.doctor_id
    )
    query = query.where(*_conditions(mo, filters))
    bucket = _bucket_condition(filters.bucket, mo, now)
    if bucket is not None:
        query = query.where(bucket)
    return query


def _address_line(stored: dict[str, Any]) -> str:
    """The parsed address in one line; the text as received when it was not parsed."""
    known = {k: v for k, v in stored.items() if k in VisitAddress.__dataclass_fields__}
    return VisitAddress(**{"raw": "", **known}).one_line


def _row(
    call: tables.CallRow,
    doctor: tables.Doctor | None,
    mo: MoContext,
    now: datetime,
    homes: dict[int, list[int]],
) -> DeskRow:
    status = CallStatus(call.status)
    deadline = mo.deadlines.deadline(status, call.created_at, call.assigned_at)
    limit = mo.deadlines.serve if status is CallStatus.ACTIVE else mo.deadlines.assign
    address = call.address or {}
    return DeskRow(
        id=call.id,
        number=call.number,
        status=status,
        created_at=call.created_at,
        patient=" ".join(p for p in (call.last_name, call.first_name, call.middle_name) if p),
        age_category=call.age_category or "",
        address=_address_line(address),
        address_raw=str(address.get("raw") or ""),
        kind=CallKind(call.kind).label,
        source=Source(call.source).label,
        doctor=short_name(doctor.last_name, doctor.first_name, doctor.middle_name)
        if doctor
        else "",
        planned_date=call.planned_date,
        deadline=deadline,
        limit_seconds=int(limit.total_seconds()),
        overdue=deadline is not None and now > deadline,
        household=tuple(homes.get(call.id, ())),
    )


def rows(
    session: Session, mo: MoContext, filters: DeskFilters, now: datetime, limit: int = LIST_LIMIT
) -> list[DeskRow]:
    """The newest calls under the filters; the open calls of one household (same phone and
    address, different people) stand together under the newest of them, marked as one."""
    query = _list_query(mo, filters, now).order_by(tables.CallRow.id.desc()).limit(limit)
    found = session.execute(query).all()
    homes = households(session, [call for call, _ in found])
    listed = [_row(call, doctor, mo, now, homes) for call, doctor in found]
    return together(listed, lambda r: r.household_key if r.household else None)


def one_row(
    session: Session, mo: MoContext, filters: DeskFilters, call_id: int, now: datetime
) -> DeskRow | None:
    """One call's row if it is of this MO and passes the filters (a live update), else None."""
    query = _list_query(mo, filters, now).where(tables.CallRow.id == call_id)
    found = session.execute(query).first()
    if found is None:
        return None
    return _row(found[0], found[1], mo, now, households(session, [found[0]]))


def filter_choices(session: Session, mo: MoContext) -> dict[str, Any]:
    """What the filter selects offer: doctors, departments, kinds, sources, age categories."""
    doctors = session.scalars(
        select(tables.Doctor)
        .where(tables.Doctor.mo_id == mo.id, tables.Doctor.active.is_(True))
        .order_by(tables.Doctor.last_name)
    ).all()
    departments = session.scalars(
        select(tables.Department).where(tables.Department.mo_id == mo.id)
    ).all()
    return {
        "doctors": [(d.id, short_name(d.last_name, d.first_name, d.middle_name)) for d in doctors],
        "departments": [(d.id, d.name) for d in departments],
        "kinds": [(k.value, k.label) for k in CallKind],
        "sources": [(s.value, s.label) for s in Source],
        "ages": ["Взрослые", "Дети"],
    }
