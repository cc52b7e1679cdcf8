"""Addresses: free text parsed by the NLP, matched to a polyclinic and district, and remembered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bots.dto import ADDRESS_PARTS, AddressDraft
from bots.reads import Reads
from dispatcher.storage.bot_tables import SavedAddress
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoContext, MoDirectory
from intake_core.analysis import TextAnalyzer
from intake_core.patient import AgeCategory

MAX_SAVED = 5
SERVED_TTL = 60.0


class AddressBook:
    """Parses what the patient typed and finds which polyclinic and district serve it."""

    def __init__(
        self,
        db: Database,
        analyzer: TextAnalyzer,
        directory: MoDirectory,
        clock: Callable[[], datetime],
        reads: Reads,
    ) -> None:
        self.db = db
        self.analyzer = analyzer
        self.directory = directory
        self.clock = clock
        self.reads = reads
        self._served: tuple[float, list[MoContext]] | None = None

    def _load_served(self, session: Session) -> list[MoContext]:
        codes = self.directory.served_codes(session)
        contexts = [self.directory.by_code(session, code) for code in codes]
        return [c for c in contexts if c is not None]

    def _warm(self, served: list[MoContext]) -> None:
        for mo in served:  # the analyzer builds a parser per street catalog on first use: slow
            self.analyzer.address("", mo.catalog.streets())

    def refresh(self) -> None:
        """Read the MOs' settings and street catalogs again (an admin changed them)."""
        self.directory.refresh()
        self._served = None

    async def served(self) -> list[MoContext]:
        """The served MOs, parsers ready, read again at most every SERVED_TTL seconds.

        With them at hand `parse` and `rematch` are a fraction of a millisecond of CPU and run
        on the loop; a thread would cost more in waiting for the GIL than the work itself.
        """
        now = time.monotonic()
        if self._served is not None and now - self._served[0] < SERVED_TTL:
            return self._served[1]
        served = await self.reads.run(self._load_served)
        await asyncio.to_thread(self._warm, served)
        self._served = (now, served)
        return served

    def parse(
        self, text: str, category: AgeCategory | None, served: list[MoContext]
    ) -> AddressDraft:
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
        self, draft: AddressDraft, category: AgeCategory | None, served: list[MoContext]
    ) -> AddressDraft:
        """After the patient edited a part (or picked a saved address): the district again."""
        bare = draft.model_copy(update={"mo_code": None, "mo_name": None, "district": None})
        for mo in served:
            matched = self._match(bare, mo, category)
            if matched.district:
                return matched
        return bare

    @staticmethod
    def _match(draft: AddressDraft, mo: MoContext, category: AgeCategory | None) -> AddressDraft:
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
