"""The polyclinics a messenger serves, as the dialog needs them: names, streets, calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dispatcher.services.messenger.clinic_phone import ClinicPhones
from dispatcher.services.messenger.reads import Reads
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoContext, MoDirectory
from intake_core.districts import DistrictCatalog
from intake_core.planning import WorkCalendar


@dataclass(frozen=True, slots=True)
class Clinic:
    """A served MO: its street catalog for addresses, its calendar for the visit date."""

    code: str
    name: str
    zone: ZoneInfo
    calendar: WorkCalendar
    catalog: DistrictCatalog

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)


def clinic_of(mo: MoContext) -> Clinic:
    return Clinic(
        code=mo.code, name=mo.name, zone=mo.zone, calendar=mo.calendar, catalog=mo.catalog
    )


class Clinics:
    """The MO directory's cached contexts, read for a dialog."""

    def __init__(
        self,
        db: Database,
        directory: MoDirectory,
        reads: Reads | None = None,
        fallback_phone: str = "",
    ) -> None:
        self.db = db
        self.directory = directory
        self.reads = reads or Reads(db)
        self.phones = ClinicPhones(db, directory, fallback_phone)

    def _served(self, session: Session) -> list[Clinic]:
        codes = self.directory.served_codes(session)
        contexts = [self.directory.by_code(session, code) for code in codes]
        return [clinic_of(c) for c in contexts if c is not None]

    async def served(self) -> list[Clinic]:
        """The served MOs in the directory's order, read on the event loop."""
        return await self.reads.run(self._served)

    def refresh(self) -> None:
        """Read the MOs' settings and street catalogs again (an admin changed them)."""
        self.directory.refresh()

    def by_code(self, code: str | None) -> Clinic:
        """This MO, or the first served one when none is named; LookupError when none is."""
        with self.db.session() as session:
            codes = [code] if code else self.directory.served_codes(session)
            for candidate in codes:
                mo = self.directory.by_code(session, candidate)
                if mo is not None:
                    return clinic_of(mo)
        raise LookupError("no served medical organization")

    def phone(self, mo_code: str | None) -> str | None:
        """The number a patient is told to call (see `ClinicPhones`)."""
        return self.phones.phone(mo_code)
