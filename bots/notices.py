"""Which chats hear about an event and what they read: status, number, date, doctor, MO only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from bots import texts
from bots.submission import TELEGRAM_CHAT
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import SentNotification, TelegramUser
from dispatcher.storage.calls import doctor_name
from dispatcher.storage.database import Database
from intake_core.schedule import ScheduleError, parse_schedule
from intake_core.status import CallStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Notice:
    """One message for one chat; `key` makes it go out once whatever the redeliveries."""

    chat_id: int
    key: str
    text: str


class Notices:
    """Reads what an event needs from the database and renders the patient's message."""

    def __init__(self, db: Database, phone_for: Callable[[str | None], str | None]) -> None:
        self.db = db
        self.phone_for = phone_for  # the polyclinic's number by MO code

    def for_event(self, event: dict[str, Any]) -> list[Notice]:
        kind = event.get("type")
        with self.db.session() as session:
            if kind in {"call.merged", "intake.emergency", "intake.rejected"}:
                return self._intake_notice(session, event)
            if kind == "call.status_changed":
                return self._status_notices(session, event)
        return []

    def _intake_notice(self, session: Any, event: dict[str, Any]) -> list[Notice]:
        intake = session.get(tables.Intake, event.get("intake_id") or "")
        if intake is None or intake.payload.get("channel_kind") != TELEGRAM_CHAT:
            return []
        chat = int(intake.payload["channel_ref"])
        if event["type"] == "call.merged":
            text = texts.merged(int(event["call_number"]))
        elif event["type"] == "intake.rejected":
            text = texts.rejected([e.get("message", "") for e in intake.errors or []])
        else:
            reasons = [f.get("reason", "") for f in intake.red_flags or []]
            text = texts.emergency(reasons or ["признаки неотложного состояния"])
        return [Notice(chat, f"intake:{intake.id}", text)]

    def _status_notices(self, session: Any, event: dict[str, Any]) -> list[Notice]:
        row = session.get(tables.CallRow, int(event["call_id"]))
        if row is None:
            return []
        text = self._text(session, event, row)
        if text is None:
            return []
        refs = session.scalars(
            select(tables.CallChannel.value).where(
                tables.CallChannel.call_id == row.id, tables.CallChannel.kind == TELEGRAM_CHAT
            )
        ).all()
        from_chats = [int(ref) for ref in refs if ref.lstrip("-").isdigit()]
        conditions = [TelegramUser.chat_id.in_(from_chats)]
        if row.phone:
            conditions.append(TelegramUser.phone == row.phone)
        chats = session.scalars(
            select(TelegramUser.chat_id).where(TelegramUser.active.is_(True), or_(*conditions))
        ).all()
        key = f"call:{row.id}:{event['action']}:{event['at']}"
        return [Notice(int(chat), key, text) for chat in dict.fromkeys(chats)]

    def _text(self, session: Any, event: dict[str, Any], row: tables.CallRow) -> str | None:
        action, number = event["action"], int(event["call_number"])
        mo = session.get(tables.MedicalOrganization, row.mo_id)
        mo_name = (mo.short_name or mo.name) if mo else ""
        if action in {"create", "accept"}:
            if event["to"] == CallStatus.PENDING.value:
                return texts.pending(number, mo_name)
            return texts.accepted(number, row.planned_date, mo_name)
        if action == "assign":
            return self._assigned(session, event, row, number)
        if action == "unassign":
            return texts.unassigned(number)
        if action == "serve":
            return texts.served(number)
        if action == "cancel":
            return texts.cancelled(number, self.phone_for(mo.code if mo else None))
        if action == "transfer":
            target = session.scalar(
                select(tables.MedicalOrganization).where(
                    tables.MedicalOrganization.code == event.get("to_mo_code")
                )
            )
            name = (target.short_name or target.name) if target else ""
            return texts.transferred(number, name, event.get("new_call_number"))
        return None  # transfer_in: the patient already heard «передан» with the new number

    @staticmethod
    def _assigned(session: Any, event: dict[str, Any], row: tables.CallRow, number: int) -> str:
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
        return texts.assigned(number, name, planned, window)

    def claim(self, notice: Notice, now: Any) -> bool:
        """Take the notice for sending; False when it was sent (or is being sent) already."""
        try:
            with self.db.session() as session:
                session.add(SentNotification(chat_id=notice.chat_id, key=notice.key, sent_at=now))
        except IntegrityError:
            return False
        return True

    def release(self, notice: Notice) -> None:
        """The send failed for a passing reason: let a redelivery try again."""
        with self.db.session() as session:
            session.query(SentNotification).filter(
                SentNotification.chat_id == notice.chat_id, SentNotification.key == notice.key
            ).delete()
