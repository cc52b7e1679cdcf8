"""What a web process holds: settings, database, Redis, queue, MO directory."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from dispatcher.queue import IntakeQueue
from dispatcher.services.events import OutboxRelay
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoDirectory


@dataclass(slots=True)
class Services:
    settings: Settings
    db: Database
    redis: Redis
    queue: IntakeQueue
    directory: MoDirectory
    relay: OutboxRelay

    @classmethod
    def build(cls, settings: Settings, db: Database, client: Redis) -> Services:
        return cls(
            settings=settings,
            db=db,
            redis=client,
            queue=IntakeQueue(client, settings.queue_name, settings.job_retries),
            directory=MoDirectory(),
            relay=OutboxRelay(db, client, settings.events_stream, settings.events_stream_maxlen),
        )
