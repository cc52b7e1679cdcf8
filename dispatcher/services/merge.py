"""A new request for a patient who already has an open call: it joins that call, and nothing it
said is lost — its complaint, symptoms, red flags, temperature and notes go into the call and its
history, and the move is an event like every other."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dispatcher.services.events import emit
from dispatcher.services.lifecycle import status_event
from dispatcher.storage import tables
from dispatcher.storage.calls import add_channel, add_history
from dispatcher.storage.references import MoContext
from intake_core.call import CallKind
from intake_core.intake import Formalized
from intake_core.status import CallStatus

MERGE_ACTION = "merge"


def merged_message(number: int) -> str:
    """What the caller is told when the request joined an open call (as the reference system)."""
    return (
        f"У вас уже есть активный вызов: Карта вызова № {number}. "
        "Новый вызов не создан, ваше обращение добавлено к нему."
    )


def _complaints(row: tables.CallRow, formalized: Formalized, heading: str) -> dict[str, Any]:
    old = dict(row.complaints or {})
    new = formalized.complaints
    symptoms = list(dict.fromkeys([*old.get("symptoms", ()), *new.symptoms]))
    flags = {f["code"]: f for f in old.get("red_flags", ())}
    for flag in new.red_flags:
        flags.setdefault(flag.code, flag.as_json())
    raw = str(old.get("raw") or "")
    addition = f"{heading}: {new.raw}"
    return {
        **old,
        "raw": f"{raw}\n{addition}" if raw else new.raw,
        "symptoms": symptoms,
        # the latest measurement is what the doctor needs
        "temperature": new.temperature if new.temperature is not None else old.get("temperature"),
        "reason_code": old.get("reason_code") or new.reason_code,
        "red_flags": list(flags.values()),
        "emergency": bool(old.get("emergency")) or new.emergency,
    }


def _fill_gaps(row: tables.CallRow, formalized: Formalized) -> list[str]:
    """What the existing call did not know and the new request says; returns Russian labels."""
    valid = formalized.intake
    filled: list[str] = []
    if valid.policy and not row.policy_number:
        row.policy_series, row.policy_number = valid.policy.series, valid.policy.number
        filled.append("полис")
    if valid.birth_date and row.birth_date is None:
        row.birth_date = valid.birth_date
        row.age_category = formalized.age_category.value if formalized.age_category else None
        filled.append("дата рождения")
    if valid.middle_name and not row.middle_name:
        row.middle_name = valid.middle_name
        filled.append("отчество")
    if valid.sex and not row.sex:
        row.sex = valid.sex.value
        filled.append("пол")
    if valid.phone and not row.phone:
        row.phone = valid.phone
        filled.append("телефон")
    if formalized.kind is CallKind.URGENT and row.kind != CallKind.URGENT.value:
        row.kind = CallKind.URGENT.value
        filled.append(f"вид «{CallKind.URGENT.label}»")
    return filled


def merge_request(
    session: Session,
    row: tables.CallRow,
    formalized: Formalized,
    mo: MoContext,
    now: datetime,
    channel: tuple[str, str],
    actor: str,
    intake_id: str | None = None,
) -> None:
    """Add the new request to the patient's open call `row` (locked by the caller)."""
    valid = formalized.intake
    local = mo.local(now)
    heading = f"Дополнение ({valid.source.label}, {local:%d.%m.%Y %H:%M})"
    row.complaints = _complaints(row, formalized, heading)
    if valid.notes:
        row.notes = f"{row.notes}\n{heading}: {valid.notes}" if row.notes else valid.notes
    filled = _fill_gaps(row, formalized)
    row.updated_at = now
    channel_kind, channel_ref = channel
    add_channel(session, row.id, channel_kind, channel_ref, now)
    status = CallStatus(row.status)
    details = [f"жалобы: {formalized.complaints.raw}"]
    if filled:
        details.append("дополнено: " + ", ".join(filled))
    add_history(
        session,
        row.id,
        now,
        actor,
        MERGE_ACTION,
        status,
        status,
        f"Добавлено обращение того же пациента ({valid.source.label}); " + "; ".join(details),
    )
    session.flush()
    # events carry no complaint text: subscribers read the call if they may
    reason = f"Добавлено обращение того же пациента ({valid.source.label})"
    emit(
        session,
        "call.status_changed",
        status_event(
            row,
            mo.code,
            MERGE_ACTION,
            status,
            actor,
            reason,
            now,
            source=valid.source.value,
            intake_id=intake_id,
            channel_kind=channel_kind,
        ),
    )
    emit(
        session,
        "call.merged",
        {
            "type": "call.merged",
            "call_id": row.id,
            "call_number": row.number,
            "mo_code": mo.code,
            "intake_id": intake_id,
            "source": valid.source.value,
            "message": merged_message(row.number),
            "at": now.isoformat(),
        },
    )
