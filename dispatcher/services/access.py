"""Reading a call or a patient by id within the requester's MOs: one lookup for every adapter.

A call of another MO is indistinguishable from a missing one (`NotFound` either way); a desk
user's openings and refusals go to the personal-data access log."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.services import access_log
from dispatcher.services.access_log import ObjectKind, Reader
from dispatcher.storage import tables
from dispatcher.storage.calls import to_domain
from intake_core.call import Call
from intake_core.errors import NotFound

CALL_NOT_FOUND = "Вызов не найден"
PATIENT_NOT_FOUND = "Пациент не найден"

MoScope = Collection[int] | None  # the requester's MO ids; None: every MO (a system administrator)


def _visible(mo_id: int | None, scope: MoScope) -> bool:
    return scope is None or mo_id in scope


def _opened(session: Session, reader: Reader | None, kind: ObjectKind, object_id: int) -> None:
    if reader is not None:
        access_log.record(session, reader, kind, object_id)


def _refused(
    session: Session, reader: Reader | None, kind: ObjectKind, object_id: int, message: str
) -> NotFound:
    if reader is not None:
        access_log.record_refusal(session, reader, kind, object_id)
    return NotFound(message)


def visible_call_row(
    session: Session,
    scope: MoScope,
    call_id: int,
    *,
    reader: Reader | None = None,
    for_update: bool = False,
) -> tables.CallRow:
    """The stored call if it is of the scope's MOs (locked for a move when `for_update`)."""
    query = select(tables.CallRow).where(tables.CallRow.id == call_id)
    row = session.scalar(query.with_for_update() if for_update else query)
    if row is None or not _visible(row.mo_id, scope):
        raise _refused(session, reader, "call", call_id, CALL_NOT_FOUND)
    _opened(session, reader, "call", call_id)
    return row


def visible_call(
    session: Session, scope: MoScope, call_id: int, *, reader: Reader | None = None
) -> Call:
    """The call of the scope's MOs with its history; else `NotFound` (the refusal logged)."""
    return to_domain(session, visible_call_row(session, scope, call_id, reader=reader))


def visible_patient(
    session: Session, scope: MoScope, patient_id: int, *, reader: Reader | None = None
) -> tables.PatientRecord:
    """A patient of the scope's MOs' register; else `NotFound` (the refusal logged)."""
    row = session.get(tables.PatientRecord, patient_id)
    if row is None or not _visible(row.mo_id, scope):
        raise _refused(session, reader, "patient", patient_id, PATIENT_NOT_FOUND)
    _opened(session, reader, "patient", patient_id)
    return row
