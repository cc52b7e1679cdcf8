"""Keeping a formalized call: a new numbered call, or the same person's open call it is merged
into; the household's other open calls are noted, never merged."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from dispatcher.services.events import emit
from dispatcher.services.lifecycle import status_event
from dispatcher.services.merge import merge_request
from dispatcher.storage import tables
from dispatcher.storage.calls import (
    address_key,
    history_values,
    lock_patient,
    next_call_number,
    numbers_of,
    open_same_home_many,
    same_person_calls_many,
)
from dispatcher.storage.references import MoContext
from intake_core.call import CallKind
from intake_core.duplicates import (
    Identity,
    Match,
    Verdict,
    household_note,
    judge,
    normalize_name,
    possible_duplicate_reason,
)
from intake_core.intake import Formalized
from intake_core.status import CallStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Stored:
    """A formalized call in the database: a new row, or the open call it was merged into."""

    row: tables.CallRow
    merged: bool
    household: tuple[int, ...] = ()  # numbers of other open calls at the same phone and address


def store_call(
    session: Session,
    formalized: Formalized,
    mo: MoContext,
    now: datetime,
    received_at: datetime,
    channel: tuple[str, str],
    actor: str,
    intake_id: str | None = None,
    number: Callable[[], int] | None = None,
) -> Stored:
    """Store a formalized call once: merge into the same patient's open call, or create a new
    one — a second call for another person of the household, «Ожидает обработки» when the
    patient cannot be told apart from an open call at the same phone and address. `number`
    gives the new call's number (default: the counter, in this transaction)."""
    lock_patient(session, *lock_keys(formalized, mo))
    [(match, served)] = judge_many(session, [(formalized, mo, now)])
    if match.verdict is Verdict.MERGE:
        duplicate = session.scalar(
            select(tables.CallRow).where(tables.CallRow.id == match.call_ids[0]).with_for_update()
        )
        assert duplicate is not None
        merge_request(session, duplicate, formalized, mo, now, channel, actor, intake_id)
        log.info("intake %s: merged into call %s", intake_id or "desk", duplicate.number)
        return Stored(duplicate, merged=True)
    new = _new_call(session, formalized, mo, now, received_at, channel, actor, match, served)
    row = tables.CallRow(
        number=number() if number is not None else next_call_number(session), **new.values
    )
    session.add(row)
    session.flush()
    for history in new.history(row.id):
        session.add(tables.CallHistory(**history))
    session.add(  # a new call has no channels yet: no need to look for this one
        tables.CallChannel(**new.channel(row.id))
    )
    emit(session, "call.created", new.event(row.id, row.number))
    new.logged(intake_id, row.number)
    return Stored(row, merged=False, household=new.household)


def identity_of(formalized: Formalized) -> Identity:
    valid = formalized.intake
    policy_number = valid.policy.number if valid.policy else None
    return Identity(
        policy_number, valid.last_name, valid.first_name, valid.middle_name, valid.birth_date
    )


def lock_keys(formalized: Formalized, mo: MoContext) -> list[str]:
    """Every key two intakes of one patient or one home could share; none that all would
    share: two intakes with no key in common can neither merge nor be one household."""
    valid = formalized.intake
    addr_key = address_key(formalized.address)
    keys = [f"{mo.id}:person:{normalize_name(valid.last_name)}:{valid.birth_date}"]
    if valid.policy and valid.policy.number:
        keys.append(f"{mo.id}:policy:{valid.policy.number}")
    if valid.phone and addr_key:
        keys.append(f"{mo.id}:home:{valid.phone}:{addr_key}")
    return keys


@dataclass(frozen=True, slots=True)
class _NewCall:
    """A new call's row values and what is written beside it, before its id is known."""

    values: dict[str, Any]  # the row's columns but its number
    mo_code: str
    source: str
    kind: str
    status: CallStatus
    reason: str | None
    household_reason: str | None  # the history note of a household's second call
    household: tuple[int, ...]
    now: datetime
    received_at: datetime
    channel_pair: tuple[str, str]
    actor: str

    def history(self, call_id: int) -> list[dict[str, Any]]:
        rows = [
            history_values(call_id, self.now, self.actor, "create", None, self.status, self.reason)
        ]
        if self.household_reason is not None:
            rows.append(
                history_values(
                    call_id,
                    self.now,
                    self.actor,
                    "household",
                    self.status,
                    self.status,
                    self.household_reason,
                )
            )
        return rows

    def channel(self, call_id: int) -> dict[str, Any]:
        kind, value = self.channel_pair
        return {"call_id": call_id, "kind": kind, "value": value, "at": self.received_at}

    def event(self, call_id: int, number: int) -> dict[str, Any]:
        return status_event(
            tables.CallRow(id=call_id, number=number, status=self.status.value),
            self.mo_code,
            "create",
            None,
            self.actor,
            self.reason,
            self.now,
            source=self.source,
            kind=self.kind,
            household=list(self.household),
        )

    def logged(self, intake_id: str | None, number: int) -> None:
        log.info(
            "intake %s: call %s created in %s, status %s",
            intake_id or "desk",
            number,
            self.mo_code,
            self.status.value,
        )


def _new_call(
    session: Session,
    formalized: Formalized,
    mo: MoContext,
    now: datetime,
    received_at: datetime,
    channel: tuple[str, str],
    actor: str,
    match: Match,
    served: bool,
) -> _NewCall:
    valid = formalized.intake
    home_numbers = numbers_of(session, match.call_ids)
    status, reasons = formalized.status, list(formalized.pending_reasons)
    if match.verdict is Verdict.ASK:
        status = CallStatus.PENDING
        reasons.append(possible_duplicate_reason(home_numbers))
    kind = formalized.kind
    if kind is CallKind.PRIMARY and served:
        kind = CallKind.REPEAT
    district = formalized.district
    address = formalized.address
    complaints = formalized.complaints
    values = dict(
        mo_id=mo.id,
        department_id=(
            mo.department_ids.get(district.district.department_code) if district else None
        ),
        district_id=mo.district_ids.get(district.district.code) if district else None,
        source=valid.source.value,
        kind=kind.value,
        status=status.value,
        patient_id=None,
        last_name=valid.last_name,
        first_name=valid.first_name,
        middle_name=valid.middle_name,
        birth_date=valid.birth_date,
        sex=valid.sex.value if valid.sex else None,
        policy_series=valid.policy.series if valid.policy else None,
        policy_number=valid.policy.number if valid.policy else None,
        age_category=formalized.age_category.value if formalized.age_category else None,
        phone=valid.phone,
        address={
            "raw": address.raw,
            **address.components(),
            "private_sector": address.private_sector,
            "confidence": address.confidence,
            "street_matched": address.street_matched,
        },
        address_key=address_key(address),
        complaints={
            "raw": complaints.raw,
            "symptoms": list(complaints.symptoms),
            "temperature": complaints.temperature,
            "reason_code": complaints.reason_code,
            "red_flags": [f.as_json() for f in complaints.red_flags],
            "emergency": complaints.emergency,
        },
        emergency=False,
        caller_type=valid.caller_type.value if valid.caller_type else None,
        caller_name=valid.caller_name,
        caller_phone=valid.caller_phone,
        planned_date=formalized.planned_date,
        notes=valid.notes,
        pending_reasons=reasons,
        created_at=now,
        received_at=received_at,
        updated_at=now,
    )
    return _NewCall(
        values=values,
        mo_code=mo.code,
        source=valid.source.value,
        kind=kind.value,
        status=status,
        reason="; ".join(reasons) or None,
        household_reason=(
            household_note(home_numbers) if match.verdict is Verdict.HOUSEHOLD else None
        ),
        household=tuple(home_numbers),
        now=now,
        received_at=received_at,
        channel_pair=channel,
        actor=actor,
    )


def judge_many(
    session: Session, stores: Sequence[tuple[Formalized, MoContext, datetime]]
) -> list[tuple[Match, bool]]:
    """`store_call`'s verdict (and whether the patient was served lately) for many intakes in
    two queries; the caller holds their locks, and no two of them share a lock key."""
    identities = [identity_of(f) for f, _, _ in stores]
    people = same_person_calls_many(
        session,
        [
            (mo.id, i, now - mo.repeat_window)
            for (_, mo, now), i in zip(stores, identities, strict=True)
        ],
    )
    homes = open_same_home_many(
        session,
        [(mo.id, f.intake.phone, address_key(f.address)) for f, mo, _ in stores],
    )
    return [
        (judge(identity, same_person, home), served)
        for identity, (same_person, served), home in zip(identities, people, homes, strict=True)
    ]


class NewCalls:
    """New calls of a batch of intakes, written together, in the batch's order: one INSERT
    for the calls (on PostgreSQL run per row, its ids taken from the sequence first) and one
    each for their history, channels and events."""

    def __init__(self) -> None:
        self._calls: list[tuple[_NewCall, int, str]] = []

    def add(
        self,
        session: Session,
        formalized: Formalized,
        mo: MoContext,
        now: datetime,
        received_at: datetime,
        channel: tuple[str, str],
        actor: str,
        judged: tuple[Match, bool],
        number: int,
        intake_id: str,
    ) -> None:
        """A call `store_call` would create (the verdict is not a merge), written later."""
        match, served = judged
        assert match.verdict is not Verdict.MERGE
        new = _new_call(session, formalized, mo, now, received_at, channel, actor, match, served)
        self._calls.append((new, number, intake_id))

    def write(self, session: Session) -> dict[str, int]:
        """Insert what was added (after what the session holds); each intake's call id."""
        if not self._calls:
            return {}
        # the events the session holds were emitted before these: they go first. The rest it
        # holds (the batch's intakes) is written once, with their call ids, at the commit
        held = [o for o in session.new if isinstance(o, tables.OutboxEvent)]
        if held:  # (an empty list would flush everything)
            session.flush(held)
        # Core statements on the session's connection: the rows are not wanted as objects, and
        # the ORM's bulk path costs more than the inserts themselves
        connection = session.connection()
        rows = [{"number": number, **new.values} for new, number, _ in self._calls]
        if connection.dialect.name == "postgresql":
            # ids taken first, then one short INSERT run for every row: a multi-row INSERT …
            # RETURNING is a new long statement for each batch size, which the driver parses
            # again every time (it caches short statements only)
            ids = list(
                connection.execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('calls', 'id')) "
                        "FROM generate_series(1, :count)"
                    ),
                    {"count": len(rows)},
                ).scalars()
            )
            connection.execute(
                insert(tables.CallRow),
                [{"id": call_id, **row} for call_id, row in zip(ids, rows, strict=True)],
            )
        else:
            ids = list(
                connection.execute(
                    insert(tables.CallRow).returning(
                        tables.CallRow.id, sort_by_parameter_order=True
                    ),
                    rows,
                ).scalars()
            )
        written = list(zip(self._calls, ids, strict=True))
        connection.execute(
            insert(tables.CallHistory),
            [h for (new, _, _), call_id in written for h in new.history(call_id)],
        )
        connection.execute(
            insert(tables.CallChannel), [new.channel(call_id) for (new, _, _), call_id in written]
        )
        connection.execute(
            insert(tables.OutboxEvent),
            [
                {
                    "topic": "call.created",
                    "payload": new.event(call_id, number),
                    "created_at": datetime.now(UTC),
                }
                for (new, number, _), call_id in written
            ],
        )
        for (new, number, intake_id), _ in written:
            new.logged(intake_id, number)
        self._calls = []
        return {intake_id: call_id for (_, _, intake_id), call_id in written}
