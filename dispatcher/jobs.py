"""RQ jobs: they take ids, reload state from the database and are safe to run twice."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import text

from dispatcher.outages import Outage, is_database_outage
from dispatcher.services.events import OutboxRelay
from dispatcher.services.intake import IntakeProcessor

log = logging.getLogger(__name__)

# a job waits this long for the database to come back before RQ's retries take over; well
# under RQ's job timeout (180 s)
DATABASE_WAIT = 120.0


@dataclass(slots=True)
class JobContext:
    """Built once per worker process, before it forks, so models are loaded once."""

    processor: IntakeProcessor
    relay: OutboxRelay | None


_context: JobContext | None = None
_database_outage = Outage("database", log)


def install(context: JobContext) -> None:
    global _context
    _context = context


def process_intake(intake_id: str) -> str:
    """Formalize one intake; a repeat run returns the stored outcome and changes nothing.
    During a database outage the job waits for the database (one log line per outage)."""
    if _context is None:
        raise RuntimeError("worker context not installed: start the worker with worker.py")
    processor = _context.processor
    deadline = time.monotonic() + DATABASE_WAIT
    while True:
        try:
            state = processor.process(intake_id)
            break
        except Exception as exc:
            if not is_database_outage(exc) or time.monotonic() >= deadline:
                raise
            _database_outage.failed(exc)

            def ping() -> None:
                with processor.db.engine.connect() as connection:
                    connection.execute(text("SELECT 1"))

            if not _database_outage.wait_until(ping, is_database_outage, deadline=deadline):
                raise
    _database_outage.ok()
    if _context.relay is not None:
        # publish at once for a live desk; the relay loop catches up whatever fails here
        try:
            _context.relay.relay_pending()
        except Exception as exc:
            if not is_database_outage(exc):
                raise
    return state.value
