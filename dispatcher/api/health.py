"""The service's own addresses: the start page, liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import redis
from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from dispatcher.web.deps import ServicesDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index() -> str:
    return _INDEX


@router.get("/healthz", tags=["service"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", tags=["service"], responses={503: {"description": "Не готов: см. checks"}})
def readyz(services: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with services.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        services.redis.ping()
        checks["redis"] = "ok"
    except redis.RedisError as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", tags=["service"], include_in_schema=False)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


_INDEX = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Диспетчер вызовов врача на дом</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto}</style>
</head><body>
<h1>Диспетчер вызовов врача на дом</h1>
<p>Сервис работает. Рабочий стол оператора появится в следующих версиях; сейчас доступны:</p>
<ul>
<li><a href="/docs">API (OpenAPI): приём вызовов, статусы, назначение врача</a></li>
<li><a href="/healthz">/healthz</a> и <a href="/readyz">/readyz</a> — состояние сервиса</li>
<li><a href="/metrics">/metrics</a> — метрики Prometheus</li>
</ul>
<p>При наличии экстренных показаний звоните 103 или 112.</p>
</body></html>
"""
