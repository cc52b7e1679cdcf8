"""The RQ worker: loads the NLP models once, then formalizes queued intakes.

It runs the jobs in its own process (`--fork` forks a work horse per job: isolation at a
tenth of the speed), at a lower CPU priority than the web process (`--nice`), outlives Redis
and PostgreSQL outages, and beside the work loop keeps a liveness key, the scheduled retries
and the recovery of jobs held by dead workers."""

from __future__ import annotations

import argparse
import logging
import os
import time

from rq import Queue
from rq.job import Job

from dispatcher import jobs
from dispatcher.heap import freeze_startup_objects
from dispatcher.logs import configure_logging
from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.outages import REDIS_OUTAGE_ERRORS, Outage, is_redis_outage
from dispatcher.queue import (
    Housekeeper,
    IntakeQueue,
    ResilientForkWorker,
    ResilientSimpleWorker,
)
from dispatcher.redis_server import connect
from dispatcher.services.events import OutboxRelay
from dispatcher.services.intake_processor import IntakeProcessor
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoDirectory

log = logging.getLogger("worker")

WORKER_TTL = 60  # seconds: RQ's heartbeat horizon; the blocking dequeue waits 45 s at most
LINGER = 0.5  # seconds a drain job waits for more intakes once none is left
GATHER = 0.04  # seconds it lets them gather once one arrives (part of the round trip)


class IntakeWorker(ResilientForkWorker):
    """A forking worker whose work horses inherit the preloaded models (copy-on-write)."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        # connections must not be shared across fork: each horse opens its own
        if _database is not None:
            _database.engine.dispose(close=False)
        super().execute_job(job, queue)


class InProcessWorker(ResilientSimpleWorker):
    """Runs jobs in the worker process itself: no fork per job (the production mode)."""


_database: Database | None = None


def build_context(settings: Settings, db: Database) -> jobs.JobContext:
    analyzer = NlpAnalyzer()
    client = connect(settings.redis_url) if settings.redis_url else None
    relay = (
        OutboxRelay(db, client, settings.events_stream, settings.events_stream_maxlen)
        if client is not None
        else None
    )
    return jobs.JobContext(IntakeProcessor(db, analyzer, MoDirectory()), relay, LINGER, GATHER)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument(
        "--fork", action="store_true", help="fork a work horse per job (isolation over speed)"
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=10,
        help="lower CPU priority (0: as the web process); acknowledging intakes comes first",
    )
    args = parser.parse_args(argv)
    # on a shared machine the web process keeps its CPU under load: a 202 stays quick while
    # the workers' backlog grows, and past its limit the API sheds with 503
    os.nice(args.nice)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    if settings.redis_url is None:
        parser.error("REDIS_URL is not set (`make run` starts an embedded Redis and sets it)")
    global _database
    _database = Database(settings.database_url)
    jobs.install(build_context(settings, _database))
    freeze_startup_objects()  # the models live as long as the worker
    worker_class = IntakeWorker if args.fork else InProcessWorker
    # housekeeping has its own connection: RQ stretches its worker's socket timeout
    queue = IntakeQueue(connect(settings.redis_url), settings.queue_name, settings.job_retries)
    redis_outage = Outage("Redis", log)
    while True:
        worker = worker_class(
            [settings.queue_name], connection=connect(settings.redis_url), worker_ttl=WORKER_TTL
        )
        worker.on_interrupted = queue.requeue_job
        try:
            redis_outage.wait_until(worker.connection.ping, is_redis_outage)
            housekeeper = Housekeeper(queue, worker.name, _database)
            if args.burst:
                housekeeper.tick()  # stranded jobs and due retries join this burst
            housekeeper.start()
        except REDIS_OUTAGE_ERRORS:
            continue
        try:
            log.info("worker %s ready (%s)", worker.name, worker_class.__name__)
            worker.work(burst=args.burst)
        finally:
            housekeeper.close()
        if args.burst or worker.shutdown_requested or worker._stop_requested:
            break
        # RQ left its loop on an error it does not survive: a new worker takes over
        log.warning("worker %s stopped unexpectedly; starting a new one", worker.name)
        time.sleep(1)
    _database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
