"""What every fake messenger server does whatever its protocol: an aiohttp server on 127.0.0.1,
the log of the bot's requests and waiting for one, failures queued on demand, updates held for
long polling or pushed to a webhook."""

from __future__ import annotations

import abc
import asyncio
import itertools
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from aiohttp import ClientSession, web


class Request(Protocol):
    """A request the bot made, as a fake records it."""

    @property
    def failed(self) -> bool: ...

    @property
    def text(self) -> str: ...


R = TypeVar("R", bound=Request)
F = TypeVar("F")


@dataclass
class FakeMessenger(abc.ABC, Generic[R, F]):
    """The server, the request log and the update queue; a subclass speaks the protocol."""

    secret_header: ClassVar[str]

    host: str = "127.0.0.1"
    requests: list[R] = field(default_factory=list)
    _updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (seq, update)
    _failures: dict[str, deque[F]] = field(default_factory=lambda: defaultdict(deque))
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    delivered: dict[int, float] = field(default_factory=dict)  # seq → first handed out
    pushes: list[tuple[int, int]] = field(default_factory=list)  # (seq, HTTP status)
    _runner: web.AppRunner | None = None
    _client: ClientSession | None = None
    port: int = 0

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        self._route(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @abc.abstractmethod
    def _route(self, app: web.Application) -> None:
        """Point the protocol's paths at its handler."""

    @abc.abstractmethod
    def _called(self, request: R) -> str:
        """What the request called (a method, a route), for a timeout's message."""

    # --- the request log -----------------------------------------------------------------
    async def _record(self, request: R) -> None:
        async with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    async def wait_for(
        self, predicate: Callable[[R], bool], start: int = 0, within: float = 5.0
    ) -> tuple[int, R]:
        """The first recorded request from index `start` on that satisfies `predicate`."""
        deadline = asyncio.get_running_loop().time() + within
        async with self._changed:
            while True:
                for index in range(start, len(self.requests)):
                    if predicate(self.requests[index]):
                        return index, self.requests[index]
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    tail = [(self._called(r), r.text[:60]) for r in self.requests[start:]]
                    raise TimeoutError(f"no matching request; since then: {tail}")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    continue

    # --- failures on demand ----------------------------------------------------------------
    def _fail(self, key: str, failure: F, times: int) -> None:
        """The next `times` requests of `key` fail as `failure` says."""
        self._failures[key].extend([failure] * times)

    def _next_failure(self, key: str) -> F | None:
        failures = self._failures.get(key)
        return failures.popleft() if failures else None

    # --- updates -----------------------------------------------------------------------------
    async def _queue(self, seq: int, update: dict[str, Any]) -> None:
        """Keep an update for the next long poll."""
        async with self._changed:
            self._updates.append((seq, update))
            self._changed.notify_all()

    async def _post(self, url: str, secret: str | None, seq: int, update: dict[str, Any]) -> int:
        """POST one update to a webhook with its secret header; the answer's status."""
        if self._client is None:
            self._client = ClientSession()
        headers = {self.secret_header: secret} if secret else {}
        self.delivered.setdefault(seq, time.perf_counter())
        async with self._client.post(url, json=update, headers=headers) as response:
            self.pushes.append((seq, response.status))
            return response.status

    async def _take(self, since: int, wait: float, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """Updates from `since` on (the ones before it are dropped as committed), waiting up to
        `wait` seconds for one; an empty list when none came."""
        async with self._changed:
            self._updates = [(s, u) for s, u in self._updates if s >= since]
            if not self._updates and wait:
                try:
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._updates)), wait
                    )
                except TimeoutError:
                    return []
            batch = self._updates[:limit]
            now = time.perf_counter()
            for seq, _ in batch:
                self.delivered.setdefault(seq, now)
            return batch
