"""A small MAX Bot API client: one aiohttp session, the token in the Authorization header,
requests kept under MAX's rate limit (about 30 per second) by a leaky bucket, 429 waited out (as
long as the server asks, up to a cap) and 5xx or a dropped connection retried with backoff;
what still fails is a `MaxApiError` with the HTTP status."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter

log = logging.getLogger(__name__)

PRODUCTION_URL = "https://platform-api.max.ru"
MAX_RETRY_AFTER = 60.0


class MaxApiError(Exception):
    """MAX answered with an error (or not at all: status 0) after the retries."""

    def __init__(self, status: int, code: str, message: str, retry_after: float = 0.0) -> None:
        super().__init__(f"MAX API {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.status in {0, 429} or self.status >= 500


def _retry_after(response: aiohttp.ClientResponse, default: float) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", default)))
    except ValueError:
        return default


class MaxApi:
    """`request()` returns the decoded JSON object of a 2xx answer."""

    def __init__(
        self,
        token: str,
        base_url: str = PRODUCTION_URL,
        attempts: int = 5,
        backoff: float = 0.5,
        cap: float = 10.0,
        timeout: float = 60.0,
        rate: float = 30.0,  # requests per second at most; 0 for no limit
    ) -> None:
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.attempts = attempts
        self.backoff = backoff
        self.cap = cap
        self.timeout = timeout
        self.limiter = AsyncLimiter(rate, 1.0) if rate > 0 else None
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"Authorization": self.token},
                connector=aiohttp.TCPConnector(limit=100),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        seconds: float | None = None,
        retry: bool = True,
    ) -> dict[str, Any]:
        attempts = self.attempts if retry else 1
        delay = self.backoff
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        for attempt in range(1, attempts + 1):
            try:
                return await self._once(method, path, query, body, seconds)
            except MaxApiError as exc:
                if not exc.transient or attempt == attempts:
                    raise
                if exc.status == 429:
                    wait = min(exc.retry_after or delay, MAX_RETRY_AFTER)
                    log.warning("MAX 429 on %s %s: waiting %.1f s", method, path, wait)
                else:
                    wait = delay
                    delay = min(delay * 2, self.cap)
                    log.warning("MAX %s on %s %s: retry in %.1f s", exc.status, method, path, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def _once(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: dict[str, Any] | None,
        seconds: float | None,
    ) -> dict[str, Any]:
        if self.limiter is not None:
            await self.limiter.acquire()
        try:
            async with self._client().request(
                method,
                self.base_url + path,
                params=query,
                json=body,
                timeout=aiohttp.ClientTimeout(total=seconds or self.timeout),
            ) as response:
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = None
                if 200 <= response.status < 300 and isinstance(data, dict):
                    return data
                info = data if isinstance(data, dict) else {}
                raise MaxApiError(
                    response.status,
                    str(info.get("code") or "error"),
                    str(info.get("message") or response.reason or ""),
                    _retry_after(response, 1.0) if response.status == 429 else 0.0,
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise MaxApiError(0, "network", type(exc).__name__) from exc
