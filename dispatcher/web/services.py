"""What a web process holds: settings, database, Redis, queue, MO directory."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from dispatcher.queue import AsyncNudge, IntakeQueue
from dispatcher.services.events import OutboxRelay
from dispatcher.services.intake_store import IntakeStore
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoDirectory
from dispatcher.web.admission import Admission


@dataclass(slots=True)
class Services:
    settings: Settings
    db: Database
    redis: Redis
    queue: IntakeQueue
    directory: MoDirectory
    relay: OutboxRelay
    intakes: IntakeStore  # the async intake endpoint's storage
    nudge: AsyncNudge  # … and its wake-up of the workers
    admission: Admission  # … and its load shedding

    @classmethod
    def build(cls, settings: Settings, db: Database, client: Redis) -> Services:
        queue = IntakeQueue(client, settings.queue_name, settings.job_retries)
        intakes = IntakeStore(db)
        return cls(
            settings=settings,
            db=db,
            redis=client,
            queue=queue,
            directory=MoDirectory(),
            relay=OutboxRelay(db, client, settings.events_stream, settings.events_stream_maxlen),
            intakes=intakes,
            nudge=AsyncNudge(queue),
            admission=Admission(
                intakes.backlog,
                max_in_flight=settings.intake_max_in_flight,
                max_backlog=settings.intake_max_backlog,
                max_lag=settings.intake_max_lag,
            ),
        )

    async def close(self) -> None:
        """Close what belongs to the event loop (the async database pool, Redis client)."""
        await self.admission.close()
        await self.intakes.close()
        await self.nudge.close()
