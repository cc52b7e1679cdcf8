"""Prometheus metrics of the web process."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INTAKES_RECEIVED = Counter("intake_received_total", "Raw intakes accepted by the API", ["source"])
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class HttpTiming:
    """Every HTTP request's latency by method, route template and status, as plain ASGI
    middleware (Starlette's `BaseHTTPMiddleware` costs a task and a memory stream per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # no answer started: the error middleware outside answers 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            HTTP_LATENCY.labels(scope["method"], path, str(status)).observe(
                time.perf_counter() - started
            )
