"""The operator desk: server-rendered pages in Russian, live over WebSocket.

The shell's API for every desk page (forms and dialogs included):

- Render a page in the base layout::

      from dispatcher.web.templating import render
      return render(request, "my_page.html", user=user, **context)

  Templates extend the layout with ``{% extends "base.html" %}`` (or ``{% extends layout %}``)
  and fill ``{% block title %}``, ``{% block content %}`` and optionally ``{% block head %}`` /
  ``{% block scripts %}``. The context always has ``user``, ``csrf_token``, ``static_url``
  and the filter ``|local`` (a UTC datetime shown in ``zone``, default Europe/Moscow).

- Require a signed-in user (FastAPI dependencies, ``dispatcher.desk.auth``)::

      from dispatcher.desk.auth import DeskUserDep, OperatorDep, AdminDep, require_roles
      def page(request: Request, user: DeskUserDep) -> Response: ...
      def head_only(user: Annotated[DeskUser, Depends(require_roles("head"))]) -> ...: ...

  ``DeskUser`` has ``id, login, role, mo_id, mo_code, csrf_token, name, mo_name``. Without a
  session a page GET redirects to ``/desk/login?next=…``; a fetch gets 401 JSON. A wrong role
  gets 403 (``RoleForbidden``: a page with the Russian reason, JSON for a fetch). Scoping:
  load objects only ``WHERE mo_id == user.mo_id`` and answer 404 otherwise.

- CSRF: every POST form carries ``<input type="hidden" name="csrf_token"
  value="{{ csrf_token }}">``; a ``fetch`` POST sends the header ``X-CSRF-Token`` (the page has
  ``<meta name="csrf-token">``). ``DeskUserDep`` checks it on every non-GET request and
  answers 403 when it is missing or wrong — nothing else to do in a route.

- Static files: ``dispatcher/desk/static/`` is served at ``/desk/static/`` (``static_url``).

- Personal-data access log: read calls and patients through ``dispatcher.services.access``
  (``visible_call`` / ``visible_patient`` with ``reader=user``; the desk's ``load_call``): every
  opening and every refusal is logged.

`setup(app)` installs the session store, the error pages and the live hub; the app factory
(`dispatcher.app`) registers the desk's routers and static files. `shutdown(app)` stops the
live hub.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from dispatcher.desk import auth, call_access, error_pages, realtime
from dispatcher.desk.sessions import SessionStore


def setup(app: FastAPI) -> None:
    """Error pages, the session store and the live hub of the desk shell."""
    settings = app.state.services.settings
    app.state.desk_sessions = SessionStore(
        settings.secret_key,
        timedelta(hours=settings.desk_session_hours),
        timedelta(minutes=settings.desk_session_idle_minutes),
    )
    app.add_exception_handler(auth.LoginRequired, auth.login_required_handler)
    app.add_exception_handler(auth.CsrfRejected, auth.csrf_rejected_handler)
    app.add_exception_handler(auth.RoleForbidden, auth.role_forbidden_handler)
    app.add_exception_handler(call_access.PageNotFound, call_access.page_not_found_handler)
    error_pages.install(app)  # 404/405 in a browser: a Russian page, not the API's JSON
    app.state.desk_hub = realtime.LiveHub(
        app.state.services.redis, settings.phone_cards_channel, settings.desk_control_channel
    )


async def shutdown(app: FastAPI) -> None:
    """Stop the live-update hub of this process, if it was started."""
    hub = getattr(app.state, "desk_hub", None)
    if hub is not None:
        await hub.close()
