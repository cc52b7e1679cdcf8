"""What the messenger bots (Telegram, MAX) may ask of the dispatcher, as one facade.

The bots are adapters: they translate chats into calls of these services and plain objects
back into messages. Their own state (users and chats, linked patients, saved addresses, sent
notifications, webhook updates) lives in the dispatcher's database, behind these services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from sqlalchemy import text

from dispatcher.queue import IntakeQueue
from dispatcher.services.intake_processor import IntakeProcessor
from dispatcher.services.messenger.accounts import Accounts
from dispatcher.services.messenger.calls import PatientCalls
from dispatcher.services.messenger.clinics import Clinics
from dispatcher.services.messenger.coding import ReasonCoding
from dispatcher.services.messenger.intake import ChatIntake, ensure_client
from dispatcher.services.messenger.notices import Notices
from dispatcher.services.messenger.reads import Reads
from dispatcher.services.messenger.updates import UpdateInbox
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoDirectory
from intake_core.analysis import TextAnalyzer
from intake_core.questionnaire import Questionnaire


@dataclass(slots=True)
class MessengerServices:
    """The services a messenger process uses, built once in its composition root."""

    db: Database
    client: redis.Redis
    clock: Callable[[], datetime]
    accounts: Accounts
    calls: PatientCalls
    clinics: Clinics
    notices: Notices
    intake: ChatIntake
    updates: UpdateInbox
    reads: Reads

    @classmethod
    def build(
        cls,
        db: Database,
        client: redis.Redis,
        analyzer: TextAnalyzer,
        queue: IntakeQueue,
        client_name: str,
        clinic_phone: str = "",
        clock: Callable[[], datetime] | None = None,
    ) -> MessengerServices:
        """Everything on one database and Redis; registers the messenger's ApiClient."""
        clock = clock or (lambda: datetime.now(UTC))
        directory = MoDirectory()
        reads = Reads(db)
        processor = IntakeProcessor(db, analyzer, directory)
        return cls(
            db=db,
            client=client,
            clock=clock,
            accounts=Accounts(db, clock, reads),
            calls=PatientCalls(db, clock, reads),
            clinics=Clinics(db, directory, reads, clinic_phone),
            notices=Notices(db),
            intake=ChatIntake(db, queue, processor, ensure_client(db, client_name)),
            updates=UpdateInbox(db, client),
            reads=reads,
        )

    @classmethod
    def open(
        cls,
        database_url: str,
        sql_echo: bool,
        client: redis.Redis,
        analyzer: TextAnalyzer,
        queue: IntakeQueue,
        client_name: str,
        clinic_phone: str = "",
    ) -> MessengerServices:
        """`build` on a database of their own (`dispose` closes it); raises while it is down."""
        db = Database(database_url, sql_echo)
        try:
            return cls.build(db, client, analyzer, queue, client_name, clinic_phone)
        except BaseException:
            db.dispose()
            raise

    def reason_coding(self, questionnaire: Questionnaire, prefix: str) -> ReasonCoding:
        """Codes the calls of this messenger's intakes from the patient's questionnaire."""
        return ReasonCoding(questionnaire, self.db, self.client, prefix, self.intake.client_id)

    def database_up(self) -> None:
        """A round trip to the database; raises while it is unreachable."""
        with self.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        """The event loop's reads end with the loop that ran them."""
        await self.reads.close()

    def dispose(self) -> None:
        self.db.dispose()
