"""Calls in the database: numbering, duplicate candidates, households, history, and rows turned
into domain calls."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, text, update
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from intake_core.call import (
    Assignment,
    Call,
    Caller,
    CallerType,
    CallKind,
    ChannelRef,
    Complaints,
    RedFlag,
    Service,
    ServiceResult,
    Source,
    StatusChange,
    VisitAddress,
)
from intake_core.duplicates import Identity
from intake_core.patient import AgeCategory, Patient, Sex
from intake_core.status import OPEN_STATUSES, CallStatus

NUMBER_COUNTER = "call_number"  # SQLite: a counter row
NUMBER_SEQUENCE = "call_numbers"  # PostgreSQL: a sequence (migration 0070)
FIRST_NUMBER = 57_000


def next_call_number(session: Session) -> int:
    """A human call number («Карта вызова № 57319»), unique and gap-tolerant across processes."""
    return reserve_call_numbers(session, 1)[0]


def reserve_call_numbers(session: Session, count: int) -> list[int]:
    """`count` call numbers in one statement, ascending (a worker's block for a batch).

    PostgreSQL takes them from a sequence: nothing is locked, so a batch may take its numbers in
    its own transaction, and a rolled-back one leaves a gap. Another process's numbers may fall
    between them. SQLite's writers are serial: its numbers come from a counter row."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return list(
            session.scalars(
                text(f"SELECT nextval('{NUMBER_SEQUENCE}') FROM generate_series(1, :count)"),
                {"count": count},
            )
        )
    value = session.execute(
        update(tables.Counter)
        .where(tables.Counter.name == NUMBER_COUNTER)
        .values(value=tables.Counter.value + count)
        .returning(tables.Counter.value)
    ).scalar()
    if value is None:
        last = FIRST_NUMBER + count - 1
        session.add(tables.Counter(name=NUMBER_COUNTER, value=last))
        session.flush()
        return list(range(FIRST_NUMBER, last + 1))
    return list(range(int(value) - count + 1, int(value) + 1))


def address_key(address: VisitAddress) -> str | None:
    """A comparable form of street + house + flat for «same phone and address» duplicates."""
    if not address.street or not address.house:
        return None
    parts = (address.city, address.street, address.house, address.korpus, address.flat)
    return "|".join((p or "").casefold().replace("ё", "е").strip() for p in parts)


def lock_patient(session: Session, *keys: str) -> None:
    """Serialize concurrent intakes for one patient or one home (PostgreSQL; SQLite writers are
    serial). Several keys are taken in a fixed order, so two intakes never wait on each other."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # one statement: PostgreSQL evaluates the volatile lock calls row by row in array order
        session.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtext(k)) "
                "FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS t(k, n) ORDER BY n"
            ),
            {"keys": sorted(set(keys))},
        )


# a call's id and what tells its patient (`Identity`'s fields, in order): no whole row is loaded
# to compare candidates
_IDENTITY = (
    tables.CallRow.id,
    tables.CallRow.policy_number,
    tables.CallRow.last_name,
    tables.CallRow.first_name,
    tables.CallRow.middle_name,
    tables.CallRow.birth_date,
)


# a patient (or a home) a batch looks for: its MO, who it is and since when a served call of
# theirs makes the new one «Повторный»
Wanted = tuple[int, Identity, datetime]


# the batch lookups, built once: only their lists and moment change from batch to batch. They
# ask by the patient's own keys (policy or birth date; phone) and the status, which one index
# each holds: a handful of rows whatever the planner's statistics say. The MO and the address
# are matched on those rows (asked in SQL, a fresh table's planner read every open call of the
# MO instead)
_OPEN_VALUES = [s.value for s in OPEN_STATUSES]
_SAME_PERSON_MANY = (
    select(*_IDENTITY, tables.CallRow.status, tables.CallRow.mo_id, tables.CallRow.served_at)
    .where(
        or_(
            tables.CallRow.policy_number.in_(bindparam("policies", expanding=True)),
            tables.CallRow.birth_date.in_(bindparam("born", expanding=True)),
        ),
        tables.CallRow.status.in_([*_OPEN_VALUES, CallStatus.SERVED.value]),
        or_(
            tables.CallRow.status != CallStatus.SERVED.value,
            tables.CallRow.served_at >= bindparam("served_since"),
        ),
    )
    .order_by(tables.CallRow.id)
)
_SAME_HOME_MANY = (
    select(*_IDENTITY, tables.CallRow.mo_id, tables.CallRow.phone, tables.CallRow.address_key)
    .where(
        tables.CallRow.phone.in_(bindparam("phones", expanding=True)),
        tables.CallRow.status.in_(_OPEN_VALUES),
    )
    .order_by(tables.CallRow.id)
)


def same_person_calls_many(
    session: Session, wanted: Sequence[Wanted]
) -> list[tuple[list[tuple[int, Identity]], bool]]:
    """For each patient, in one query: the open calls that may be theirs (same policy or birth
    date, in their MO), oldest first, and whether theirs was served since their moment (the
    new one is «Повторный»). Names are compared later, by `Identity.same_person` (SQLite
    lowers ASCII only)."""
    policies = {i.policy_number for _, i, _ in wanted if i.policy_number}
    born = {i.birth_date for _, i, _ in wanted if i.birth_date is not None}
    if not policies and not born:
        return [([], False) for _ in wanted]
    rows = session.execute(
        _SAME_PERSON_MANY,
        {
            "policies": sorted(policies),
            "born": sorted(born),
            "served_since": min(since for _, _, since in wanted),
        },
    ).all()
    found: list[tuple[list[tuple[int, Identity]], bool]] = []
    for mo_id, identity, served_since in wanted:
        open_calls: list[tuple[int, Identity]] = []
        served = False
        for row in rows:
            if row[7] != mo_id or not (
                (identity.policy_number and row[1] == identity.policy_number)
                or (identity.birth_date is not None and row[5] == identity.birth_date)
            ):
                continue
            other = Identity(*row[1:6])
            if row[6] in _OPEN_VALUES:
                open_calls.append((row[0], other))
            elif row[8] is not None and row[8] >= served_since:
                served = served or identity.same_person(other)
        found.append((open_calls, served))
    return found


def open_same_home_many(
    session: Session, homes: Sequence[tuple[int, str | None, str | None]]
) -> list[list[tuple[int, Identity]]]:
    """For each (MO, phone, address key), in one query: the open calls at that phone and
    address (a household), oldest first."""
    known = {home for home in homes if home[1] and home[2]}
    if not known:
        return [[] for _ in homes]
    rows = session.execute(
        _SAME_HOME_MANY,
        {"phones": sorted({h[1] for h in known if h[1]})},
    ).all()
    return [
        [(row[0], Identity(*row[1:6])) for row in rows if tuple(row[6:9]) == home]
        if home in known
        else []
        for home in homes
    ]


def numbers_of(session: Session, call_ids: Collection[int]) -> list[int]:
    """The human numbers of calls, ascending."""
    if not call_ids:
        return []
    return list(
        session.scalars(
            select(tables.CallRow.number)
            .where(tables.CallRow.id.in_(list(call_ids)))
            .order_by(tables.CallRow.number)
        )
    )


def households(session: Session, rows: Sequence[tables.CallRow]) -> dict[int, list[int]]:
    """For each open call of `rows`, the numbers of the other open calls at its phone and
    address: one household, for one doctor to take together."""
    keyed = {
        (row.mo_id, row.phone, row.address_key)
        for row in rows
        if row.phone and row.address_key and CallStatus(row.status).is_open
    }
    if not keyed:
        return {}
    members: dict[tuple[int, str | None, str | None], list[tuple[int, int]]] = {}
    for call_id, number, mo_id, phone, addr_key in session.execute(
        select(
            tables.CallRow.id,
            tables.CallRow.number,
            tables.CallRow.mo_id,
            tables.CallRow.phone,
            tables.CallRow.address_key,
        )
        .where(
            tables.CallRow.mo_id.in_({k[0] for k in keyed}),
            tables.CallRow.phone.in_({k[1] for k in keyed}),
            tables.CallRow.address_key.in_({k[2] for k in keyed}),
            tables.CallRow.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(tables.CallRow.number)
    ):
        if (mo_id, phone, addr_key) in keyed:
            members.setdefault((mo_id, phone, addr_key), []).append((call_id, number))
    result: dict[int, list[int]] = {}
    for group in members.values():
        if len(group) < 2:
            continue
        for call_id, _ in group:
            result[call_id] = [number for other, number in group if other != call_id]
    return result


def add_channel(session: Session, call_id: int, kind: str, value: str, at: datetime) -> None:
    exists = session.scalar(
        select(tables.CallChannel.id).where(
            tables.CallChannel.call_id == call_id,
            tables.CallChannel.kind == kind,
            tables.CallChannel.value == value,
        )
    )
    if exists is None:
        session.add(tables.CallChannel(call_id=call_id, kind=kind, value=value, at=at))


def remove_channel(session: Session, call_id: int, kind: str, value: str) -> bool:
    """Detach one request (channel) from its call; False when it was not attached."""
    found = session.scalar(
        select(tables.CallChannel).where(
            tables.CallChannel.call_id == call_id,
            tables.CallChannel.kind == kind,
            tables.CallChannel.value == value,
        )
    )
    if found is None:
        return False
    session.delete(found)
    session.flush()
    return True


def channels_of(session: Session, call_id: int) -> list[tuple[str, str]]:
    return [
        (kind, value)
        for kind, value in session.execute(
            select(tables.CallChannel.kind, tables.CallChannel.value)
            .where(tables.CallChannel.call_id == call_id)
            .order_by(tables.CallChannel.id)
        )
    ]


def add_history(
    session: Session,
    call_id: int,
    at: datetime,
    actor: str,
    action: str,
    from_status: CallStatus | None,
    to_status: CallStatus,
    reason: str | None,
) -> None:
    session.add(
        tables.CallHistory(
            **history_values(call_id, at, actor, action, from_status, to_status, reason)
        )
    )


def history_values(
    call_id: int,
    at: datetime,
    actor: str,
    action: str,
    from_status: CallStatus | None,
    to_status: CallStatus,
    reason: str | None,
) -> dict[str, Any]:
    """A history row's columns (several are inserted in one statement by a batch)."""
    return {
        "call_id": call_id,
        "at": at,
        "actor": actor,
        "action": action,
        "from_status": from_status.value if from_status else None,
        "to_status": to_status.value,
        "reason": reason,
    }


def to_domain(session: Session, row: tables.CallRow) -> Call:
    """Build the domain call (with history and channels) from its rows."""
    return to_domain_many(session, [row])[0]


def to_domain_many(session: Session, rows: Sequence[tables.CallRow]) -> list[Call]:
    """Domain calls for many rows in a fixed number of queries, whatever the number of rows."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    mo_ids = {row.mo_id for row in rows} | {
        row.transferred_to_mo_id for row in rows if row.transferred_to_mo_id
    }
    mo_codes = _codes(session, tables.MedicalOrganization, mo_ids)
    department_codes = _codes(
        session, tables.Department, {row.department_id for row in rows if row.department_id}
    )
    district_codes = _codes(
        session, tables.District, {row.district_id for row in rows if row.district_id}
    )
    doctor_ids = {row.doctor_id for row in rows if row.doctor_id is not None}
    doctors = (
        {
            d.id: d
            for d in session.scalars(select(tables.Doctor).where(tables.Doctor.id.in_(doctor_ids)))
        }
        if doctor_ids
        else {}
    )
    history: dict[int, list[tables.CallHistory]] = {call_id: [] for call_id in ids}
    for h in session.scalars(
        select(tables.CallHistory)
        .where(tables.CallHistory.call_id.in_(ids))
        .order_by(tables.CallHistory.id)
    ):
        history[h.call_id].append(h)
    channels: dict[int, list[tables.CallChannel]] = {call_id: [] for call_id in ids}
    for c in session.scalars(
        select(tables.CallChannel)
        .where(tables.CallChannel.call_id.in_(ids))
        .order_by(tables.CallChannel.id)
    ):
        channels[c.call_id].append(c)
    return [
        _call_of(
            row,
            mo_code=mo_codes.get(row.mo_id, ""),
            department_code=department_codes.get(row.department_id or 0),
            district_code=district_codes.get(row.district_id or 0),
            transferred_to=mo_codes.get(row.transferred_to_mo_id or 0),
            doctor=doctors.get(row.doctor_id or 0),
            history_rows=history[row.id],
            channel_rows=channels[row.id],
        )
        for row in rows
    ]


def _codes(
    session: Session,
    table: type[tables.MedicalOrganization] | type[tables.Department] | type[tables.District],
    ids: set[int],
) -> dict[int, str]:
    if not ids:
        return {}
    return {
        row_id: code
        for row_id, code in session.execute(select(table.id, table.code).where(table.id.in_(ids)))
    }


def _call_of(
    row: tables.CallRow,
    *,
    mo_code: str,
    department_code: str | None,
    district_code: str | None,
    transferred_to: str | None,
    doctor: tables.Doctor | None,
    history_rows: Sequence[tables.CallHistory],
    channel_rows: Sequence[tables.CallChannel],
) -> Call:
    assignment = (
        Assignment(doctor.id, doctor_name(doctor), row.planned_date) if doctor is not None else None
    )
    service = (
        Service(ServiceResult(row.result), tuple(row.diagnoses or ()), row.service_note)
        if row.result
        else None
    )
    address = dict(row.address)
    complaints = dict(row.complaints)
    return Call(
        id=row.id,
        number=row.number,
        mo_code=mo_code,
        department_code=department_code,
        source=Source(row.source),
        kind=CallKind(row.kind),
        status=CallStatus(row.status),
        patient=Patient(
            last_name=row.last_name,
            first_name=row.first_name,
            middle_name=row.middle_name,
            birth_date=row.birth_date,
            sex=Sex(row.sex) if row.sex else None,
            policy_series=row.policy_series,
            policy_number=row.policy_number,
        ),
        age_category=AgeCategory(row.age_category) if row.age_category else None,
        phone=row.phone,
        address=VisitAddress(**address),
        district_code=district_code,
        complaints=Complaints(
            raw=complaints.get("raw", ""),
            symptoms=tuple(complaints.get("symptoms", ())),
            temperature=complaints.get("temperature"),
            reason_code=complaints.get("reason_code"),
            red_flags=tuple(RedFlag.from_json(f) for f in complaints.get("red_flags", ())),
            emergency=bool(complaints.get("emergency")),
        ),
        caller=Caller(
            type=CallerType(row.caller_type) if row.caller_type else None,
            name=row.caller_name,
            phone=row.caller_phone,
        ),
        planned_date=row.planned_date,
        created_at=row.created_at,
        received_at=row.received_at,
        notes=row.notes,
        assignment=assignment,
        service=service,
        assigned_at=row.assigned_at,
        served_at=row.served_at,
        transferred_to=transferred_to,
        pending_reasons=tuple(row.pending_reasons or ()),
        channels=[ChannelRef(c.kind, c.value, c.at) for c in channel_rows],
        history=[
            StatusChange(
                at=h.at,
                actor=h.actor,
                from_status=CallStatus(h.from_status) if h.from_status else None,
                to_status=CallStatus(h.to_status),
                reason=h.reason,
            )
            for h in history_rows
        ],
    )


def doctor_name(doctor: tables.Doctor) -> str:
    initials = "".join(f" {p[0]}." for p in (doctor.first_name, doctor.middle_name) if p)
    return f"{doctor.last_name}{initials}"


def overdue_filter(now: datetime, assign: timedelta, serve: timedelta) -> object:
    """SQL condition for «Просроченный» with one MO's deadlines."""
    return or_(
        and_(
            tables.CallRow.status.in_([CallStatus.PENDING.value, CallStatus.NEW.value]),
            tables.CallRow.created_at < now - assign,
        ),
        and_(
            tables.CallRow.status == CallStatus.ACTIVE.value,
            tables.CallRow.assigned_at < now - serve,
        ),
    )
