"""Addresses: free text parsed by the NLP, matched to a polyclinic and district, and remembered."""

from __future__ import annotations

import asyncio
import time

from bots.dto import ADDRESS_PARTS, AddressDraft
from dispatcher.services.messenger.accounts import Accounts
from dispatcher.services.messenger.clinics import Clinic, Clinics
from intake_core.analysis import TextAnalyzer
from intake_core.patient import AgeCategory

SERVED_TTL = 60.0


class AddressBook:
    """Parses what the patient typed and finds which polyclinic and district serve it."""

    def __init__(
        self,
        clinics: Clinics,
        accounts: Accounts,
        analyzer: TextAnalyzer,
    ) -> None:
        self.clinics = clinics
        self.accounts = accounts
        self.analyzer = analyzer
        self._served: tuple[float, list[Clinic]] | None = None

    def _warm(self, served: list[Clinic]) -> None:
        for mo in served:  # the analyzer builds a parser per street catalog on first use: slow
            self.analyzer.address("", mo.catalog.streets())

    def refresh(self) -> None:
        """Read the MOs' settings and street catalogs again (an admin changed them)."""
        self.clinics.refresh()
        self._served = None

    async def served(self) -> list[Clinic]:
        """The served MOs, parsers ready, read again at most every SERVED_TTL seconds.

        With them at hand `parse` and `rematch` are a fraction of a millisecond of CPU and run
        on the loop; a thread would cost more in waiting for the GIL than the work itself.
        """
        now = time.monotonic()
        if self._served is not None and now - self._served[0] < SERVED_TTL:
            return self._served[1]
        served = await self.clinics.served()
        await asyncio.to_thread(self._warm, served)
        self._served = (now, served)
        return served

    def parse(self, text: str, category: AgeCategory | None, served: list[Clinic]) -> AddressDraft:
        """Parse against each served MO's street catalog; the first MO with a district wins."""
        first: AddressDraft | None = None
        for mo in served:
            draft = AddressDraft.from_visit(self.analyzer.address(text, mo.catalog.streets()))
            matched = self._match(draft, mo, category)
            if matched.district:
                return matched
            first = first or draft
        return first or AddressDraft.from_visit(self.analyzer.address(text, []))

    def rematch(
        self, draft: AddressDraft, category: AgeCategory | None, served: list[Clinic]
    ) -> AddressDraft:
        """After the patient edited a part (or picked a saved address): the district again."""
        bare = draft.model_copy(update={"mo_code": None, "mo_name": None, "district": None})
        for mo in served:
            matched = self._match(bare, mo, category)
            if matched.district:
                return matched
        return bare

    @staticmethod
    def _match(draft: AddressDraft, mo: Clinic, category: AgeCategory | None) -> AddressDraft:
        found = mo.catalog.match(draft.city, draft.street, draft.house, category)
        if found is None:
            return draft
        return draft.model_copy(
            update={"mo_code": mo.code, "mo_name": mo.name, "district": found.district.name}
        )

    def details(self, text: str) -> dict[str, str | None] | None:
        """Entrance, floor and intercom from one line; None when it names none of them."""
        parsed = self.analyzer.address(text, [])
        found = {"entrance": parsed.entrance, "floor": parsed.floor, "intercom": parsed.intercom}
        return found if any(found.values()) else None

    def remember(self, user_id: int, draft: AddressDraft) -> None:
        """Keep the confirmed address (with entrance, floor, intercom) for the next call."""
        label = draft.one_line[:300]
        components = draft.model_dump(
            mode="json", include={*ADDRESS_PARTS, "entrance", "floor", "intercom"}
        )
        self.accounts.remember_address(user_id, label, components)
