"""Webhook subscriptions of client systems: create (the secret shown once), list, delete
(switched off; the deliveries stay)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from dispatcher.api.ratelimit import RESPONSES, limited
from dispatcher.api.responses import MAX_ID, RowId
from dispatcher.notify import targets, webhooks
from dispatcher.services.accounts import Principal
from dispatcher.web.deps import ServicesDep
from intake_core.status import CallStatus

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], responses=RESPONSES)
WebhooksScope = Annotated[Principal, Depends(limited("webhooks"))]


class SubscriptionBody(BaseModel):
    url: str = Field(
        ...,
        max_length=500,
        description="Куда отправлять уведомления (POST JSON): https:// на общедоступный адрес",
    )
    statuses: list[str] = Field(
        default_factory=list,
        description="Только эти статусы; пусто — все",
        max_length=10,
        json_schema_extra={"items": {"type": "string", "enum": [s.value for s in CallStatus]}},
    )
    own_calls_only: bool = Field(True, description="Только вызовы, переданные этим клиентом")
    client_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Для администратора: чья подписка"
    )


def _owner(principal: Principal, client_id: int | None) -> int | None:
    """Whose subscriptions: an admin may name any client (None: all), others only their own."""
    if "admin" in principal.scopes:
        return client_id
    return principal.client_id


@router.post("/subscriptions", status_code=status.HTTP_201_CREATED)
def create(body: SubscriptionBody, services: ServicesDep, principal: WebhooksScope) -> Any:
    """Подписаться на статусы вызовов; секрет подписи (X-Signature) показывается один раз."""
    owner = _owner(principal, body.client_id) or principal.client_id
    with services.db.session() as session:
        subscription, secret = webhooks.subscribe(
            session,
            owner,
            body.url,
            body.statuses,
            body.own_calls_only,
            datetime.now(UTC),
            targets.from_settings(services.settings),
        )
    return subscription.as_json() | {"secret": secret}


@router.get("/subscriptions")
def list_all(
    services: ServicesDep,
    principal: WebhooksScope,
    client_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> dict[str, Any]:
    """Подписки клиента, удалённые тоже (`active: false`): их доставки остаются в журнале."""
    with services.db.session() as session:
        items = webhooks.subscriptions(session, _owner(principal, client_id))
    return {"items": [s.as_json() for s in items]}


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete(subscription_id: RowId, services: ServicesDep, principal: WebhooksScope) -> None:
    """Удалить подписку: больше ничего не отправляется, история доставок сохраняется."""
    with services.db.session() as session:
        webhooks.unsubscribe(session, subscription_id, _owner(principal, None), datetime.now(UTC))
