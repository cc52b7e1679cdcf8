"""Messages about calls at the desk: the dead-letter list with «Повторить», and the delivery
state of each message on the call card."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.desk.auth import OPERATORS, TEXTS, DeskUser, require_roles
from dispatcher.notify import dead_letters, delivery_views
from dispatcher.notify.dead_letters import GIVEN_UP, DeadLetterFilter
from dispatcher.notify.deliveries import RETRY_STATE, RetryNeedsConfirmation
from dispatcher.notify.delivery_state import Channel, DeliveryState
from dispatcher.notify.delivery_views import DeliveryView
from dispatcher.notify.jobs import retry_dead_letter
from dispatcher.storage.notify_tables import NotifyDelivery
from dispatcher.web.services import Services
from dispatcher.web.templating import DEFAULT_ZONE, render
from intake_core.errors import IllegalTransition, NotFound
from intake_core.status import CallStatus

log = logging.getLogger(__name__)

router = APIRouter(prefix="/desk", include_in_schema=False)

OperatorDep = Annotated[DeskUser, Depends(require_roles(*OPERATORS, message=TEXTS["operators"]))]

CHANNEL_LABELS = {Channel.SMS.value: "SMS", Channel.WEBHOOK.value: "Вебхук"}
TEMPLATE_LABELS = {
    "accepted": "Вызов принят",
    "assigned": "Назначен врач",
    "served": "Вызов обслужен",
    "cancelled": "Вызов отменён",
    "transferred": "Передан в другую МО",
    "emergency": "Совет звонить 103/112",
    "status": "Статус вызова",
}
NOTICES = {
    "retried": "Уведомление поставлено в очередь на повторную отправку",
}
RETRY_REFUSED = "Это уведомление уже отправляется повторно"
RETRY_IMPOSSIBLE = "Повторить нельзя"
RETRY_HINT = "Повторить можно только неотправленное уведомление; обновите список."
LETTER_NOT_FOUND = "Уведомление не найдено"
LIST = "/desk/notifications/dead"


@dataclass(frozen=True, slots=True)
class Letter:
    """One message as the desk shows it: the phone masked, no message text."""

    id: int
    call_id: int | None
    call_number: int | None
    channel: str
    channel_label: str
    recipient: str
    message_label: str
    state: str
    state_label: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    updated_at: datetime | None
    fate_unknown: bool = False  # interrupted mid-send: «Повторить» asks first

    @property
    def can_retry(self) -> bool:
        return self.state in GIVEN_UP


def _webhook_statuses(session: Session, views: list[DeliveryView]) -> dict[int, str]:
    """The call status each webhook carried (its body is ours: JSON with `status`)."""
    ids = [v.id for v in views if v.channel == Channel.WEBHOOK.value]
    if not ids:
        return {}
    found: dict[int, str] = {}
    query = select(NotifyDelivery.id, NotifyDelivery.body).where(NotifyDelivery.id.in_(ids))
    for delivery_id, body in session.execute(query):
        try:
            value = json.loads(body).get("status")
            found[delivery_id] = CallStatus(value).label
        except (ValueError, AttributeError):
            continue
    return found


def letters(session: Session, views: list[DeliveryView]) -> list[Letter]:
    """Delivery views with Russian labels for the channel, the message and its state."""
    statuses = _webhook_statuses(session, views)
    result = []
    for view in views:
        label = TEMPLATE_LABELS.get(view.template, view.template)
        if view.id in statuses:
            label = f"{label}: {statuses[view.id]}"
        result.append(
            Letter(
                id=view.id,
                call_id=view.call_id,
                call_number=view.call_number,
                channel=view.channel,
                channel_label=CHANNEL_LABELS.get(view.channel, view.channel),
                recipient=view.recipient,
                message_label=label,
                state=view.state,
                state_label=view.state_label,
                attempts=view.attempts,
                last_error=view.last_error,
                created_at=view.created_at,
                sent_at=view.sent_at,
                delivered_at=view.delivered_at,
                updated_at=view.updated_at,
                fate_unknown=view.fate_unknown,
            )
        )
    return result


def card_deliveries(session: Session, call_id: int) -> list[Letter]:
    """Every message about a call with its delivery state, for the call card."""
    return letters(session, delivery_views.for_call(session, call_id))


@dataclass(frozen=True, slots=True)
class LetterFilters:
    """The list's filters as the form sends them; unknown values mean «все»."""

    channel: str = ""
    template: str = ""
    state: str = ""
    call: str = ""

    def where(self) -> DeadLetterFilter:
        number = self.call.strip().lstrip("№").strip()
        return DeadLetterFilter(
            channel=Channel(self.channel) if self.channel in CHANNEL_LABELS else None,
            template=self.template if self.template in TEMPLATE_LABELS else None,
            state=DeliveryState(self.state) if self.state in GIVEN_UP else None,
            call_number=int(number) if number.isdigit() else None,
        )


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _zone(services: Services, session: Session, user: DeskUser) -> ZoneInfo:
    mo = services.directory.by_code(session, user.mo_code)
    return mo.zone if mo is not None else DEFAULT_ZONE


@router.get(LIST.removeprefix("/desk"))
def dead_letters_page(
    request: Request,
    user: OperatorDep,
    channel: str = "",
    template: str = "",
    state: str = "",
    call: str = "",
    done: str = "",
) -> Response:
    """Messages given up on after their tries (or refused by the operator): «Повторить»."""
    services = _services(request)
    filters = LetterFilters(channel, template, state, call)
    with services.db.session() as session:
        found = dead_letters.dead_letters(session, {user.mo_id}, 200, filters.where())
        items = letters(session, found)
        zone = _zone(services, session, user)
    return render(
        request,
        "dead_letters.html",
        user=user,
        zone=zone,
        letters=items,
        filters=filters,
        channels=CHANNEL_LABELS,
        templates=TEMPLATE_LABELS,
        states={s: DeliveryState(s).label for s in GIVEN_UP},
        notice=NOTICES.get(done),
    )


@router.get(LIST.removeprefix("/desk") + "/count")
def dead_letters_count(request: Request, user: OperatorDep) -> dict[str, int]:
    """How many messages of the user's MO wait for «Повторить» (the menu's badge)."""
    services = _services(request)
    with services.db.session() as session:
        return {"count": dead_letters.dead_letter_count(session, {user.mo_id})}


def _back(target: str) -> str:
    """Back to a desk page only (the call card or the list): no open redirect."""
    if target.startswith("/desk/") and not target.startswith("//"):
        return target
    return LIST


@router.post("/notifications/{delivery_id:int}/retry")
def retry(
    request: Request,
    delivery_id: int,
    user: OperatorDep,
    back: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """«Повторить»: back to the queue through the same service as the API's retry; an SMS
    that may already have reached the patient asks the operator to confirm first."""
    services = _services(request)
    confirmed = confirm == "1"
    try:
        retry_dead_letter(
            services.db, services.redis, services.settings, delivery_id, {user.mo_id}, confirmed
        )
    except RetryNeedsConfirmation as exc:
        with services.db.session() as session:
            row = session.get(NotifyDelivery, delivery_id)
            if row is None:  # gone between the two reads: nothing to confirm
                return RedirectResponse(_back(back), status.HTTP_303_SEE_OTHER)
            (letter,) = letters(session, delivery_views.views(session, [row]))
        return render(
            request,
            "retry_confirm.html",
            user=user,
            warning=exc.message,
            letter=letter,
            back=_back(back),
        )
    except NotFound:
        log.warning(
            "desk: user %s refused delivery %s (not of MO %s)", user.id, delivery_id, user.mo_id
        )
        return render(
            request, "error.html", status_code=404, user=user, title=LETTER_NOT_FOUND, message=""
        )
    except IllegalTransition as exc:
        return render(
            request,
            "error.html",
            status_code=status.HTTP_409_CONFLICT,
            user=user,
            title=RETRY_REFUSED if exc.message == RETRY_STATE else RETRY_IMPOSSIBLE,
            message=RETRY_HINT if exc.message == RETRY_STATE else exc.message,
            back_url=LIST,
            back_label="К списку неотправленных",
        )
    if confirmed:
        log.info("desk: user %s re-queued delivery %s despite the warning", user.id, delivery_id)
    else:
        log.info("desk: user %s re-queued delivery %s", user.id, delivery_id)
    target = _back(back)
    # the list says so; the card's row itself now reads «В очереди»
    target = f"{LIST}?done=retried" if target == LIST else f"{target}#deliveries"
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)
