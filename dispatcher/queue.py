"""The intake queue on RQ: jobs carry ids only and declare their retries."""

from __future__ import annotations

import logging

import redis
from rq import Queue, Retry
from sqlalchemy import select

from dispatcher.storage import tables
from dispatcher.storage.database import Database

log = logging.getLogger(__name__)

PROCESS_INTAKE = "dispatcher.jobs.process_intake"


class IntakeQueue:
    """Enqueues intakes for the worker; the job id is derived from the intake id."""

    def __init__(self, connection: redis.Redis, name: str, retries: int = 3) -> None:
        self.queue = Queue(name, connection=connection)
        self.retries = retries

    def enqueue(self, intake_id: str) -> None:
        self.queue.enqueue(
            PROCESS_INTAKE,
            intake_id,
            job_id=f"intake-{intake_id}",
            retry=Retry(max=self.retries, interval=[1, 5, 15][: self.retries]),
            result_ttl=600,
            failure_ttl=7 * 24 * 3600,
        )

    def requeue_stale(self, db: Database, older_than_ids: int = 1000) -> int:
        """Re-enqueue intakes still queued in the database (e.g. Redis was down at submit)."""
        with db.session() as session:
            ids = list(
                session.scalars(
                    select(tables.Intake.id)
                    .where(tables.Intake.state == "queued")
                    .order_by(tables.Intake.received_at)
                    .limit(older_than_ids)
                )
            )
        requeued = 0
        for intake_id in ids:
            job = self.queue.fetch_job(f"intake-{intake_id}")
            if job is None or job.get_status(refresh=True) in {"failed", "stopped", "canceled"}:
                if job is not None:
                    job.delete()
                self.enqueue(intake_id)
                requeued += 1
        return requeued
