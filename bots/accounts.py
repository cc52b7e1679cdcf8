"""Telegram accounts: the shared phone, the people linked to it, chats that blocked the bot."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bots.dto import Person
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import LinkedPatient, TelegramUser
from dispatcher.storage.database import Database
from intake_core.phones import InvalidPhone, mask_phone, normalize_phone

log = logging.getLogger(__name__)


REGISTRY_SCAN = 500  # cards born on one date looked at for a name; far more than a registry has


def _name_key(value: str | None) -> str:
    return " ".join((value or "").split()).casefold().replace("ё", "е")


def person_of(row: LinkedPatient) -> Person:
    """A linked person as the dialogs use them."""
    return Person(
        id=row.id,
        last_name=row.last_name,
        first_name=row.first_name,
        middle_name=row.middle_name,
        birth_date=row.birth_date,
        policy_number=row.policy_number,
    )


class Accounts:
    """Who uses the bot and for whom they may call a doctor."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    def save_contact(self, user_id: int, chat_id: int, raw_phone: str) -> str:
        """Store the user's own phone (E.164); raises InvalidPhone for an unusable number."""
        phone = normalize_phone(raw_phone)
        if phone is None:
            raise InvalidPhone()
        now = self.clock()
        with self.db.session() as session:
            user = session.get(TelegramUser, user_id)
            if user is None:
                session.add(
                    TelegramUser(
                        id=user_id,
                        chat_id=chat_id,
                        phone=phone,
                        active=True,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                user.chat_id, user.phone, user.active = chat_id, phone, True
                user.updated_at, user.blocked_at = now, None
        log.info("telegram user %s shared phone %s", user_id, mask_phone(phone))
        return phone

    def find_in_registry(
        self,
        birth_date: date,
        policy_number: str | None = None,
        last_name: str | None = None,
        first_name: str | None = None,
    ) -> tables.PatientRecord | None:
        """The polyclinic's card of this person, found by policy or by name, with the birth date.

        Names match whatever the case and «е» for «ё» («Петр» finds «Пётр»), as people type them.
        """
        if not policy_number and not (last_name and first_name):
            return None
        with self.db.session() as session:
            query = select(tables.PatientRecord).where(
                tables.PatientRecord.birth_date == birth_date
            )
            if policy_number:
                query = query.where(tables.PatientRecord.policy_number == policy_number)
            wanted = (_name_key(last_name), _name_key(first_name))
            for record in session.scalars(query.limit(REGISTRY_SCAN)):
                found = (_name_key(record.last_name), _name_key(record.first_name))
                if policy_number or found == wanted:
                    session.expunge(record)
                    return record
        return None

    def link(
        self,
        user_id: int,
        last_name: str,
        first_name: str,
        middle_name: str | None,
        birth_date: date,
        policy_number: str | None,
    ) -> Person:
        """Link a person to the account; linking the same person again returns the first link."""
        now = self.clock()
        try:
            with self.db.session() as session:
                row = LinkedPatient(
                    user_id=user_id,
                    last_name=last_name,
                    first_name=first_name,
                    middle_name=middle_name,
                    birth_date=birth_date,
                    policy_number=policy_number,
                    created_at=now,
                )
                session.add(row)
                session.flush()
                return person_of(row)
        except IntegrityError:
            with self.db.session() as session:
                existing = session.scalars(
                    select(LinkedPatient).where(
                        LinkedPatient.user_id == user_id,
                        LinkedPatient.last_name == last_name,
                        LinkedPatient.first_name == first_name,
                        LinkedPatient.birth_date == birth_date,
                    )
                ).one()
                if policy_number and not existing.policy_number:
                    existing.policy_number = policy_number
                return person_of(existing)

    def deactivate(self, chat_id: int) -> None:
        """The user blocked the bot: stop sending to this chat until they /start again."""
        now = self.clock()
        with self.db.session() as session:
            session.execute(
                update(TelegramUser)
                .where(TelegramUser.chat_id == chat_id)
                .values(active=False, blocked_at=now, updated_at=now)
            )
        log.info("telegram chat %s blocked the bot: marked inactive", chat_id)
