"""Who a Telegram user is — phone, linked people, saved addresses — cached in the bot process.

Almost every update needs this, and it changes only when the user shares a contact, links a
person or confirms a new address: those handlers `forget()` the user. Reading it from the
database on every update cost a thread hop and several queries, and under load the threads
queued behind the GIL; a cache hit costs neither. Entries live `ttl` seconds so that a change
made elsewhere (another bot instance in webhook mode, an operator) shows within that time; a
person or address the cache does not know yet is looked up in the database before giving up.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bots.dto import AddressDraft, Person, SavedAddressItem
from dispatcher.services.messenger.accounts import Accounts, AccountView

MAX_CACHED = 50_000


@dataclass(frozen=True, slots=True)
class Profile:
    """One user as the dialogs need them; `phone` is None until they share their contact."""

    phone: str | None
    people: tuple[Person, ...]
    addresses: tuple[SavedAddressItem, ...]

    def person(self, patient_id: int) -> Person | None:
        return next((p for p in self.people if p.id == patient_id), None)

    def address(self, address_id: int) -> SavedAddressItem | None:
        return next((a for a in self.addresses if a.id == address_id), None)


class Profiles:
    """Per-process, time-limited cache of profiles, loaded in one session on a miss."""

    def __init__(
        self, accounts: Accounts, ttl: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.accounts = accounts
        self.ttl = ttl
        self.monotonic = monotonic
        self._entries: OrderedDict[int, tuple[float, Profile]] = OrderedDict()

    @staticmethod
    def _of(view: AccountView) -> Profile:
        return Profile(
            phone=view.phone,
            people=tuple(Person.of(p) for p in view.people),
            addresses=tuple(
                SavedAddressItem(a.id, a.label, AddressDraft.model_validate(a.components))
                for a in view.places
            ),
        )

    async def get(self, user_id: int) -> Profile:
        now = self.monotonic()
        entry = self._entries.get(user_id)
        if entry is not None and now - entry[0] < self.ttl:
            self._entries.move_to_end(user_id)
            return entry[1]
        profile = self._of(await self.accounts.view(user_id))
        self._entries[user_id] = (now, profile)
        self._entries.move_to_end(user_id)
        while len(self._entries) > MAX_CACHED:
            self._entries.popitem(last=False)
        return profile

    def forget(self, user_id: int) -> None:
        """The user changed something: the next `get` reads the database."""
        self._entries.pop(user_id, None)

    async def person(self, user_id: int, patient_id: int) -> Person | None:
        """A linked person; one fresh read when the cache does not know them yet."""
        found = (await self.get(user_id)).person(patient_id)
        if found is None:
            self.forget(user_id)
            found = (await self.get(user_id)).person(patient_id)
        return found

    async def address(self, user_id: int, address_id: int) -> SavedAddressItem | None:
        """A saved address; one fresh read when the cache does not know it yet."""
        found = (await self.get(user_id)).address(address_id)
        if found is None:
            self.forget(user_id)
            found = (await self.get(user_id)).address(address_id)
        return found
