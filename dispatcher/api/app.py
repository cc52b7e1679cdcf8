"""The FastAPI application factory: wiring only."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import redis
from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse, JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bots import webhook as bot_webhook
from bots.max import webhook as max_webhook
from dispatcher import desk
from dispatcher.api import calls, errors, errors_outage, intake, notify_routes, phone_calls
from dispatcher.api.deps import ServicesDep
from dispatcher.api.responses import responses
from dispatcher.api.schemas import LoginBody
from dispatcher.api.services import Services
from dispatcher.desk import analytics_web, forms_routes
from dispatcher.metrics import HttpTiming
from dispatcher.outages import Outage, is_outage
from dispatcher.phone import desk as phone_desk
from dispatcher.redis_server import connect
from dispatcher.services.accounts import login
from dispatcher.services.dispatch_rules import load_rules
from dispatcher.settings import Settings
from dispatcher.storage.database import Database

log = logging.getLogger(__name__)

SESSION_TTL = timedelta(hours=12)


def _relay_loop(services: Services, stop: threading.Event) -> None:
    """Relay outbox events and re-enqueue intakes stranded while Redis was away; an outage
    of either store is logged once and waited out with backoff."""
    outage = Outage("database or Redis (web relay loop)", log)
    last_requeue = 0.0
    while not stop.is_set():
        try:
            result = services.relay.relay_pending()
            if time.monotonic() - last_requeue > 10:
                services.queue.requeue_stale(services.db)
                last_requeue = time.monotonic()
            outage.ok()
        except Exception as exc:  # keep relaying whatever happens
            if is_outage(exc):
                stop.wait(outage.failed(exc))
            else:
                log.warning("relay loop: %s", type(exc).__name__)
                stop.wait(2)
            continue
        stop.wait(0.05 if result.published else 0.5)


def create_app(
    settings: Settings,
    db: Database | None = None,
    client: redis.Redis | None = None,
    run_relay: bool = True,
) -> FastAPI:
    db = db or Database(settings.database_url, settings.sql_echo)
    if client is None:
        if settings.redis_url is None:
            raise RuntimeError("REDIS_URL is not set; `make run` starts an embedded Redis")
        client = connect(settings.redis_url)
    services = Services.build(settings, db, client)

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = threading.Thread(target=_relay_loop, args=(services, stop), daemon=True)
        if run_relay:
            thread.start()
        yield
        await desk.shutdown(application)  # desk live updates
        await services.close()
        stop.set()
        if run_relay:
            thread.join(timeout=5)

    app = FastAPI(
        title="Диспетчер вызовов врача на дом",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.dispatch_rules = load_rules(settings)  # a bad MO table refuses to start
    errors.install(app)
    errors_outage.install(app)  # database or Redis down: 503 with Retry-After, never 500
    app.include_router(intake.router)
    app.include_router(calls.router)
    app.include_router(notify_routes.router)  # notifications, СМП, portal, FHIR
    app.include_router(forms_routes.router)  # desk forms and dialogs
    app.include_router(analytics_web.router)  # analytics for the head of the MO
    app.include_router(phone_calls.router)  # telephony: tracked phone calls
    app.include_router(phone_desk.router)  # telephony desk pages: card → form, call-backs, 112
    bot_webhook.install(app)  # telegram bot webhook, only when configured
    max_webhook.install(app)  # MAX bot webhook, only when configured
    desk.setup(app)  # desk shell: login, desk, call card, admin, live updates

    app.add_middleware(HttpTiming)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        return _INDEX

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"], responses={503: {"description": "Не готов: см. checks"}})
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

    @app.get("/metrics", tags=["service"], include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.post("/api/v1/auth/login", tags=["auth"], responses=responses(400, 422, 503))
    def auth_login(body: LoginBody, services: ServicesDep) -> dict[str, Any]:
        """An operator's login and password → a bearer token for 12 hours."""
        with services.db.session() as session:
            token = login(session, body.login, body.password, SESSION_TTL)
        return {"token": token, "expires_in": int(SESSION_TTL.total_seconds())}

    intake.shed_overload(app, services.admission)  # last: it runs before anything
    return app


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
