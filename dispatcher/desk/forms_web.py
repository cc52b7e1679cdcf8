"""What the desk's forms share: dependencies, the page renderer, the MO and call lookups."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.api.deps import ServicesDep
from dispatcher.services.lifecycle import Actor
from dispatcher.storage import tables
from dispatcher.storage.calls import to_domain
from dispatcher.storage.references import MoContext
from intake_core.analysis import TextAnalyzer
from intake_core.call import Call
from intake_core.errors import NotFound

TEMPLATES = Path(__file__).parent / "templates"
FORMS_STATIC = "/desk/static"
_analyzer_lock = threading.Lock()
_text_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())

_pages = Jinja2Templates(env=Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True))

__all__ = ["AnalyzerDep", "DeskUserDep", "ServicesDep"]


@dataclass(frozen=True, slots=True)
class DeskUser:
    """The signed-in desk user as the forms need it."""

    id: int
    login: str
    role: str
    mo_id: int
    mo_code: str
    csrf_token: str = ""


def get_desk_user(request: Request) -> DeskUser:
    """The signed-in user; the desk shell's session login provides it (until then: refused)."""
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Войдите в систему")


DeskUserDep = Annotated[DeskUser, Depends(get_desk_user)]


def get_analyzer(request: Request) -> TextAnalyzer:
    """One NlpAnalyzer per web process, loaded on the first parse (the models take a second)."""
    state = request.app.state
    analyzer: TextAnalyzer | None = getattr(state, "desk_analyzer", None)
    if analyzer is None:
        with _analyzer_lock:
            analyzer = getattr(state, "desk_analyzer", None)
            if analyzer is None:
                from dispatcher.analysis import NlpAnalyzer

                analyzer = NlpAnalyzer()
                state.desk_analyzer = analyzer
    return analyzer


AnalyzerDep = Annotated[TextAnalyzer, Depends(get_analyzer)]


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A desk page in the shell's layout, with the forms' static path."""
    layout = "base.html" if (TEMPLATES / "base.html").exists() else "forms_layout.html"
    user: DeskUser | None = context.pop("user", None)
    return _pages.TemplateResponse(
        request,
        template,
        {
            "layout": layout,
            "forms_static": FORMS_STATIC,
            "csrf_token": user.csrf_token if user else "",
            "user": user,
            **context,
        },
        status_code=status_code,
    )


def render_text(template: str, **context: Any) -> str:
    """A standalone template (the route sheet) as text, for the PDF."""
    return _text_env.get_template(template).render(forms_static=FORMS_STATIC, **context)


def mo_context(services: Any, session: Session, user: DeskUser) -> MoContext:
    mo = services.directory.by_code(session, user.mo_code)
    if mo is None:
        raise NotFound("Медицинская организация не найдена")
    return mo


def load_call(session: Session, user: DeskUser, call_id: int) -> Call:
    """A call of the user's own MO; any other answers «не найден»."""
    row = session.scalar(select(tables.CallRow).where(tables.CallRow.id == call_id))
    if row is None or row.mo_id != user.mo_id:
        raise NotFound("Вызов не найден")
    return to_domain(session, row)


def actor_of(user: DeskUser) -> Actor:
    return Actor(user.login, frozenset({user.mo_id}))
