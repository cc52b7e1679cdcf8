"""Prometheus metrics of the web process."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

INTAKES_RECEIVED = Counter("intake_received_total", "Raw intakes accepted by the API", ["source"])
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
