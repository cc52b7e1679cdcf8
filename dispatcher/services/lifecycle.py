"""Moves a call through its life; every move is kept in history and emitted as an event."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.services.access import visible_call_row
from dispatcher.services.events import emit
from dispatcher.storage import tables
from dispatcher.storage.calls import add_channel, add_history, next_call_number
from intake_core.call import ServiceResult
from intake_core.errors import FieldError, ValidationFailed
from intake_core.status import Action, CallStatus, next_status

ICD10 = r"^[A-TV-Z][0-9]{2}(\.[0-9]{1,2})?$"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does it: a person's login or a client system's name, and the MOs they may touch."""

    name: str
    mo_ids: Collection[int] | None  # None: every MO (a system administrator)


def status_event(
    row: tables.CallRow,
    mo_code: str,
    action: str,
    from_status: CallStatus | None,
    actor: str,
    reason: str | None,
    at: datetime,
    **extra: Any,
) -> dict[str, Any]:
    """Event payload without personal or medical data: subscribers fetch details if allowed."""
    return {
        "type": "call.status_changed",
        "call_id": row.id,
        "call_number": row.number,
        "mo_code": mo_code,
        "action": action,
        "from": from_status.value if from_status else None,
        "to": row.status,
        "actor": actor,
        "reason": reason,
        "at": at.isoformat(),
        **extra,
    }


def load_for_update(session: Session, call_id: int, actor: Actor) -> tables.CallRow:
    return visible_call_row(session, actor.mo_ids, call_id, for_update=True)


def _mo_code(session: Session, mo_id: int) -> str:
    return (
        session.scalar(
            select(tables.MedicalOrganization.code).where(tables.MedicalOrganization.id == mo_id)
        )
        or ""
    )


def _move(
    session: Session,
    row: tables.CallRow,
    action: Action,
    actor: Actor,
    reason: str | None,
    now: datetime,
    **extra: Any,
) -> None:
    current = CallStatus(row.status)
    target = next_status(current, action)
    row.status = target.value
    row.updated_at = now
    add_history(session, row.id, now, actor.name, action.value, current, target, reason)
    session.flush()
    emit(
        session,
        "call.status_changed",
        status_event(
            row,
            _mo_code(session, row.mo_id),
            action.value,
            current,
            actor.name,
            reason,
            now,
            **extra,
        ),
    )


class CallLifecycle:
    """The operator's moves: accept, assign, unassign, serve, cancel, transfer."""

    def __init__(self, session: Session, actor: Actor, now: datetime | None = None) -> None:
        self.session = session
        self.actor = actor
        self.now = now or datetime.now(UTC)

    def accept(self, call_id: int, reason: str | None = None) -> tables.CallRow:
        row = load_for_update(self.session, call_id, self.actor)
        _move(
            self.session, row, Action.ACCEPT, self.actor, reason or "Проверено оператором", self.now
        )
        row.pending_reasons = []
        return row

    def assign(self, call_id: int, doctor_id: int, planned: date | None) -> tables.CallRow:
        row = load_for_update(self.session, call_id, self.actor)
        doctor = self.session.get(tables.Doctor, doctor_id)
        if doctor is None or doctor.mo_id != row.mo_id or not doctor.active:
            raise ValidationFailed(
                [
                    FieldError(
                        "doctor_id", "Врач не найден в этой медицинской организации", "not_found"
                    )
                ]
            )
        if planned is not None and planned < row.created_at.date():
            raise ValidationFailed(
                [
                    FieldError(
                        "planned_date", "Дата визита не может быть раньше даты вызова", "invalid"
                    )
                ]
            )
        reassign = row.status == CallStatus.ACTIVE.value
        row.doctor_id = doctor.id
        row.planned_date = planned or row.planned_date
        row.assigned_at = self.now
        reason = (
            f"Назначен врач {doctor.last_name} {doctor.first_name} на {row.planned_date:%d.%m.%Y}"
        )
        _move(
            self.session,
            row,
            Action.ASSIGN,
            self.actor,
            ("Переназначение: " if reassign else "") + reason,
            self.now,
            doctor_id=doctor.id,
            planned_date=row.planned_date.isoformat(),
        )
        return row

    def unassign(self, call_id: int, reason: str) -> tables.CallRow:
        row = load_for_update(self.session, call_id, self.actor)
        _move(self.session, row, Action.UNASSIGN, self.actor, _required(reason), self.now)
        row.doctor_id = None
        row.assigned_at = None
        return row

    def serve(
        self, call_id: int, result: ServiceResult, diagnoses: list[str], note: str | None
    ) -> tables.CallRow:
        bad = [d for d in diagnoses if not re.match(ICD10, d.strip().upper())]
        if bad:
            raise ValidationFailed(
                [FieldError("diagnoses", f"Неверный код МКБ-10: {', '.join(bad)}", "invalid_icd10")]
            )
        row = load_for_update(self.session, call_id, self.actor)
        _move(
            self.session, row, Action.SERVE, self.actor, result.label, self.now, result=result.value
        )
        row.result = result.value
        row.diagnoses = [d.strip().upper() for d in diagnoses]
        row.service_note = note
        row.served_at = self.now
        return row

    def cancel(self, call_id: int, reason: str) -> tables.CallRow:
        row = load_for_update(self.session, call_id, self.actor)
        _move(self.session, row, Action.CANCEL, self.actor, _required(reason), self.now)
        row.cancel_reason = reason.strip()
        return row

    def transfer(self, call_id: int, to_mo_code: str, reason: str) -> tables.CallRow:
        """Hand the call to another MO, where it appears as a new call."""
        row = load_for_update(self.session, call_id, self.actor)
        target = self.session.scalar(
            select(tables.MedicalOrganization).where(tables.MedicalOrganization.code == to_mo_code)
        )
        if target is None:
            raise ValidationFailed(
                [FieldError("to_mo", "Медицинская организация не найдена", "not_found")]
            )
        if target.id == row.mo_id:
            raise ValidationFailed(
                [FieldError("to_mo", "Вызов уже в этой медицинской организации", "invalid")]
            )
        reason = _required(reason)
        copy = tables.CallRow(
            **{column: getattr(row, column) for column in _COPIED_COLUMNS},
            number=next_call_number(self.session),
            mo_id=target.id,
            status=CallStatus.NEW.value,
            origin_call_id=row.id,
            pending_reasons=[],
            created_at=self.now,
            updated_at=self.now,
        )
        self.session.add(copy)
        self.session.flush()
        add_history(
            self.session,
            copy.id,
            self.now,
            self.actor.name,
            Action.TRANSFER.value,
            None,
            CallStatus.NEW,
            f"Передан из {_mo_code(self.session, row.mo_id)} (вызов № {row.number}): {reason}",
        )
        for channel in self.session.scalars(
            select(tables.CallChannel).where(tables.CallChannel.call_id == row.id)
        ):
            add_channel(self.session, copy.id, channel.kind, channel.value, channel.at)
        emit(
            self.session,
            "call.created",
            status_event(
                copy,
                target.code,
                "transfer_in",
                None,
                self.actor.name,
                reason,
                self.now,
                origin_call_id=row.id,
            ),
        )
        row.transferred_to_mo_id = target.id
        _move(
            self.session,
            row,
            Action.TRANSFER,
            self.actor,
            reason,
            self.now,
            to_mo_code=target.code,
            new_call_id=copy.id,
            new_call_number=copy.number,
        )
        return row


_COPIED_COLUMNS = (
    "source",
    "kind",
    "patient_id",
    "last_name",
    "first_name",
    "middle_name",
    "birth_date",
    "sex",
    "policy_series",
    "policy_number",
    "age_category",
    "phone",
    "address",
    "address_key",
    "complaints",
    "emergency",
    "caller_type",
    "caller_name",
    "caller_phone",
    "planned_date",
    "notes",
    "received_at",
)


def _required(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise ValidationFailed([FieldError("reason", "Укажите причину", "required")])
    return reason.strip()
