"""«Передача вызова в другую медицинскую организацию»: searchable MOs, a reason, one move."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from dispatcher.desk.call_access import open_call, refused
from dispatcher.desk.forms_web import OperatorDep, ServicesDep, actor_of, page
from dispatcher.desk.transfer_targets import check_target, transfer_targets
from dispatcher.services.lifecycle import CallLifecycle
from intake_core.errors import IllegalTransition, ValidationFailed
from intake_core.status import Action

router = APIRouter(prefix="/desk", include_in_schema=False)


def _render(
    request: Request,
    services: ServicesDep,
    user: OperatorDep,
    call_id: int,
    chosen: str = "",
    reason: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        with services.db.session() as session:
            mo, call = open_call(session, services, user, call_id, Action.TRANSFER)
            options = transfer_targets(session, mo.id, mo.local(datetime.now(UTC)).date())
    except IllegalTransition as exc:
        return refused(request, user, call_id, error or exc.message)
    return page(
        request,
        "transfer.html",
        user=user,
        status_code=status_code,
        call=call,
        connected=[o for o in options if o.connected],
        others=[o for o in options if not o.connected],
        chosen=chosen,
        reason=reason,
        error=error,
    )


@router.get("/calls/{call_id}/transfer")
def transfer_dialog(
    request: Request, call_id: int, services: ServicesDep, user: OperatorDep
) -> Response:
    return _render(request, services, user, call_id)


@router.post("/calls/{call_id}/transfer")
def transfer_call(
    request: Request,
    call_id: int,
    services: ServicesDep,
    user: OperatorDep,
    to_mo: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        with services.db.session() as session:
            mo, _ = open_call(session, services, user, call_id, Action.TRANSFER)
            options = transfer_targets(session, mo.id, mo.local(datetime.now(UTC)).date())
            target = check_target(options, to_mo)
            CallLifecycle(session, actor_of(user)).transfer(call_id, target.code, reason)
    except ValidationFailed as exc:
        message = "; ".join(e.message for e in exc.errors)
        return _render(request, services, user, call_id, to_mo, reason, message, 422)
    except IllegalTransition as exc:
        return _render(request, services, user, call_id, to_mo, reason, exc.message, 409)
    services.relay.relay_pending()  # both MOs' desks see the move now
    return RedirectResponse(f"/desk/calls/{call_id}", 303)
