"""The patient's own calls: those made from this chat, or by phone from the shared number."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.services.messenger.reads import Reads
from dispatcher.services.withdrawal import withdraw
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import SentNotification
from dispatcher.storage.calls import channels_of
from dispatcher.storage.database import Database
from intake_core.call import CHAT_CHANNEL
from intake_core.errors import NotFound
from intake_core.status import Action, CallStatus

LIST_LIMIT = 10


@dataclass(frozen=True, slots=True)
class PatientCall:
    """One of the patient's calls as a messenger lists it: no complaints, no diagnoses."""

    id: int
    number: int
    status: CallStatus
    planned_date: date
    last_name: str
    first_name: str
    middle_name: str | None


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The call after the patient's cancel: closed, or kept open for another request."""

    call: PatientCall
    cancelled: bool


def notice_key(call_id: int, action: str, at: datetime) -> str:
    """The dedupe key of one status change, the same for the handler and the event consumer."""
    return f"call:{call_id}:{action}:{at.isoformat()}"


def _summary(row: tables.CallRow) -> PatientCall:
    return PatientCall(
        id=row.id,
        number=row.number,
        status=CallStatus(row.status),
        planned_date=row.planned_date,
        last_name=row.last_name,
        first_name=row.first_name,
        middle_name=row.middle_name,
    )


class PatientCalls:
    """Lists and cancels calls on behalf of one messenger user."""

    def __init__(
        self, db: Database, clock: Callable[[], datetime], reads: Reads | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.reads = reads or Reads(db)

    @staticmethod
    def _mine(chat_id: int, phone: str | None) -> object:
        """Calls made from this chat, or for the user's own phone by any channel."""
        from_chat = select(tables.CallChannel.call_id).where(
            tables.CallChannel.kind == CHAT_CHANNEL,
            tables.CallChannel.value == str(chat_id),
        )
        conditions: list[Any] = [tables.CallRow.id.in_(from_chat)]
        if phone:
            conditions.append(tables.CallRow.phone == phone)
        return or_(*conditions)

    @classmethod
    def list_in(cls, session: Session, chat_id: int, phone: str | None) -> list[PatientCall]:
        """The user's latest calls, newest first."""
        rows = session.scalars(
            select(tables.CallRow)
            .where(cls._mine(chat_id, phone))  # type: ignore[arg-type]
            .order_by(tables.CallRow.created_at.desc())
            .limit(LIST_LIMIT)
        )
        return [_summary(row) for row in rows]

    @classmethod
    def get_in(cls, session: Session, chat_id: int, phone: str | None, call_id: int) -> PatientCall:
        """One of the user's calls; NotFound for anyone else's."""
        row = session.scalar(
            select(tables.CallRow).where(
                tables.CallRow.id == call_id,
                cls._mine(chat_id, phone),  # type: ignore[arg-type]
            )
        )
        if row is None:
            raise NotFound("Вызов не найден")
        return _summary(row)

    async def list(self, chat_id: int, phone: str | None) -> list[PatientCall]:
        """The user's latest calls, newest first, read on the event loop."""
        return await self.reads.run(lambda session: self.list_in(session, chat_id, phone))

    async def get(self, chat_id: int, phone: str | None, call_id: int) -> PatientCall:
        """One of the user's calls, read on the event loop; NotFound for anyone else's."""
        return await self.reads.run(lambda session: self.get_in(session, chat_id, phone, call_id))

    def cancel(
        self, chat_id: int, phone: str | None, call_id: int, actor_name: str, note: str
    ) -> Cancelled:
        """Take back this chat's request: the call is cancelled only when nobody else asked for
        it. A call made by phone for the user's own number is theirs to cancel while it is its
        only request. This chat is not notified of the cancel again."""
        now = self.clock()
        actor = Actor(actor_name, None)
        with self.db.session() as session:
            self.get_in(session, chat_id, phone, call_id)  # only the patient's own calls
            channel = (CHAT_CHANNEL, str(chat_id))
            attached = channels_of(session, call_id)
            if channel in attached or len(attached) > 1:
                # with several requests on the call, a request not from this chat is not ours
                withdrawal = withdraw(session, actor, call_id, channel, note, now)
                row, cancelled = withdrawal.row, withdrawal.cancelled
            else:
                row, cancelled = CallLifecycle(session, actor, now).cancel(call_id, note), True
            if cancelled:
                key = notice_key(call_id, Action.CANCEL.value, now)
                session.add(SentNotification(chat_id=chat_id, key=key, sent_at=now))
            return Cancelled(_summary(row), cancelled)
