"""The registry's number a patient is told to call: the MO's own, from its reference data
(`mos.csv`, column phone), else the bot's `BOT_CLINIC_PHONE`. With no MO chosen yet (a voice
message before the address) it is the served MO's when the bot serves one MO alone."""

from __future__ import annotations

from dispatcher.storage.database import Database
from dispatcher.storage.references import MoDirectory
from intake_core.phones import format_phone


class ClinicPhones:
    """Synchronous, for threads: `phone(mo_code)` reads the MO directory's cached contexts."""

    def __init__(self, db: Database, directory: MoDirectory, fallback: str = "") -> None:
        self.db = db
        self.directory = directory
        self.fallback = fallback

    def phone(self, mo_code: str | None) -> str | None:
        with self.db.session() as session:
            codes = [mo_code] if mo_code else self.directory.served_codes(session)
            mo = self.directory.by_code(session, codes[0]) if len(codes) == 1 else None
        if mo is not None and mo.phone:
            return format_phone(mo.phone)
        return self.fallback or None
