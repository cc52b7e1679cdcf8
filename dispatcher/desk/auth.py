"""Who is at the desk: the session cookie → `DeskUser`, role checks, CSRF, login and logout."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import HTTPConnection

from dispatcher.desk.sessions import COOKIE_NAME, SessionStore
from dispatcher.services.accounts import ROLES, verify_password
from dispatcher.storage import tables
from dispatcher.web.templating import render
from intake_core.errors import DomainError

log = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_CSRF_COOKIE = "desk_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# who may do what on the desk (roles of dispatcher.services.accounts.ROLES)
OPERATORS = frozenset({"agent", "registry", "dispatcher", "admin"})
READERS = OPERATORS | {"head", "doctor"}
ADMINS = frozenset({"admin"})

TEXTS = {
    "bad_login": "Неверный логин или пароль",
    "login_required": "Войдите в систему",
    "csrf": "Форма устарела или отправлена не с этой страницы. Обновите страницу и повторите.",
    "forbidden": "Недостаточно прав для этого действия",
    "operators": "Недостаточно прав: оформлять, назначать и передавать вызовы могут операторы, "
    "диспетчеры и администраторы МО",
    "doctors": "Недостаточно прав: обслуживать вызовы может только врач",
    "admins": "Недостаточно прав: раздел доступен только администратору МО",
}


@dataclass(frozen=True, slots=True)
class DeskUser:
    """The signed-in desk user: login, role and their medical organization."""

    id: int
    login: str
    role: str
    mo_id: int
    mo_code: str
    csrf_token: str = ""
    name: str = ""
    mo_name: str = ""

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def is_admin(self) -> bool:
        return self.role in ADMINS


class AuthError(DomainError):
    """Who may use the desk: the base of its sign-in, CSRF and role refusals."""

    code = "auth_error"


class LoginRequired(AuthError):
    """No live session: pages redirect to the login form, fetches get 401."""

    code = "login_required"

    def __init__(self, message: str = TEXTS["login_required"]) -> None:
        super().__init__(message)


class CsrfRejected(AuthError):
    """A state-changing request without this session's CSRF token."""

    code = "csrf_rejected"

    def __init__(self, message: str = TEXTS["csrf"]) -> None:
        super().__init__(message)


class RoleForbidden(AuthError):
    """The user's role may not do this; `message` says who may, in Russian."""

    code = "role_forbidden"

    def __init__(self, user: DeskUser, message: str) -> None:
        super().__init__(message)
        self.user = user


def session_store(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.desk_sessions
    return store


def user_of(connection: HTTPConnection) -> DeskUser | None:
    """The user behind a request's or a WebSocket's session cookie, or None."""
    services = connection.app.state.services
    store: SessionStore = connection.app.state.desk_sessions
    with services.db.session() as session:
        found = store.find(session, connection.cookies.get(COOKIE_NAME), datetime.now(UTC))
        if found is None:
            return None
        mo = session.get(tables.MedicalOrganization, found.user.mo_id)
        assert mo is not None
        return DeskUser(
            id=found.user.id,
            login=found.user.login,
            role=found.user.role,
            mo_id=mo.id,
            mo_code=mo.code,
            csrf_token=found.csrf_token,
            name=found.user.full_name or found.user.login,
            mo_name=mo.short_name or mo.name,
        )


def _session_user(request: Request) -> DeskUser:
    user = user_of(request)
    if user is None:
        raise LoginRequired()
    return user


async def _submitted_token(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form: FormData = await request.form()  # Starlette caches it for the endpoint's Form()s
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def current_user(
    user: Annotated[DeskUser, Depends(_session_user)], request: Request
) -> DeskUser:
    """The signed-in user; on POST/PUT/PATCH/DELETE the session's CSRF token must come along."""
    if request.method not in SAFE_METHODS:
        token = await _submitted_token(request)
        if not token or not hmac.compare_digest(token, user.csrf_token):
            log.warning("desk: CSRF token missing or wrong (user %s)", user.id)
            raise CsrfRejected()
    return user


DeskUserDep = Annotated[DeskUser, Depends(current_user)]


def require_roles(
    *roles: str, message: str = TEXTS["forbidden"]
) -> Callable[..., Coroutine[Any, Any, DeskUser]]:
    """A dependency: the signed-in user if their role is one of `roles`, else 403 with `message`."""
    allowed = frozenset(roles)

    async def check(user: DeskUserDep) -> DeskUser:
        if user.role not in allowed:
            log.info("desk: user %s (%s) refused by role", user.id, user.role)
            raise RoleForbidden(user, message)
        return user

    return check


OperatorDep = Annotated[DeskUser, Depends(require_roles(*OPERATORS, message=TEXTS["operators"]))]
DoctorDep = Annotated[DeskUser, Depends(require_roles("doctor", message=TEXTS["doctors"]))]
AdminDep = Annotated[DeskUser, Depends(require_roles(*ADMINS, message=TEXTS["admins"]))]


def _wants_html(request: Request) -> bool:
    """A page navigation (not a script's fetch, which sends X-Requested-With)."""
    headers = request.headers
    return (
        request.method == "GET"
        and "text/html" in headers.get("accept", "")
        and "x-requested-with" not in headers
    )


async def login_required_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if _wants_html(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/desk/login?next={quote(target)}", status.HTTP_303_SEE_OTHER)
    return JSONResponse({"message": exc.message}, status.HTTP_401_UNAUTHORIZED)


async def csrf_rejected_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CsrfRejected)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"message": exc.message}, status.HTTP_403_FORBIDDEN)
    return render(request, "error.html", status_code=403, message=exc.message)


async def role_forbidden_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RoleForbidden)
    headers = request.headers
    if "x-requested-with" in headers or "application/json" in headers.get("accept", ""):
        return JSONResponse({"message": exc.message}, status.HTTP_403_FORBIDDEN)
    return render(request, "error.html", status_code=403, user=exc.user, message=exc.message)


router = APIRouter(prefix="/desk", include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only our own paths: no open redirect to another site after login."""
    return target if target.startswith("/desk") and not target.startswith("//") else "/desk"


@router.get("/login")
def login_page(request: Request, next: str = "/desk") -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", next=_safe_next(next), login_csrf=token)
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
def login_submit(
    request: Request,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/desk",
) -> Response:
    """Check the password (argon2); on success a new session cookie and a redirect."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return render(request, "error.html", status_code=403, message=TEXTS["csrf"])
    services = request.app.state.services
    with services.db.session() as session:
        user = session.scalar(select(tables.User).where(tables.User.login == login.strip()))
        if user is None or not user.active or not verify_password(user, password):
            log.info("desk: failed login")
            return render(
                request,
                "login.html",
                status_code=401,
                next=_safe_next(next),
                login_csrf=expected,
                error=TEXTS["bad_login"],
                login_value=login,
            )
        cookie = session_store(request).create(session, user, datetime.now(UTC))
        log.info("desk: user %s signed in", user.id)
    redirect = RedirectResponse(_safe_next(next), status.HTTP_303_SEE_OTHER)
    store = session_store(request)
    _set_cookie(request, redirect, COOKIE_NAME, cookie, int(store.lifetime.total_seconds()))
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/desk")
    return redirect


@router.post("/logout")
def logout(request: Request, user: DeskUserDep) -> Response:
    services = request.app.state.services
    with services.db.session() as session:
        session_store(request).end(session, request.cookies.get(COOKIE_NAME))
    log.info("desk: user %s signed out", user.id)
    response = RedirectResponse("/desk/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    secure = request.app.state.services.settings.env != "development"
    path = "/" if name == COOKIE_NAME else "/desk"
    response.set_cookie(
        name, value, max_age=max_age, path=path, httponly=True, samesite="lax", secure=secure
    )
