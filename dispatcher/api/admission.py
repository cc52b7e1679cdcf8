"""Admission of intakes: above capacity the API says so at once (503, Retry-After) instead of
queueing ever longer latencies. Two signals: this process's intakes in flight (the web process
is saturated) and the number of intakes no worker has taken yet (the workers are). The backlog
is bounded by count, not age: a short Redis outage stalls the workers without overloading
them, and intakes are still acknowledged (stored, processed when Redis is back)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from dispatcher.outages import is_outage

log = logging.getLogger(__name__)

OVERLOADED = (
    "Сервис перегружен: слишком много вызовов одновременно. "
    "Вызов не принят — повторите запрос через {seconds} с."
)


class Admission:
    """Counts intakes in flight and watches the workers' backlog; sheds past either limit.

    The backlog is read at most every `refresh_every` seconds, by a request that finds it
    stale, in the background: no request waits for it."""

    def __init__(
        self,
        queued: Callable[[], Awaitable[int]],
        max_in_flight: int = 32,
        max_backlog: int = 200,
        refresh_every: float = 0.1,
        retry_after: int = 1,
    ) -> None:
        self.queued = queued
        self.max_in_flight = max_in_flight
        self.max_backlog = max_backlog
        self.refresh_every = refresh_every
        self.retry_after = retry_after
        self.in_flight = 0
        self.shed = 0
        self._backlog = 0
        self._read_at = float("-inf")
        self._reading: asyncio.Task[None] | None = None

    @property
    def message(self) -> str:
        return OVERLOADED.format(seconds=self.retry_after)

    def enter(self) -> bool:
        """Take a place for one intake; False: over capacity, answer 503 (nothing taken)."""
        self._refresh()
        if self.in_flight >= self.max_in_flight or self._backlog > self.max_backlog:
            self.shed += 1
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1

    async def close(self) -> None:
        """Wait for a backlog read in flight (its connection goes back before the loop ends)."""
        reading, self._reading = self._reading, None
        running = asyncio.get_running_loop()
        if reading is not None and not reading.done() and reading.get_loop() is running:
            await asyncio.wait([reading], timeout=5)

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._read_at < self.refresh_every:
            return
        loop = asyncio.get_running_loop()
        reading = self._reading
        if reading is not None and not reading.done() and reading.get_loop() is loop:
            return
        self._read_at = now
        self._reading = loop.create_task(self._read())

    async def _read(self) -> None:
        try:
            backlog = await self.queued()
        except Exception as exc:
            if not is_outage(exc):
                log.exception("intake backlog not read")
            # an outage answers the requests themselves with 503: no shedding on a guess
            self._backlog = 0
            return
        if backlog > self.max_backlog >= self._backlog:
            log.warning("%d intakes wait for a worker: answering 503 until they catch up", backlog)
        self._backlog = backlog
