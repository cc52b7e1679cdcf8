"""What a messenger tells its patients about an event: who hears it and the facts it names
(status, number, date, doctor, MO only), and the record that each notice goes out once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from dispatcher.storage import tables
from dispatcher.storage.bot_tables import SentNotification, TelegramUser
from dispatcher.storage.calls import doctor_name
from dispatcher.storage.database import Database
from intake_core.call import CHAT_CHANNEL
from intake_core.schedule import ScheduleError, parse_schedule

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IntakeOutcome:
    """An intake from a chat was merged, rejected or found an emergency: tell that chat."""

    chat_id: int
    key: str
    kind: str  # the event type: call.merged, intake.rejected, intake.emergency
    errors: tuple[str, ...]  # why it was rejected
    reasons: tuple[str, ...]  # the red flags' reasons
    call_number: int | None = None  # merged: the open call that took the intake


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A call's status changed: the facts of its message, and the chats that hear it."""

    chat_ids: tuple[int, ...]
    key: str
    action: str
    to_status: str
    number: int
    planned_date: date
    mo_name: str
    mo_code: str | None
    doctor: str | None = None  # assign: the doctor's name, «—» when unknown
    window: str | None = None  # assign: the doctor's visiting hours that day
    transfer_mo: str | None = None  # transfer: the receiving MO's name
    new_number: int | None = None  # transfer: the call's number there


class Notices:
    """Reads what an event needs from the database; keeps which notices went out."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def facts(self, event: dict[str, Any]) -> IntakeOutcome | StatusChange | None:
        kind = event.get("type")
        with self.db.session() as session:
            if kind in {"call.merged", "intake.emergency", "intake.rejected"}:
                return self._intake(session, event)
            if kind == "call.status_changed":
                return self._status(session, event)
        return None

    @staticmethod
    def _intake(session: Any, event: dict[str, Any]) -> IntakeOutcome | None:
        intake = session.get(tables.Intake, event.get("intake_id") or "")
        if intake is None or intake.payload.get("channel_kind") != CHAT_CHANNEL:
            return None
        return IntakeOutcome(
            chat_id=int(intake.payload["channel_ref"]),
            key=f"intake:{intake.id}",
            kind=str(event["type"]),
            errors=tuple(e.get("message", "") for e in intake.errors or []),
            reasons=tuple(f.get("reason", "") for f in intake.red_flags or []),
            call_number=int(event["call_number"]) if event["type"] == "call.merged" else None,
        )

    def _status(self, session: Any, event: dict[str, Any]) -> StatusChange | None:
        row = session.get(tables.CallRow, int(event["call_id"]))
        if row is None:
            return None
        refs = session.scalars(
            select(tables.CallChannel.value).where(
                tables.CallChannel.call_id == row.id, tables.CallChannel.kind == CHAT_CHANNEL
            )
        ).all()
        from_chats = [int(ref) for ref in refs if ref.lstrip("-").isdigit()]
        conditions = [TelegramUser.chat_id.in_(from_chats)]
        if row.phone:
            conditions.append(TelegramUser.phone == row.phone)
        chats = session.scalars(
            select(TelegramUser.chat_id).where(TelegramUser.active.is_(True), or_(*conditions))
        ).all()
        action = event["action"]
        mo = session.get(tables.MedicalOrganization, row.mo_id)
        change = StatusChange(
            chat_ids=tuple(int(chat) for chat in dict.fromkeys(chats)),
            key=f"call:{row.id}:{action}:{event['at']}",
            action=action,
            to_status=str(event.get("to")),
            number=int(event["call_number"]),
            planned_date=row.planned_date,
            mo_name=(mo.short_name or mo.name) if mo else "",
            mo_code=mo.code if mo else None,
        )
        if action == "assign":
            return self._assigned(session, event, row, change)
        if action == "transfer":
            target = session.scalar(
                select(tables.MedicalOrganization).where(
                    tables.MedicalOrganization.code == event.get("to_mo_code")
                )
            )
            name = (target.short_name or target.name) if target else ""
            new_number = event.get("new_call_number")
            return replace(change, transfer_mo=name, new_number=new_number)
        return change

    @staticmethod
    def _assigned(
        session: Any, event: dict[str, Any], row: tables.CallRow, change: StatusChange
    ) -> StatusChange:
        doctor = session.get(tables.Doctor, event.get("doctor_id") or row.doctor_id or 0)
        planned = (
            date.fromisoformat(event["planned_date"])
            if event.get("planned_date")
            else row.planned_date
        )
        window: str | None = None
        if doctor is not None:
            try:
                found = parse_schedule(doctor.schedule).window(planned)
                window = found.label if found else None
            except ScheduleError:
                window = None
        name = doctor_name(doctor) if doctor is not None else "—"
        return replace(change, planned_date=planned, doctor=name, window=window)

    def claim(self, chat_id: int, key: str, now: datetime) -> bool:
        """Take the notice for sending; False when it was sent (or is being sent) already."""
        try:
            with self.db.session() as session:
                session.add(SentNotification(chat_id=chat_id, key=key, sent_at=now))
        except IntegrityError:
            return False
        return True

    def release(self, chat_id: int, key: str) -> None:
        """The send failed for a passing reason: let a redelivery try again."""
        with self.db.session() as session:
            session.query(SentNotification).filter(
                SentNotification.chat_id == chat_id, SentNotification.key == key
            ).delete()
