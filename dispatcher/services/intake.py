"""Intake: accept a raw call at once (idempotently), then formalize it in a worker."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dispatcher.services.events import emit
from dispatcher.services.lifecycle import status_event
from dispatcher.services.merge import merge_request
from dispatcher.services.red_flag import only_possible, record_not_emergency
from dispatcher.storage import tables
from dispatcher.storage.calls import (
    add_history,
    address_key,
    lock_patient,
    next_call_number,
    numbers_of,
    open_same_home,
    same_person_calls,
)
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoContext
from intake_core.analysis import TextAnalyzer
from intake_core.call import CallKind, RedFlag
from intake_core.duplicates import (
    Identity,
    Verdict,
    household_note,
    judge,
    normalize_name,
    possible_duplicate_reason,
)
from intake_core.errors import Conflict, DomainError
from intake_core.intake import (
    EMERGENCY_ADVICE,
    CallerInput,
    Formalized,
    IntakeRequest,
    IntakeState,
    PatientInput,
    formalize,
    validate,
)
from intake_core.phones import mask_phone
from intake_core.status import CallStatus

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "Система приёма вызовов"


def request_from_payload(payload: dict[str, Any]) -> IntakeRequest:
    """The stored JSON body (already shape-checked by the API) as the core's request."""
    patient = payload.get("patient") or {}
    caller = payload.get("caller") or {}
    return IntakeRequest(
        source=payload.get("source", ""),
        kind=payload.get("kind"),
        mo_code=payload.get("mo_code"),
        patient=PatientInput(**{k: patient.get(k) for k in PatientInput.__dataclass_fields__}),
        phone=payload.get("phone"),
        address=payload.get("address", ""),
        entrance=payload.get("entrance"),
        floor=payload.get("floor"),
        intercom=payload.get("intercom"),
        private_sector=payload.get("private_sector"),
        complaints=payload.get("complaints", ""),
        caller=CallerInput(**{k: caller.get(k) for k in CallerInput.__dataclass_fields__}),
        notes=payload.get("notes"),
        channel_kind=payload.get("channel_kind"),
        channel_ref=payload.get("channel_ref"),
    )


def body_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Submitted:
    intake_id: str
    created: bool


def intake_row(
    client_id: int,
    idempotency_key: str,
    payload: dict[str, Any],
    now: datetime,
    mo_codes: str,
) -> dict[str, Any]:
    """A new intake as stored: queued, with the hash that tells a repeat from a reuse of its key."""
    return {
        "id": str(uuid.uuid4()),
        "client_id": client_id,
        "idempotency_key": idempotency_key,
        "body_hash": body_hash(payload),
        "payload": payload,
        "mo_codes": mo_codes,
        "state": IntakeState.QUEUED.value,
        "merged": False,
        "errors": [],
        "red_flags": [],
        "attempts": 0,
        "received_at": now,
    }


def prior_submission(found: Any, digest: str) -> Submitted:
    """The answer to a key already used: the same intake for the same body, else a conflict.
    `found` is the stored (id, body_hash), None when the conflicting row vanished meanwhile."""
    if found is None:  # nothing deletes intakes
        raise DomainError("Заявка не сохранена, повторите запрос")
    if found[1] != digest:
        raise Conflict(
            "Этот ключ идемпотентности уже использован для другого вызова; "
            "для нового вызова передайте новый Idempotency-Key"
        )
    return Submitted(found[0], created=False)


def submit(
    db: Database,
    client_id: int,
    mo_codes: str,
    idempotency_key: str,
    payload: dict[str, Any],
    now: datetime,
) -> Submitted:
    """Store the raw intake once per (client, key); another body under the same key conflicts."""
    row = intake_row(client_id, idempotency_key, payload, now, mo_codes)
    with db.session() as session:
        # one round trip when the key is new; a repeat (or a concurrent twin) inserts nothing
        insert = _insert_for(session)(tables.Intake).values(row)
        inserted = session.scalar(
            insert.on_conflict_do_nothing(
                index_elements=["client_id", "idempotency_key"]
            ).returning(tables.Intake.id)
        )
        if inserted is not None:
            return Submitted(row["id"], created=True)
        found = session.execute(
            select(tables.Intake.id, tables.Intake.body_hash).where(
                tables.Intake.client_id == client_id,
                tables.Intake.idempotency_key == idempotency_key,
            )
        ).first()
    return prior_submission(found, row["body_hash"])


def _insert_for(session: Session) -> Callable[..., Any]:
    """INSERT … ON CONFLICT for the session's backend (PostgreSQL or SQLite)."""
    assert session.bind is not None
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


def record_emergency(
    session: Session,
    formalized: Formalized,
    mo: MoContext,
    now: datetime,
    intake_id: str | None = None,
    actor: str | None = None,
) -> None:
    """An emergency is never stored as a home visit, but always recorded as an event."""
    valid = formalized.intake
    emit(
        session,
        "intake.emergency",
        {
            "type": "intake.emergency",
            "intake_id": intake_id,
            "mo_code": mo.code,
            "source": valid.source.value,
            "red_flags": [f.code for f in formalized.red_flags],
            "advice": EMERGENCY_ADVICE,
            "actor": actor,
            "at": now.isoformat(),
        },
    )
    log.warning(
        "intake %s: emergency redirected to 103/112 (phone %s)",
        intake_id or "desk",
        mask_phone(valid.phone),
    )


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
    valid = formalized.intake
    policy_number = valid.policy.number if valid.policy else None
    addr_key = address_key(formalized.address)
    identity = Identity(
        policy_number, valid.last_name, valid.first_name, valid.middle_name, valid.birth_date
    )
    # every key two intakes of one patient or one home could share; none that all would share
    keys = [f"{mo.id}:person:{normalize_name(valid.last_name)}:{valid.birth_date}"]
    if policy_number:
        keys.append(f"{mo.id}:policy:{policy_number}")
    if valid.phone and addr_key:
        keys.append(f"{mo.id}:home:{valid.phone}:{addr_key}")
    lock_patient(session, *keys)
    same_person, served = same_person_calls(session, mo.id, identity, now - mo.repeat_window)
    match = judge(identity, same_person, open_same_home(session, mo.id, valid.phone, addr_key))
    if match.verdict is Verdict.MERGE:
        duplicate = session.scalar(
            select(tables.CallRow).where(tables.CallRow.id == match.call_ids[0]).with_for_update()
        )
        assert duplicate is not None
        merge_request(session, duplicate, formalized, mo, now, channel, actor, intake_id)
        log.info("intake %s: merged into call %s", intake_id or "desk", duplicate.number)
        return Stored(duplicate, merged=True)
    home_numbers = numbers_of(session, match.call_ids)
    status, reasons = formalized.status, list(formalized.pending_reasons)
    if match.verdict is Verdict.ASK:
        status = CallStatus.PENDING
        reasons.append(possible_duplicate_reason(home_numbers))
    channel_kind, channel_ref = channel
    kind = formalized.kind
    if kind is CallKind.PRIMARY and served:
        kind = CallKind.REPEAT
    district = formalized.district
    address = formalized.address
    complaints = formalized.complaints
    row = tables.CallRow(
        number=number() if number is not None else next_call_number(session),
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
        policy_number=policy_number,
        age_category=formalized.age_category.value if formalized.age_category else None,
        phone=valid.phone,
        address={
            "raw": address.raw,
            **address.components(),
            "private_sector": address.private_sector,
            "confidence": address.confidence,
            "street_matched": address.street_matched,
        },
        address_key=addr_key,
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
    session.add(row)
    session.flush()
    reason = "; ".join(reasons) or None
    add_history(session, row.id, now, actor, "create", None, status, reason)
    if match.verdict is Verdict.HOUSEHOLD:
        add_history(
            session, row.id, now, actor, "household", status, status, household_note(home_numbers)
        )
    session.add(  # a new call has no channels yet: no need to look for this one
        tables.CallChannel(call_id=row.id, kind=channel_kind, value=channel_ref, at=received_at)
    )
    emit(
        session,
        "call.created",
        status_event(
            row,
            mo.code,
            "create",
            None,
            actor,
            reason,
            now,
            source=valid.source.value,
            kind=kind.value,
            household=home_numbers,
        ),
    )
    log.info(
        "intake %s: call %s created in %s, status %s",
        intake_id or "desk",
        row.number,
        mo.code,
        CallStatus(row.status).value,
    )
    return Stored(row, merged=False, household=tuple(home_numbers))


class EmergencyRedirect(DomainError):
    """Triage found red flags: not a home visit; the caller must dial 103/112."""

    code = "emergency"

    def __init__(self, formalized: Formalized) -> None:
        super().__init__(EMERGENCY_ADVICE)
        self.formalized = formalized


def intake_now(
    session: Session,
    request: IntakeRequest,
    mo: MoContext,
    analyzer: TextAnalyzer,
    actor: str,
    channel: tuple[str, str],
    now: datetime,
    adjust: Callable[[Formalized], Formalized] | None = None,
    not_emergency_confirmed: bool = False,
) -> Stored:
    """A person's intake (the operator desk), synchronously: the worker's validate → formalize →
    store path in one transaction. `adjust` applies the operator's corrections (the district).

    An emergency is refused, except when every sign found is only possible and the operator
    confirmed with the caller it is not an emergency: then the call is stored with its possible
    signs, and the confirmation goes into its history. A certain sign is refused all the same."""
    local = mo.local(now)
    valid = validate(request, local.date())
    formalized = formalize(valid, analyzer, mo.catalog, mo.calendar, local)
    if adjust is not None:
        formalized = adjust(formalized)
    confirmed: tuple[RedFlag, ...] = ()
    if formalized.emergency:
        if not (not_emergency_confirmed and only_possible(formalized.red_flags)):
            record_emergency(session, formalized, mo, now, actor=actor)
            raise EmergencyRedirect(formalized)
        confirmed = formalized.red_flags
        formalized = replace(formalized, complaints=replace(formalized.complaints, emergency=False))
    stored = store_call(session, formalized, mo, now, now, channel, actor)
    if confirmed:
        record_not_emergency(session, stored.row, confirmed, actor, now)
    return stored
