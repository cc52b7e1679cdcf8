"""Outages of PostgreSQL and Redis: which errors mean one, backoff, and one log line per outage."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import psycopg
import redis
from sqlalchemy import exc as sa_exc

T = TypeVar("T")

REDIS_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,  # a restarted Redis still reading its AOF
)


def is_database_outage(exc: BaseException) -> bool:
    """The database is unreachable or dropped the connection (not a bad query)."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc,
        sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.TimeoutError  # the pool waited in vain for a connection
        | psycopg.OperationalError
        | psycopg.InterfaceError,
    )


def is_redis_outage(exc: BaseException) -> bool:
    return isinstance(exc, REDIS_OUTAGE_ERRORS)


def is_outage(exc: BaseException) -> bool:
    return is_database_outage(exc) or is_redis_outage(exc)


class Outage:
    """What one loop sees of one dependency: the first failure and the recovery are logged,
    the retries in between only counted; the wait between retries doubles up to `cap`."""

    def __init__(
        self,
        what: str,
        logger: logging.Logger,
        base: float = 0.25,
        cap: float = 5.0,
        level: int = logging.WARNING,
    ) -> None:
        self.what = what
        self.log = logger
        self.level = level
        self.base = base
        self.cap = cap
        self._since: float | None = None
        self._delay = base
        self._retries = 0
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> float:
        """Note a failure; return how long to wait before the next try."""
        with self._lock:
            if self._since is None:
                self._since = time.monotonic()
                self._delay = self.base
                self._retries = 0
                self.log.log(
                    self.level,
                    "%s unavailable (%s: %s); retrying with backoff up to %.0f s",
                    self.what,
                    type(exc).__name__,
                    _first_line(exc),
                    self.cap,
                )
            self._retries += 1
            delay = self._delay
            self._delay = min(self._delay * 2, self.cap)
            return delay

    def ok(self) -> None:
        """Note a success; logs the end of an outage once."""
        if self._since is None:
            return
        with self._lock:
            if self._since is None:
                return
            took = time.monotonic() - self._since
            self._since = None
            self._delay = self.base
            self.log.log(
                self.level,
                "%s available again after %.1f s (%d retries)",
                self.what,
                took,
                self._retries,
            )

    def wait(self, exc: BaseException, stop: threading.Event | None = None) -> bool:
        """Note a failure and sleep the backoff; False when `stop` was set meanwhile."""
        delay = self.failed(exc)
        if stop is None:
            time.sleep(delay)
            return True
        return not stop.wait(delay)

    def wait_until(
        self,
        check: Callable[[], object],
        is_down: Callable[[BaseException], bool],
        stop: threading.Event | None = None,
        deadline: float | None = None,
    ) -> bool:
        """Call `check` until it passes; True when it did, False on `stop` or past `deadline`
        (a monotonic time). Errors that are not an outage propagate."""
        while True:
            try:
                check()
            except Exception as exc:
                if not is_down(exc):
                    raise
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                if not self.wait(exc, stop):
                    return False
                continue
            self.ok()
            return True


async def until_up(
    outage: Outage,
    call: Callable[[], Awaitable[T]],
    is_down: Callable[[BaseException], bool] = is_outage,
) -> T:
    """Await `call` until it passes, on an event loop: each outage is waited out with the
    backoff of `outage` (logged once); errors that are not an outage propagate."""
    while True:
        try:
            result = await call()
        except Exception as exc:
            if not is_down(exc):
                raise
            await asyncio.sleep(outage.failed(exc))
            continue
        outage.ok()
        return result


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""
