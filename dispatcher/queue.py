"""The intake queue on RQ: intakes are stored as queued, a drain job formalizes them in batches;
workers that outlive Redis and PostgreSQL outages, and a housekeeper that gives a dead worker's
jobs back at once and wakes the workers for intakes nobody took."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
import redis.asyncio
from redis.commands.core import AsyncScript
from rq import Queue, SimpleWorker, Worker
from rq.exceptions import NoSuchJobError, StopRequested
from rq.job import Job, JobStatus
from rq.scheduler import RQScheduler
from rq.scripts import release_lock
from sqlalchemy import func, select

from dispatcher.outages import REDIS_OUTAGE_ERRORS, Outage, is_database_outage, is_redis_outage
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from intake_core.intake import MAX_ATTEMPTS, IntakeState

log = logging.getLogger(__name__)

PROCESS_PENDING = "dispatcher.jobs.process_pending"

ALIVE_TTL = 10  # seconds: a worker whose liveness key is gone for this long is dead
ALIVE_EVERY = 2.0  # seconds between liveness refreshes
INTERMEDIATE_GRACE = 5.0  # seconds a job may sit taken but not started before it is given back
STALE_AFTER = timedelta(seconds=5)  # an intake this old, queued in the database with no job
NUDGE_TTL = 5  # seconds: a nudge whose job was lost (Redis restarted) stops blocking others


def alive_key(worker_name: str) -> str:
    return f"intake-worker:alive:{worker_name}"


def nudge_key(queue_name: str) -> str:
    """Set while a drain job waits in the queue; the job deletes it when it starts."""
    return f"intake-queue:nudged:{queue_name}"


GATHER_SPARE_MS = 1000  # a gathering key's life beyond its gathering


def gathering_key(queue_name: str) -> str:
    """Set while one lingering drain job lets announced intakes gather into its next batch."""
    return f"intake-queue:gathering:{queue_name}"


def arrival_key(queue_name: str) -> str:
    """A list of at most one token, pushed at every new intake: a drain job that lingers for
    more intakes blocks on it instead of asking the database again and again."""
    return f"intake-queue:arrived:{queue_name}"


# a new intake's announcement, one command: one arrival token for a lingering job (a list of
# at most one) and the nudge, whose answer (1: set now) says whether to enqueue a drain job
ANNOUNCE = """
redis.call('LPUSH', KEYS[2], '1')
redis.call('LTRIM', KEYS[2], 0, 0)
redis.call('EXPIRE', KEYS[2], ARGV[1])
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 1 end
return 0
"""


class IntakeQueue:
    """Wakes the workers for intakes stored as queued: a job drains every queued intake in
    batches (by the database), so one job waits at a time, whatever the intake rate. An intake
    costs Redis one command (`ANNOUNCE`); RQ's ~20 commands are paid per job."""

    def __init__(self, connection: redis.Redis, name: str, retries: int = 3) -> None:
        self.queue = Queue(name, connection=connection)
        self.retries = retries
        self._announce = connection.register_script(ANNOUNCE)

    @property
    def connection(self) -> redis.Redis:
        return self.queue.connection

    @property
    def nudge_key(self) -> str:
        return nudge_key(self.queue.name)

    @property
    def arrival_key(self) -> str:
        return arrival_key(self.queue.name)

    def nudge(self) -> bool:
        """Make sure a drain job waits and tell a lingering one; True when this call enqueued
        a job."""
        if not self._announce(keys=[self.nudge_key, self.arrival_key], args=[NUDGE_TTL]):
            return False
        self.enqueue_drain()
        return True

    def await_arrival(self, timeout: float) -> bool:
        """Block until an intake is announced or `timeout` seconds pass; True when one was.
        A lost token costs nothing but the wait: every intake has a drain job of its own."""
        if timeout <= 0:
            return False
        return self.connection.blpop([self.arrival_key], timeout=timeout) is not None

    def gather(self, seconds: float) -> bool:
        """Let announced intakes gather for `seconds` into one batch; False when another job
        gathers them (the same arrivals woke both): one batch, not two half ones, and this job
        steps aside until that gathering ends instead of waking at each arrival meanwhile. The
        tokens of the gathered intakes are dropped, so they wake no other job."""
        key = gathering_key(self.queue.name)
        if not self.connection.set(key, "1", nx=True, px=int(seconds * 1000) + GATHER_SPARE_MS):
            # the key outlives its gathering by the spare (a gatherer that died frees it)
            left_ms = int(self.connection.pttl(key)) - GATHER_SPARE_MS
            if left_ms > 0:
                time.sleep(left_ms / 1000)
            return False
        time.sleep(seconds)
        self.connection.delete(self.arrival_key, key)
        return True

    def enqueue(self, intake_id: str) -> None:
        """`intake_id` is stored as queued: the next drain job takes it (and any other)."""
        self.nudge()

    def enqueue_drain(self) -> None:
        # no retries: a failed drain leaves its intakes queued, and the next nudge or the
        # stale sweep runs another
        self.queue.enqueue(
            PROCESS_PENDING,
            job_id=f"intake-drain-{uuid.uuid4().hex}",
            result_ttl=60,
            failure_ttl=7 * 24 * 3600,
        )

    def requeue_stale(self, db: Database, older_than: timedelta = STALE_AFTER) -> int:
        """Wake a worker for intakes queued in the database longer than `older_than` (Redis
        was down at submit or lost its data in a restart, a drain failed in an outage); the
        number of such intakes."""
        cutoff = datetime.now(UTC) - older_than
        with db.session() as session:
            stale = int(
                session.scalar(
                    select(func.count())
                    .select_from(tables.Intake)
                    .where(
                        tables.Intake.state == IntakeState.QUEUED,
                        tables.Intake.received_at < cutoff,
                        tables.Intake.attempts < MAX_ATTEMPTS,
                    )
                )
                or 0
            )
        if stale and self.nudge():
            log.info("%d intakes queued in the database without a job: a drain enqueued", stale)
        return stale

    def rescue_stranded(self, now: float | None = None) -> int:
        """Give back the jobs a dead worker holds: in the started registry under a worker whose
        liveness key expired, or taken into the intermediate list and never started. Jobs are
        safe to run twice, so a doubt is settled by running the job again."""
        connection = self.connection
        registry = self.queue.started_job_registry
        moment = time.time() if now is None else now
        stranded: set[str] = set()
        started: set[str] = set()
        entries = registry.get_job_and_execution_ids(cleanup=False)
        workers: dict[str, bool] = {}
        for job_id, execution_id in entries:
            raw = connection.hget(f"rq:execution:{job_id}:{execution_id}", "worker_name")
            name = raw.decode() if isinstance(raw, bytes) else ""
            if name and name not in workers:
                workers[name] = bool(connection.exists(alive_key(name)))
            if name and workers[name]:
                started.add(job_id)
                continue
            connection.zrem(registry.key, f"{job_id}:{execution_id}")
            stranded.add(job_id)
        intermediate = self.queue.intermediate_queue_key
        for raw_id in connection.lrange(intermediate, 0, -1):
            job_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            seen_key = f"intake-queue:taken:{self.queue.name}:{job_id}"
            if job_id in started:
                connection.delete(seen_key)
                continue
            if job_id not in stranded:
                # first seen now: a live worker starts it within milliseconds
                if connection.set(seen_key, str(moment), nx=True, ex=60):
                    continue
                first = connection.get(seen_key)
                if first is not None and moment - float(first) < INTERMEDIATE_GRACE:
                    continue
            connection.lrem(intermediate, 0, job_id)
            connection.delete(seen_key)
            stranded.add(job_id)
        requeued = sum(self.requeue_job(job_id) for job_id in sorted(stranded))
        if requeued:
            log.warning("gave back %d jobs held by dead workers", requeued)
        return requeued

    def requeue_job(self, job_id: str) -> bool:
        """Put a job whose run was cut off back in the queue (a missing one is left to
        `requeue_stale`, which goes by the database)."""
        try:
            job = Job.fetch(job_id, connection=self.connection)
        except NoSuchJobError:
            return False
        if job.get_status(refresh=False) in {JobStatus.FINISHED, JobStatus.FAILED}:
            return False
        pipe = self.connection.pipeline()
        pipe.lrem(self.queue.intermediate_queue_key, 0, job_id)
        pipe.execute()
        self.queue.enqueue_job(job)
        return True


class _RedisRetryLogFilter(logging.Filter):
    """RQ logs each reconnect attempt; an outage is logged once by `Outage` instead."""

    def __init__(self, outage: Outage) -> None:
        super().__init__()
        self.outage = outage

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Worker %s: could not connect to Redis instance"):
            args = record.args if isinstance(record.args, tuple) else ()
            error = next((a for a in args if isinstance(a, BaseException)), None)
            self.outage.failed(error or redis.exceptions.ConnectionError("connection lost"))
            return False
        return True


class ResilientWorkerMixin:
    """An RQ worker that waits out a Redis outage instead of quitting: every Redis call of the
    work loop is retried with backoff, one log line per outage; a job cut off by the outage
    is put back in the queue when Redis returns (`on_interrupted`)."""

    max_connection_wait_time = 5.0  # RQ's own dequeue backoff, capped low for a quick return
    on_interrupted: Callable[[str], object] | None = None
    shutdown_requested = False  # SIGTERM or SIGINT: the work loop ended on purpose

    # provided by rq.BaseWorker
    connection: redis.Redis
    log: logging.Logger
    _stop_requested: bool

    def _outage(self) -> Outage:
        outage: Outage | None = getattr(self, "_redis_outage", None)
        if outage is None:
            outage = Outage("Redis", log)
            self._redis_outage = outage
        return outage

    def _await_redis(self, exc: BaseException) -> None:
        outage = self._outage()
        delay = outage.failed(exc)
        while True:
            if self._stop_requested or self.shutdown_requested:
                raise StopRequested()
            time.sleep(delay)
            try:
                self.connection.ping()
            except REDIS_OUTAGE_ERRORS as again:
                delay = outage.failed(again)
                continue
            outage.ok()
            return

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.shutdown_requested = True
        super().request_stop(signum, frame)  # type: ignore[misc]

    def work(self, *args: Any, **kwargs: Any) -> bool:
        retry_filter = _RedisRetryLogFilter(self._outage())
        self.log.addFilter(retry_filter)
        try:
            return bool(super().work(*args, **kwargs))  # type: ignore[misc]
        finally:
            self.log.removeFilter(retry_filter)

    def check_for_suspension(self, burst: bool) -> None:
        while True:
            try:
                super().check_for_suspension(burst)  # type: ignore[misc]
                return
            except REDIS_OUTAGE_ERRORS as exc:
                self._await_redis(exc)

    def run_maintenance_tasks(self) -> None:
        try:
            super().run_maintenance_tasks()  # type: ignore[misc]
        except REDIS_OUTAGE_ERRORS as exc:
            self._await_redis(exc)

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None):  # type: ignore[no-untyped-def]
        while True:
            try:
                result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)  # type: ignore[misc]
            except REDIS_OUTAGE_ERRORS as exc:
                self._await_redis(exc)
                continue
            self._outage().ok()
            return result

    def execute_job(self, job: Job, queue: Queue) -> None:
        try:
            super().execute_job(job, queue)  # type: ignore[misc]
        except REDIS_OUTAGE_ERRORS as exc:
            # the job may or may not have run: it runs again (jobs are safe to repeat)
            self._await_redis(exc)
            if self.on_interrupted is not None:
                self.on_interrupted(job.id)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if pipeline is not None:
            super().heartbeat(timeout, pipeline)  # type: ignore[misc]
            return
        try:
            super().heartbeat(timeout)  # type: ignore[misc]
        except REDIS_OUTAGE_ERRORS as exc:
            self._outage().failed(exc)  # the next blocking call waits the outage out
            return
        self._outage().ok()

    def teardown(self) -> None:
        try:
            super().teardown()  # type: ignore[misc]
        except REDIS_OUTAGE_ERRORS:
            log.info("worker %s: Redis unavailable at shutdown", getattr(self, "name", "?"))


class ResilientSimpleWorker(ResilientWorkerMixin, SimpleWorker):
    """Runs jobs in its own process (no fork per job) and outlives Redis outages."""


class ResilientForkWorker(ResilientWorkerMixin, Worker):
    """Forks a work horse per job and outlives Redis outages."""


class Housekeeper:
    """Threads beside a worker: its liveness key (so that another worker can tell it died),
    the scheduled retries (one worker holds the scheduler lock; the thread dies with the
    worker, so no scheduler outlives it), dead workers' jobs given back, and intakes queued in
    the database without a job re-enqueued."""

    def __init__(
        self,
        queue: IntakeQueue,
        worker_name: str,
        db: Database | None = None,
        every: float = 2.0,
        sweep_every: float = 5.0,
    ) -> None:
        self.queue = queue
        self.worker_name = worker_name
        self.db = db
        self.every = every
        self.sweep_every = sweep_every
        self.stop = threading.Event()
        self.scheduler = RQScheduler(
            [queue.queue.name], connection=queue.connection, name=worker_name
        )
        self._threads: list[threading.Thread] = []
        self._redis = Outage("Redis (housekeeping)", log)
        self._database = Outage("database (housekeeping)", log)
        self._last_sweep = 0.0

    def beat(self) -> None:
        self.queue.connection.set(alive_key(self.worker_name), "1", ex=ALIVE_TTL)

    def tick(self) -> None:
        """One round of housekeeping; outages are noted and waited out by the caller."""
        self.free_dead_scheduler_lock()
        if self.scheduler.acquire_locks():
            self.scheduler.enqueue_scheduled_jobs()
        # one worker of the queue per round: two would give the same job back twice
        round_key = f"intake-queue:housekeeping:{self.queue.queue.name}"
        ttl = max(1, int(self.every))
        if not self.queue.connection.set(round_key, self.worker_name, nx=True, ex=ttl):
            return
        self.queue.rescue_stranded()
        if self.db is not None and time.monotonic() - self._last_sweep >= self.sweep_every:
            self.queue.requeue_stale(self.db)
            self._last_sweep = time.monotonic()

    def free_dead_scheduler_lock(self) -> bool:
        """Release the scheduler lock of a worker whose liveness key expired: RQ's lock would
        outlive it by a minute, with nobody running the scheduled retries."""
        key = RQScheduler.get_locking_key(self.queue.queue.name)
        raw = self.queue.connection.get(key)
        holder = raw.decode() if isinstance(raw, bytes) else raw
        if not holder or holder == self.worker_name:
            return False
        if self.queue.connection.exists(alive_key(holder)):
            return False
        released = bool(release_lock(self.queue.connection, key, holder))
        if released:
            log.warning("scheduler lock of dead worker %s released", holder)
        return released

    def start(self) -> Housekeeper:
        self.beat()
        for target, name in ((self._beat_loop, "alive"), (self._loop, "housekeeping")):
            thread = threading.Thread(target=target, daemon=True, name=f"worker-{name}")
            thread.start()
            self._threads.append(thread)
        return self

    def _beat_loop(self) -> None:
        outage = Outage("Redis (liveness)", log, level=logging.DEBUG)  # housekeeping tells
        while not self.stop.is_set():
            try:
                self.beat()
                outage.ok()
            except REDIS_OUTAGE_ERRORS as exc:
                outage.failed(exc)
            self.stop.wait(ALIVE_EVERY)

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                self.tick()
                self._redis.ok()
                self._database.ok()
            except Exception as exc:
                if is_redis_outage(exc):
                    self._database.ok()
                    self.stop.wait(self._redis.failed(exc))
                    continue
                if is_database_outage(exc):
                    self.stop.wait(self._database.failed(exc))
                    continue
                log.exception("housekeeping failed")
            self.stop.wait(self.every)

    def close(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        try:
            self.scheduler.release_locks()
            self.queue.connection.delete(alive_key(self.worker_name))
        except REDIS_OUTAGE_ERRORS:
            pass


class AsyncNudge:
    """`IntakeQueue.nudge` for the async intake endpoint: the announcement is awaited (a slow Redis
    never stalls the event loop); the rare enqueue of a drain job, once per job, is RQ's."""

    def __init__(self, queue: IntakeQueue) -> None:
        self.queue = queue
        self._client: redis.asyncio.Redis | None = None
        self._script: AsyncScript | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _async_client(self) -> redis.asyncio.Redis:
        """One client per event loop: its connections belong to the loop that opened them."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            kwargs = dict(self.queue.connection.connection_pool.connection_kwargs)
            self._client = redis.asyncio.Redis(
                host=kwargs.get("host", "localhost"),
                port=kwargs.get("port", 6379),
                db=kwargs.get("db", 0),
                username=kwargs.get("username"),
                password=kwargs.get("password"),
                socket_timeout=kwargs.get("socket_timeout") or 5,
                socket_connect_timeout=kwargs.get("socket_connect_timeout") or 3,
            )
            self._loop = loop
        return self._client

    def _async_announce(self) -> AsyncScript:
        """The announcement script on this loop's client (loaded again should Redis lose it)."""
        client = self._async_client()
        if self._script is None or self._script.registered_client is not client:
            self._script = client.register_script(ANNOUNCE)
        return self._script

    async def __call__(self) -> bool:
        """Make sure a drain job waits and tell a lingering one (one round trip); True when
        this call enqueued a job."""
        keys = [self.queue.nudge_key, self.queue.arrival_key]
        if not await self._async_announce()(keys=keys, args=[NUDGE_TTL]):
            return False
        self.queue.enqueue_drain()
        return True

    async def close(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = None
