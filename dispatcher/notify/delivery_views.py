"""Deliveries as the desk and the API show them: the phone masked, no message text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.notify.delivery_state import Channel, DeliveryState, fate_unknown
from dispatcher.storage import tables
from dispatcher.storage.notify_tables import NotifyDelivery, NotifySmsPart, NotifySubscription
from intake_core.phones import mask_phone


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """A delivery as the desk and the API show it: the phone masked, no message text."""

    id: int
    event_id: int
    call_id: int | None
    call_number: int | None
    channel: str
    recipient: str
    template: str
    state: str
    state_label: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    parts: list[dict[str, str]]
    updated_at: datetime | None = None

    @property
    def fate_unknown(self) -> bool:
        """Interrupted mid-send: may have reached the patient; «Повторить» asks first."""
        return fate_unknown(self.channel, self.state, self.last_error)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_id": self.event_id,
            "call_id": self.call_id,
            "call_number": self.call_number,
            "channel": self.channel,
            "recipient": self.recipient,
            "template": self.template,
            "state": self.state,
            "state_label": self.state_label,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "parts": self.parts,
            "fate_unknown": self.fate_unknown,
        }


def views(session: Session, rows: Sequence[NotifyDelivery]) -> list[DeliveryView]:
    ids = [r.id for r in rows]
    parts: dict[int, list[dict[str, str]]] = {}
    for part in session.scalars(
        select(NotifySmsPart)
        .where(NotifySmsPart.delivery_id.in_(ids))
        .order_by(NotifySmsPart.delivery_id, NotifySmsPart.part_no)
    ):
        parts.setdefault(part.delivery_id, []).append(
            {"message_id": part.message_id, "state": part.state}
        )
    call_ids = {r.call_id for r in rows if r.call_id}
    numbers = dict(
        session.execute(
            select(tables.CallRow.id, tables.CallRow.number).where(tables.CallRow.id.in_(call_ids))
        ).all()
    )
    sub_ids = {r.subscription_id for r in rows if r.subscription_id}
    clients = dict(
        session.execute(
            select(NotifySubscription.id, tables.ApiClient.name)
            .join(tables.ApiClient, tables.ApiClient.id == NotifySubscription.client_id)
            .where(NotifySubscription.id.in_(sub_ids))
        ).all()
    )
    return [
        DeliveryView(
            id=r.id,
            event_id=r.event_id,
            call_id=r.call_id,
            call_number=numbers.get(r.call_id) if r.call_id else None,
            channel=r.channel,
            recipient=(
                mask_phone(r.recipient)
                if r.channel == Channel.SMS.value
                else clients.get(r.subscription_id or 0, r.recipient)
            ),
            template=r.template,
            state=r.state,
            state_label=DeliveryState(r.state).label,
            attempts=r.attempts,
            last_error=r.last_error,
            created_at=r.created_at,
            sent_at=r.sent_at,
            delivered_at=r.delivered_at,
            parts=parts.get(r.id, []),
            updated_at=r.updated_at,
        )
        for r in rows
    ]


def for_call(session: Session, call_id: int) -> list[DeliveryView]:
    """Every message about a call with its delivery state (the call card)."""
    rows = session.scalars(
        select(NotifyDelivery).where(NotifyDelivery.call_id == call_id).order_by(NotifyDelivery.id)
    ).all()
    return views(session, rows)
