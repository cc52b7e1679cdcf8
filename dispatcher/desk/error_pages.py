"""Error pages for people: an unknown address or a wrong method in a browser gets a Russian page
in the desk's layout instead of the API's JSON; scripts and API clients keep the JSON answer."""

from __future__ import annotations

import inspect
import logging

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatcher.desk.auth import DeskUser, user_of
from dispatcher.web.templating import STATIC_URL, render

log = logging.getLogger(__name__)

FAVICON = f"{STATIC_URL}/favicon.svg"

router = APIRouter()

# status → (title, what to do), as a person reads them
PAGES = {
    status.HTTP_404_NOT_FOUND: (
        "Страница не найдена",
        "Такой страницы нет: возможно, ссылка устарела или в адресе опечатка.",
    ),
    status.HTTP_405_METHOD_NOT_ALLOWED: (
        "Действие недоступно по этому адресу",
        "Эта страница не принимает такой запрос. Откройте её заново из меню.",
    ),
}


def wants_page(request: Request) -> bool:
    """A browser's navigation or form submit: it asks for HTML and is not a script's fetch."""
    headers = request.headers
    return "text/html" in headers.get("accept", "") and "x-requested-with" not in headers


async def _signed_in(request: Request) -> DeskUser | None:
    """The user for the page's menu; an error page never fails for want of one."""
    try:
        return await run_in_threadpool(user_of, request)
    except Exception:  # a database outage still gets its error page
        log.warning("desk: error page without the user's menu", exc_info=True)
        return None


def _back(user: DeskUser | None) -> dict[str, str]:
    """Where the page's link leads: a doctor's own calls, anyone else's desk (or the login)."""
    if user is not None and user.role == "doctor":
        return {"back_url": "/desk/doctor", "back_label": "Вернуться к моим вызовам"}
    return {"back_url": "/desk", "back_label": "Вернуться на рабочий стол"}


def install(app: FastAPI) -> None:
    """Wrap the API's HTTP error handler: pages for browsers, the API's JSON for the rest."""
    api_handler = app.exception_handlers[StarletteHTTPException]

    async def api_answer(request: Request, exc: Exception) -> Response:
        answer = api_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        page = PAGES.get(exc.status_code)
        if page is None or not wants_page(request):
            return await api_answer(request, exc)
        title, message = page
        if exc.detail and exc.detail != title and not exc.detail.isascii():
            message = exc.detail  # a route's own Russian reason says more than the generic one
        user = await _signed_in(request)
        response = render(
            request,
            "error.html",
            status_code=exc.status_code,
            user=user,
            title=title,
            message=message,
            **_back(user),
        )
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    app.add_exception_handler(StarletteHTTPException, http_error)


# browsers ask for /favicon.ico on every page without a <link rel="icon"> (JSON, /docs)
@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return RedirectResponse(FAVICON, status.HTTP_301_MOVED_PERMANENTLY)
