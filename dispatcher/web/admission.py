"""Admission of intakes: above capacity the API says so at once (503, Retry-After) instead of
queueing ever longer latencies.

Three signals: this process's intakes in flight and the lag of its event loop (the web process
is saturated: requests wait before any handler sees them), and the workers' backlog (they are).
The backlog is too old when more than `backlog_floor` intakes wait and the oldest has waited
`max_backlog_age` seconds, or too long past `max_backlog` intakes: a few intakes held up by a
short Redis outage are still acknowledged (stored, processed when Redis is back).

The check runs as ASGI middleware in front of the application, so a refusal costs no routing,
no body parsing and no database."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.types import ASGIApp, Receive, Scope, Send

from dispatcher.outages import is_outage
from dispatcher.services.intake_store import Backlog

log = logging.getLogger(__name__)

LAG_PROBE = 0.02  # seconds between event loop lag probes
OVERLOADED = (
    "Сервис перегружен: слишком много вызовов одновременно. "
    "Вызов не принят — повторите запрос через {seconds} с."
)


class Admission:
    """Counts intakes in flight, probes the event loop, watches the workers' backlog; sheds
    past any limit. The backlog is read at most every `refresh_every` seconds, by a request
    that finds it stale, in the background: no request waits for it."""

    def __init__(
        self,
        backlog: Callable[[], Awaitable[Backlog]],
        max_in_flight: int = 32,
        max_backlog: int = 200,
        max_backlog_age: float = 1.0,
        backlog_floor: int = 100,
        max_lag: float = 0.1,
        refresh_every: float = 0.1,
        retry_after: int = 1,
    ) -> None:
        self.backlog = backlog
        self.max_in_flight = max_in_flight
        self.max_backlog = max_backlog
        self.max_backlog_age = max_backlog_age
        self.backlog_floor = backlog_floor
        self.max_lag = max_lag
        self.refresh_every = refresh_every
        self.retry_after = retry_after
        self.in_flight = 0
        self.shed = 0
        self.lag = 0.0  # seconds the event loop runs late, smoothed over the last probes
        self._backlog_full = False
        self._probing: asyncio.AbstractEventLoop | None = None
        self._read_at = float("-inf")
        self._reading: asyncio.Task[None] | None = None

    @property
    def message(self) -> str:
        return OVERLOADED.format(seconds=self.retry_after)

    def enter(self) -> bool:
        """Take a place for one intake; False: over capacity, answer 503 (nothing taken)."""
        loop = asyncio.get_running_loop()
        self._probe_lag(loop)
        self._refresh(loop)
        if self.in_flight >= self.max_in_flight or self._backlog_full or self.lag > self.max_lag:
            self.shed += 1
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1

    async def close(self) -> None:
        """Stop the lag probe; wait for a backlog read in flight (its connection goes back
        before the loop ends)."""
        self._probing = None
        reading, self._reading = self._reading, None
        running = asyncio.get_running_loop()
        if reading is not None and not reading.done() and reading.get_loop() is running:
            await asyncio.wait([reading], timeout=5)

    def _probe_lag(self, loop: asyncio.AbstractEventLoop) -> None:
        """A callback every `LAG_PROBE` seconds notes how late the loop runs it; the lag is
        smoothed, so that one pause (a garbage collection) sheds nothing."""
        if self._probing is loop:
            return
        self._probing = loop

        def probe(due: float) -> None:
            if self._probing is not loop:
                return
            self.lag = 0.7 * self.lag + 0.3 * max(0.0, loop.time() - due)
            loop.call_at(loop.time() + LAG_PROBE, probe, loop.time() + LAG_PROBE)

        loop.call_at(loop.time() + LAG_PROBE, probe, loop.time() + LAG_PROBE)

    def _refresh(self, loop: asyncio.AbstractEventLoop) -> None:
        now = time.monotonic()
        if now - self._read_at < self.refresh_every:
            return
        reading = self._reading
        if reading is not None and not reading.done() and reading.get_loop() is loop:
            return
        self._read_at = now
        self._reading = loop.create_task(self._read())

    async def _read(self) -> None:
        try:
            backlog = await self.backlog()
        except Exception as exc:
            if not is_outage(exc):
                log.exception("intake backlog not read")
            # an outage answers the requests themselves with 503: no shedding on a guess
            self._backlog_full = False
            return
        age = backlog.age(datetime.now(UTC))
        full = backlog.count > self.max_backlog or (
            backlog.count > self.backlog_floor and age > self.max_backlog_age
        )
        if full and not self._backlog_full:
            log.warning(
                "%d intakes wait for a worker, the oldest %.1f s: answering 503 until they "
                "catch up",
                backlog.count,
                age,
            )
        self._backlog_full = full


class AdmissionMiddleware:
    """Runs `Admission` in front of the application for the intake POST."""

    def __init__(self, app: ASGIApp, admission: Admission, path: str) -> None:
        self.app = app
        self.admission = admission
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"].rstrip("/") != self.path
            or not any(name == b"authorization" for name, _ in scope["headers"])
        ):
            # no token: the application's 401 costs no more than a 503, and says what is wrong
            await self.app(scope, receive, send)
            return
        admission = self.admission
        if not admission.enter():
            await _refuse(send, admission)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            admission.leave()


async def _refuse(send: Send, admission: Admission) -> None:
    body = json.dumps({"detail": admission.message}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(admission.retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
