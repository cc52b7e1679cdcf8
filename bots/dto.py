"""Plain objects the handlers work with: aiogram types and ORM rows stop at this seam."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aiogram.types import CallbackQuery, Contact, Message
from pydantic import BaseModel

from dispatcher.services.messenger.accounts import LinkedPerson
from intake_core.call import VisitAddress


@dataclass(frozen=True, slots=True)
class Sender:
    """Who wrote: the Telegram user and the private chat to answer in."""

    user_id: int
    chat_id: int


def sender_of(event: Message | CallbackQuery) -> Sender:
    """The sender of a message or a button press (a private chat: chat id = user id)."""
    user = event.from_user
    if isinstance(event, CallbackQuery):
        chat_id = event.message.chat.id if event.message else (user.id if user else 0)
    else:
        chat_id = event.chat.id
    return Sender(user_id=user.id if user else chat_id, chat_id=chat_id)


@dataclass(frozen=True, slots=True)
class SharedContact:
    """A contact card as sent with «Поделиться номером»."""

    phone: str
    owner_id: int | None


def contact_of(contact: Contact) -> SharedContact:
    return SharedContact(phone=contact.phone_number, owner_id=contact.user_id)


class Person(BaseModel):
    """A patient linked to the account."""

    id: int
    last_name: str
    first_name: str
    middle_name: str | None = None
    birth_date: date
    policy_number: str | None = None

    @classmethod
    def of(cls, linked: LinkedPerson) -> Person:
        return cls(
            id=linked.id,
            last_name=linked.last_name,
            first_name=linked.first_name,
            middle_name=linked.middle_name,
            birth_date=linked.birth_date,
            policy_number=linked.policy_number,
        )

    @property
    def full(self) -> str:
        """«Иванова Мария Петровна, 02.03.2015» — the summary says whom the doctor visits."""
        names = " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)
        return f"{names}, {self.birth_date:%d.%m.%Y}"

    @property
    def short(self) -> str:
        """«Иванова М. П., 02.03.2015» — enough to tell family members apart."""
        initials = "".join(f" {p[0]}." for p in (self.first_name, self.middle_name) if p)
        return f"{self.last_name}{initials}, {self.birth_date:%d.%m.%Y}"


ADDRESS_PARTS = ("city", "street", "street_type", "house", "korpus", "building", "flat")


class AddressDraft(BaseModel):
    """A parsed address as the patient confirms it, with the polyclinic and district matched."""

    city: str | None = None
    street: str | None = None
    street_type: str | None = None
    house: str | None = None
    korpus: str | None = None
    building: str | None = None
    flat: str | None = None
    entrance: str | None = None
    floor: str | None = None
    intercom: str | None = None
    mo_code: str | None = None
    mo_name: str | None = None
    district: str | None = None

    @classmethod
    def from_visit(cls, address: VisitAddress) -> AddressDraft:
        return cls(
            **{key: getattr(address, key) for key in ADDRESS_PARTS},
            entrance=address.entrance,
            floor=address.floor,
            intercom=address.intercom,
        )

    def visit(self) -> VisitAddress:
        return VisitAddress(raw="", **{key: getattr(self, key) for key in ADDRESS_PARTS})

    @property
    def one_line(self) -> str:
        """The line handed to the intake (the worker parses it again)."""
        return self.visit().one_line

    @property
    def usable(self) -> bool:
        return bool(self.street and self.house)


@dataclass(frozen=True, slots=True)
class SavedAddressItem:
    """An address the patient confirmed before: its button label and its components."""

    id: int
    label: str
    address: AddressDraft


@dataclass(frozen=True, slots=True)
class CallSummary:
    """One of the patient's calls as /my lists it: no complaints, no diagnoses."""

    id: int
    number: int
    status: str
    status_label: str
    planned_date: date
    person: str
    open: bool
