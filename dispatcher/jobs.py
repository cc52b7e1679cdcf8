"""RQ jobs: they reload state from the database and are safe to run twice; a drain job
formalizes every queued intake in batches."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import redis
from rq import get_current_job
from sqlalchemy import text

from dispatcher.outages import Outage, is_database_outage
from dispatcher.queue import IntakeQueue
from dispatcher.services.events import OutboxRelay
from dispatcher.services.intake_processor import IntakeProcessor

log = logging.getLogger(__name__)

# a job waits this long for the database to come back before RQ's retries take over; well
# under RQ's job timeout (180 s)
DATABASE_WAIT = 120.0
BATCH = 16  # intakes per transaction
DRAIN_FOR = 20.0  # seconds one drain job runs before it hands over to a new one
POLL = 0.005  # seconds between looks for new intakes while a drain job with no queue lingers
# seconds a drain job may hold its batches' events before relaying them (one relay for several
# small batches; the desk sees a new call that much later at most)
RELAY_EVERY = 0.1

T = TypeVar("T")


@dataclass(slots=True)
class JobContext:
    """Built once per worker process, before it forks, so models are loaded once."""

    processor: IntakeProcessor
    relay: OutboxRelay | None
    # seconds a drain job keeps looking for new intakes once none is left: while intakes keep
    # arriving one job takes them as they come (no RQ job, no wake-up per few intakes)
    linger: float = 0.0
    # seconds a lingering job lets intakes gather once one is announced: a batch costs about
    # the same statements for one intake as for sixteen
    gather: float = 0.0


_context: JobContext | None = None
_database_outage = Outage("database", log)


def install(context: JobContext) -> None:
    global _context
    _context = context


def _waiting_out_outages(work: Callable[[], T]) -> T:
    """Run `work`; during a database outage wait for the database (one log line per outage)
    and run it again, up to `DATABASE_WAIT`."""
    if _context is None:
        raise RuntimeError("worker context not installed: start the worker with worker.py")
    db = _context.processor.db
    deadline = time.monotonic() + DATABASE_WAIT
    while True:
        try:
            result = work()
            break
        except Exception as exc:
            if not is_database_outage(exc) or time.monotonic() >= deadline:
                raise
            _database_outage.failed(exc)

            def ping() -> None:
                with db.engine.connect() as connection:
                    connection.execute(text("SELECT 1"))

            if not _database_outage.wait_until(ping, is_database_outage, deadline=deadline):
                raise
    _database_outage.ok()
    return result


def _relay() -> None:
    """Publish the events at once for a live desk; the relay loop catches up what fails here."""
    assert _context is not None
    if _context.relay is None:
        return
    try:
        _context.relay.relay_pending()
    except Exception as exc:
        if not is_database_outage(exc):
            raise


def process_pending() -> int:
    """Drain the queued intakes in batches, oldest first, beside the other workers (each skips
    what another holds); how many were formalized. A drain runs `DRAIN_FOR` seconds at most,
    then hands the rest to a new job (RQ times jobs out)."""
    if _context is None:
        raise RuntimeError("worker context not installed: start the worker with worker.py")
    processor = _context.processor
    job = get_current_job()
    queue: IntakeQueue | None = None
    if job is not None:
        queue = IntakeQueue(job.connection, job.origin)
        # from now on a new intake enqueues another drain: none is left without one
        job.connection.delete(queue.nudge_key)
    deadline = time.monotonic() + DRAIN_FOR
    total = 0
    worked = time.monotonic()
    relay_due: float | None = None  # when the events of the batches done so far go out
    try:
        while True:
            done = _waiting_out_outages(lambda: processor.process_pending(BATCH))
            total += len(done)
            if done:
                worked = time.monotonic()
                relay_due = relay_due or worked + RELAY_EVERY
            if len(done) == BATCH and time.monotonic() < deadline:
                if relay_due is not None and time.monotonic() >= relay_due:
                    _relay()
                    relay_due = None
                continue
            # none is left that was queued before this job started: an intake stored since
            # has a drain job of its own, so the job may stop at any moment
            arrived = False
            while not arrived:
                now = time.monotonic()
                if relay_due is not None and now >= relay_due:
                    _relay()
                    relay_due = None
                if len(done) == BATCH:  # past the deadline with more to do: a new job goes on
                    if queue is not None:
                        queue.enqueue_drain()
                    return total
                if now - worked >= _context.linger or now >= deadline:
                    return total
                wait = min(_context.linger - (now - worked), deadline - now)
                if relay_due is not None:
                    wait = min(wait, relay_due - now)
                if queue is None:  # no queue to wait on: look again soon
                    time.sleep(min(wait, POLL))
                    break
                # wait for an arrival, not the database: an idle linger costs one command
                try:
                    arrived = queue.await_arrival(wait)
                    if arrived and _context.gather > 0:
                        # another job woken by the same arrivals may be gathering them already
                        arrived = queue.gather(_context.gather)
                except redis.RedisError:
                    return total  # lingering only saves; queued intakes wait for a new job
    finally:
        if relay_due is not None:
            _relay()


def process_intake(intake_id: str) -> str:
    """Formalize one intake (jobs enqueued by earlier versions); a repeat run returns the stored
    outcome and changes nothing."""
    if _context is None:
        raise RuntimeError("worker context not installed: start the worker with worker.py")
    processor = _context.processor
    state = _waiting_out_outages(lambda: processor.process(intake_id))
    _relay()
    return state.value
