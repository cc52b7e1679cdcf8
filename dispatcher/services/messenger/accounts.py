"""Messenger accounts: the shared phone, the people linked to it, the addresses saved for the
next call, chats that blocked the bot; read as plain objects, never as rows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatcher.services.messenger.reads import Reads
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import LinkedPatient, SavedAddress, TelegramUser
from dispatcher.storage.database import Database
from intake_core.phones import InvalidPhone, mask_phone, normalize_phone

log = logging.getLogger(__name__)


REGISTRY_SCAN = 500  # cards born on one date looked at for a name; far more than a registry has
MAX_SAVED = 5  # saved addresses offered for the next call


@dataclass(frozen=True, slots=True)
class LinkedPerson:
    """A patient linked to the account."""

    id: int
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date
    policy_number: str | None


@dataclass(frozen=True, slots=True)
class RegistryCard:
    """The polyclinic's card of a person, as far as linking needs it."""

    last_name: str
    first_name: str
    middle_name: str | None
    policy_number: str | None


@dataclass(frozen=True, slots=True)
class SavedPlace:
    """An address the patient confirmed before: its label and its stored components."""

    id: int
    label: str
    components: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AccountView:
    """One user: `phone` is None until they share their contact; places, most recent first."""

    phone: str | None
    people: tuple[LinkedPerson, ...]
    places: tuple[SavedPlace, ...]


def _name_key(value: str | None) -> str:
    return " ".join((value or "").split()).casefold().replace("ё", "е")


def person_of(row: LinkedPatient) -> LinkedPerson:
    """A linked person as the dialogs use them."""
    return LinkedPerson(
        id=row.id,
        last_name=row.last_name,
        first_name=row.first_name,
        middle_name=row.middle_name,
        birth_date=row.birth_date,
        policy_number=row.policy_number,
    )


class Accounts:
    """Who uses the bot and for whom they may call a doctor."""

    def __init__(
        self, db: Database, clock: Callable[[], datetime], reads: Reads | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.reads = reads or Reads(db)

    @staticmethod
    def _view(session: Session, user_id: int) -> AccountView:
        """One query, one round trip: the user row joined to their people and addresses."""
        rows = session.execute(
            select(TelegramUser.phone, LinkedPatient, SavedAddress)
            .select_from(TelegramUser)
            .outerjoin(LinkedPatient, LinkedPatient.user_id == TelegramUser.id)
            .outerjoin(SavedAddress, SavedAddress.user_id == TelegramUser.id)
            .where(TelegramUser.id == user_id)
        ).all()
        people = {p.id: p for _, p, _ in rows if p is not None}
        places = {a.id: a for _, _, a in rows if a is not None}
        recent = sorted(places.values(), key=lambda a: (a.used_at, a.id), reverse=True)
        return AccountView(
            phone=rows[0].phone if rows else None,
            people=tuple(person_of(people[i]) for i in sorted(people)),
            places=tuple(SavedPlace(a.id, a.label, dict(a.components)) for a in recent[:MAX_SAVED]),
        )

    async def view(self, user_id: int) -> AccountView:
        """Who the user is, read on the event loop (see `Reads`)."""
        return await self.reads.run(lambda session: self._view(session, user_id))

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
    ) -> RegistryCard | None:
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
                    return RegistryCard(
                        record.last_name,
                        record.first_name,
                        record.middle_name,
                        record.policy_number,
                    )
        return None

    def link(
        self,
        user_id: int,
        last_name: str,
        first_name: str,
        middle_name: str | None,
        birth_date: date,
        policy_number: str | None,
    ) -> LinkedPerson:
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

    def remember_address(self, user_id: int, label: str, components: dict[str, Any]) -> None:
        """Keep a confirmed address (by its label) for the next call; `used_at` is now."""
        now = self.clock()
        try:
            with self.db.session() as session:
                row = session.scalar(
                    select(SavedAddress).where(
                        SavedAddress.user_id == user_id, SavedAddress.label == label
                    )
                )
                if row is None:
                    session.add(
                        SavedAddress(
                            user_id=user_id, label=label, components=components, used_at=now
                        )
                    )
                else:
                    row.components, row.used_at = components, now
        except IntegrityError:
            pass  # the same address saved by a concurrent dialog: nothing to add
