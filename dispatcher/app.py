"""The FastAPI application factory, the web process's composition root: it builds the services
and wires the API, the desk and the shared web plumbing; every router is registered here."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from dispatcher import desk
from dispatcher.api import (
    auth,
    calls,
    errors,
    fhir_api,
    health,
    intake,
    notifications_api,
    phone_calls,
    portal,
    smp,
    sms_reports,
    webhooks_api,
)
from dispatcher.desk import (
    admin,
    analytics_web,
    assign,
    doctor,
    error_pages,
    forms,
    notify_web,
    pages,
    phone,
    questionnaire_web,
    realtime,
    route_sheet,
    service_card_web,
    smp_journal,
    transfer,
)
from dispatcher.desk import auth as desk_auth
from dispatcher.metrics import HttpTiming
from dispatcher.redis_server import connect
from dispatcher.services.dispatch_rules import load_rules
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from dispatcher.web import errors_outage
from dispatcher.web.relay import relay_loop
from dispatcher.web.services import Services
from dispatcher.web.templating import STATIC_DIR, STATIC_URL

# in the order routes are matched
ROUTERS: tuple[APIRouter, ...] = (
    # the API (OpenAPI): intake, calls, notifications, webhooks, SMS reports, СМП, portal, FHIR,
    # tracked phone calls
    intake.router,
    calls.router,
    notifications_api.router,
    webhooks_api.router,
    sms_reports.router,
    smp.router,
    portal.router,
    fhir_api.router,
    phone_calls.router,
    # the desk's forms and dialogs: questionnaire, substitution table and service card after
    # the forms they extend
    forms.router,
    assign.router,
    transfer.router,
    doctor.router,
    route_sheet.router,
    questionnaire_web.router,
    service_card_web.router,
    analytics_web.router,  # analytics for the head of the MO
    phone.router,  # telephony desk pages: card → form, call-backs, 112
    # the desk shell: favicon, login, desk, call card, live updates, admin, СМП journal, dead
    # letters
    error_pages.router,
    desk_auth.router,
    pages.router,
    realtime.router,
    admin.router,
    smp_journal.router,
    notify_web.router,
    # the service's own addresses and the API login
    health.router,
    auth.router,
)


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
        thread = threading.Thread(target=relay_loop, args=(services, stop), daemon=True)
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
    desk.setup(app)  # desk shell: sessions, its error pages, live updates
    for router in ROUTERS:
        app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="desk-static")

    app.add_middleware(HttpTiming)
    intake.shed_overload(app, services.admission)  # last: it runs before anything
    return app
