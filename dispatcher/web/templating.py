"""Pages for people: one Jinja2 environment and `render()` with the base layout's context.

The templates and static files are the desk's (`dispatcher/desk/templates`, `…/static`); the
outage page of every address under `/desk` renders through here too."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

_DESK = Path(__file__).parent.parent / "desk"
TEMPLATES = _DESK / "templates"
STATIC_DIR = _DESK / "static"
STATIC_URL = "/desk/static"
DEFAULT_ZONE = ZoneInfo("Europe/Moscow")


@pass_context
def _local(context: Context, value: datetime | date | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A moment in the MO's time zone (`zone` in the context), Russian date order."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        zone = context.get("zone") or DEFAULT_ZONE
        return value.astimezone(zone).strftime(fmt)
    return value.strftime("%d.%m.%Y")


@cache
def symptom_labels() -> dict[str, str]:
    """Symptom code → its Russian name, from the NLP symptom catalog (read once)."""
    source = resources.files("nlp").joinpath("data", "symptoms.yaml").read_text(encoding="utf-8")
    catalog = yaml.safe_load(source)["symptoms"]
    return {code: str(entry["label"]) for code, entry in catalog.items()}


def symptom_label(code: str) -> str:
    """«Кашель» for `cough`; an unknown code is shown as it is."""
    return symptom_labels().get(code, code)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    env.filters["local"] = _local
    env.filters["symptom"] = symptom_label
    env.globals["static_url"] = STATIC_URL
    return env


_templates = Jinja2Templates(env=_environment())


SMS_JOURNAL_NOTE = "SMS не отправляются: включён локальный журнал"


def _sms_journal(request: Request) -> bool:
    """SMS go to the local journal, not to patients (development): every page may say so."""
    services = getattr(request.app.state, "services", None)
    settings = getattr(services, "settings", None)
    return getattr(settings, "sms_gateway", None) == "journal"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page in the base layout; pass `user=` (a DeskUser) for the menu and the CSRF token."""
    user = context.get("user")
    response = _templates.TemplateResponse(
        request,
        template,
        {
            "layout": "base.html",
            "forms_static": STATIC_URL,
            "csrf_token": getattr(user, "csrf_token", ""),
            "sms_journal_note": SMS_JOURNAL_NOTE if _sms_journal(request) else "",
            **context,
        },
        status_code=status_code,
    )
    assert isinstance(response, HTMLResponse)
    return response
