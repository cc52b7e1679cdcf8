"""Keeping a formalized call: a new numbered call, or the same person's open call it is merged
into; the household's other open calls are noted, never merged."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.services.events import emit
from dispatcher.services.lifecycle import status_event
from dispatcher.services.merge import merge_request
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
from dispatcher.storage.references import MoContext
from intake_core.call import CallKind
from intake_core.duplicates import (
    Identity,
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
