"""A desk page's call: read within the user's MO (the access log writes the opening and any
refusal), a dialog's opening checked against the call's status, and the desk's 404 and 409."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from dispatcher.desk.auth import DeskUser
from dispatcher.desk.forms_web import mo_context
from dispatcher.services.access import CALL_NOT_FOUND, visible_call
from dispatcher.services.access_log import record_refusal
from dispatcher.storage.references import MoContext
from dispatcher.web.templating import render
from intake_core.call import Call
from intake_core.errors import NotFound
from intake_core.status import Action, next_status


class PageNotFound(NotFound):
    """A desk page's call or patient is absent or of another MO: the desk's 404 page."""

    def __init__(self, user: DeskUser, message: str) -> None:
        super().__init__(message)
        self.user = user


class CallNotFound(PageNotFound):
    """A desk page asked for a call it may not see (`refuse_call` logs the refusal)."""

    def __init__(self, user: DeskUser, call_id: int) -> None:
        super().__init__(user, CALL_NOT_FOUND)
        self.call_id = call_id


def own_mo(user: DeskUser) -> frozenset[int]:
    """What a desk user may see: their own MO."""
    return frozenset({user.mo_id})


def load_call(session: Session, user: DeskUser, call_id: int) -> Call:
    """A call of the user's own MO, the opening logged; any other answers «не найден»
    (CallNotFound, the refusal logged)."""
    try:
        return visible_call(session, own_mo(user), call_id, reader=user)
    except NotFound:
        raise CallNotFound(user, call_id) from None


def refuse_call(session: Session, user: DeskUser, call_id: int) -> CallNotFound:
    """A call of the user's MO that is still not theirs (another doctor's): a logged refusal."""
    record_refusal(session, user, "call", call_id)
    return CallNotFound(user, call_id)


def open_call(
    session: Session, services: Any, user: DeskUser, call_id: int, action: Action
) -> tuple[MoContext, Call]:
    """A dialog's opening: the user's MO, its call, and a status that allows `action`.

    A foreign or absent call raises CallNotFound; a status the action cannot start from raises
    IllegalTransition with the lifecycle's Russian message.
    """
    mo = mo_context(services, session, user)
    call = load_call(session, user, call_id)
    next_status(call.status, action)
    return mo, call


def refused(request: Request, user: DeskUser, call_id: int, message: str) -> Response:
    """A dialog the call's status does not allow (served, cancelled…): 409 with the reason."""
    return render(
        request,
        "error.html",
        status_code=409,
        user=user,
        title="Действие недоступно",
        message=message,
        back_url=f"/desk/calls/{call_id}",
        back_label="Вернуться к карте вызова",
    )


async def page_not_found_handler(request: Request, exc: Exception) -> Response:
    """The desk's 404 page for a call or patient (the refusal is already in the access log)."""
    assert isinstance(exc, PageNotFound)
    return render(
        request, "error.html", status_code=404, user=exc.user, title=exc.message, message=""
    )
