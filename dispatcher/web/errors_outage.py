"""A database or Redis outage answers 503 with a Russian message and Retry-After, never a 500:
JSON `{"detail": …}` for the API, a page for the desk's browser."""

from __future__ import annotations

import logging
import threading
import time

import psycopg
import redis
from fastapi import FastAPI, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import exc as sa_exc

from dispatcher.outages import is_database_outage, is_redis_outage
from dispatcher.web.templating import render

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
DATABASE_DOWN = (
    "Сервис временно недоступен: нет связи с базой данных. "
    f"Повторите запрос через {RETRY_AFTER_SECONDS} секунд."
)
QUEUE_DOWN = (
    "Сервис временно недоступен: нет связи с очередью вызовов. "
    f"Повторите запрос через {RETRY_AFTER_SECONDS} секунд."
)
_LOG_EVERY = 60.0  # seconds: one warning per outage, not one per request

_OUTAGE_CLASSES: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError,  # OperationalError, InterfaceError and invalidated connections
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


class _Throttle:
    def __init__(self) -> None:
        self._last = 0.0
        self._count = 0
        self._lock = threading.Lock()

    def note(self, what: str, exc: Exception) -> None:
        with self._lock:
            self._count += 1
            if time.monotonic() - self._last < _LOG_EVERY:
                return
            count, self._count, self._last = self._count, 0, time.monotonic()
        log.warning(
            "%s unavailable (%s): answering 503 (%d requests since the last note)",
            what,
            type(exc).__name__,
            count,
        )


_throttle = _Throttle()


def _wants_page(request: Request) -> bool:
    """The desk in a browser gets a page; its scripts and the API get JSON."""
    headers = request.headers
    return (
        request.url.path.startswith("/desk")
        and "x-requested-with" not in headers
        and "application/json" not in headers.get("accept", "")
    )


def _page(request: Request, message: str) -> HTMLResponse:
    try:
        return render(
            request,
            "error.html",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            title="Сервис временно недоступен",
            message=message,
            back_url=request.url.path,
            back_label="Обновить страницу",
        )
    except Exception:  # the layout must never turn a 503 into a 500
        return HTMLResponse(
            '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
            "<title>Сервис временно недоступен</title></head><body>"
            f"<h1>Сервис временно недоступен</h1><p>{message}</p></body></html>",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )


async def outage_handler(request: Request, exc: Exception) -> Response:
    if is_database_outage(exc):
        what, message = "database", DATABASE_DOWN
    elif is_redis_outage(exc):
        what, message = "Redis", QUEUE_DOWN
    else:
        raise exc  # a bad query, a constraint: a real 500, logged with its traceback
    _throttle.note(what, exc)
    response: Response
    if _wants_page(request):
        response = _page(request, message)
    else:
        response = JSONResponse(
            {"detail": message}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE
        )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def install(app: FastAPI) -> None:
    """One handler for every outage error class (FastAPI picks it by the exception's MRO)."""
    for cls in _OUTAGE_CLASSES:
        app.add_exception_handler(cls, outage_handler)
