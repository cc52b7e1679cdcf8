"""The RQ worker: loads the NLP models before it forks, then formalizes queued intakes."""

from __future__ import annotations

import argparse
import logging

from rq import SimpleWorker, Worker

from dispatcher import jobs
from dispatcher.analysis import NlpAnalyzer
from dispatcher.logs import configure_logging
from dispatcher.redis_server import connect
from dispatcher.services.events import OutboxRelay
from dispatcher.services.intake import IntakeProcessor
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoDirectory

log = logging.getLogger("worker")


class IntakeWorker(Worker):
    """A forking worker whose work horses inherit the preloaded models (copy-on-write)."""

    def execute_job(self, job, queue):  # type: ignore[no-untyped-def]
        # connections must not be shared across fork: each horse opens its own
        if _database is not None:
            _database.engine.dispose(close=False)
        return super().execute_job(job, queue)


class InProcessWorker(SimpleWorker):
    """Runs jobs in the worker process itself: no fork per job, for throughput and tests."""


_database: Database | None = None


def build_context(settings: Settings, db: Database) -> jobs.JobContext:
    analyzer = NlpAnalyzer()
    client = connect(settings.redis_url) if settings.redis_url else None
    relay = (
        OutboxRelay(db, client, settings.events_stream, settings.events_stream_maxlen)
        if client is not None
        else None
    )
    return jobs.JobContext(IntakeProcessor(db, analyzer, MoDirectory()), relay)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument(
        "--fork", action="store_true", help="fork a work horse per job (isolation over speed)"
    )
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    if settings.redis_url is None:
        parser.error("REDIS_URL is not set (`make run` starts an embedded Redis and sets it)")
    global _database
    _database = Database(settings.database_url)
    jobs.install(build_context(settings, _database))
    worker_class = IntakeWorker if args.fork else InProcessWorker
    worker = worker_class([settings.queue_name], connection=connect(settings.redis_url))
    log.info("worker ready (%s)", worker_class.__name__)
    worker.work(burst=args.burst, with_scheduler=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
