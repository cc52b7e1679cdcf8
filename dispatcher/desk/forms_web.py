"""What the desk's forms share: their dependencies (the NLP, the clock, the MO, the actor) and
the page renderer; reading a call for a page is `call_access`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from dispatcher.desk.auth import DeskUser, DeskUserDep, DoctorDep, OperatorDep
from dispatcher.services.lifecycle import Actor
from dispatcher.storage.references import MoContext
from dispatcher.web.deps import ServicesDep
from dispatcher.web.templating import STATIC_URL, TEMPLATES, render
from intake_core.analysis import TextAnalyzer
from intake_core.errors import NotFound

FORMS_STATIC = STATIC_URL
_analyzer_lock = threading.Lock()
_text_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())

__all__ = [
    "AnalyzerDep",
    "DeskUser",
    "DeskUserDep",
    "DoctorDep",
    "NowDep",
    "OperatorDep",
    "ServicesDep",
]


def get_analyzer(request: Request) -> TextAnalyzer:
    """One NlpAnalyzer per web process, loaded on the first parse (the models take a second)."""
    state = request.app.state
    analyzer: TextAnalyzer | None = getattr(state, "desk_analyzer", None)
    if analyzer is None:
        with _analyzer_lock:
            analyzer = getattr(state, "desk_analyzer", None)
            if analyzer is None:
                from dispatcher.nlp_analyzer import NlpAnalyzer

                analyzer = NlpAnalyzer()
                state.desk_analyzer = analyzer
    return analyzer


AnalyzerDep = Annotated[TextAnalyzer, Depends(get_analyzer)]


def desk_now() -> datetime:
    """The moment a form is read or saved; tests override it to hold the date still."""
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(desk_now)]


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A form page in the shell's layout (`render` of dispatcher.web.templating)."""
    return render(request, template, status_code=status_code, **context)


def render_text(template: str, **context: Any) -> str:
    """A standalone template (the route sheet) as text, for the PDF."""
    return _text_env.get_template(template).render(forms_static=FORMS_STATIC, **context)


def mo_context(services: Any, session: Session, user: DeskUser) -> MoContext:
    mo: MoContext | None = services.directory.by_code(session, user.mo_code)
    if mo is None:
        raise NotFound("Медицинская организация не найдена")
    return mo


def actor_of(user: DeskUser) -> Actor:
    return Actor(user.login, frozenset({user.mo_id}))
