"""Dead letters: the messages given up on, listed and counted for a person's «повторить»."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatcher.notify.delivery_state import Channel, DeliveryState
from dispatcher.notify.delivery_views import DeliveryView, views
from dispatcher.storage import tables
from dispatcher.storage.notify_tables import NotifyDelivery

GIVEN_UP = (DeliveryState.DEAD.value, DeliveryState.UNDELIVERED.value)


@dataclass(frozen=True, slots=True)
class DeadLetterFilter:
    """Narrows the dead-letter list: by channel, template, final state or call number."""

    channel: Channel | None = None
    template: str | None = None
    state: DeliveryState | None = None
    call_number: int | None = None


def _given_up(mo_ids: Collection[int] | None, where: DeadLetterFilter) -> Any:
    query = select(NotifyDelivery).where(NotifyDelivery.state.in_(GIVEN_UP))
    if mo_ids is not None:
        query = query.where(NotifyDelivery.mo_id.in_(mo_ids))
    if where.channel is not None:
        query = query.where(NotifyDelivery.channel == where.channel.value)
    if where.template:
        query = query.where(NotifyDelivery.template == where.template)
    if where.state is not None:
        query = query.where(NotifyDelivery.state == where.state.value)
    if where.call_number is not None:
        query = query.join(tables.CallRow, tables.CallRow.id == NotifyDelivery.call_id).where(
            tables.CallRow.number == where.call_number
        )
    return query


def dead_letters(
    session: Session,
    mo_ids: Collection[int] | None,
    limit: int = 200,
    where: DeadLetterFilter = DeadLetterFilter(),
) -> list[DeliveryView]:
    """The dead-letter list of the desk: messages given up on, newest first, for «повторить»."""
    query = _given_up(mo_ids, where)
    rows = session.scalars(query.order_by(NotifyDelivery.updated_at.desc()).limit(limit)).all()
    return views(session, rows)


def dead_letter_count(session: Session, mo_ids: Collection[int] | None) -> int:
    """How many messages wait for a person's «повторить» (the desk menu shows it)."""
    query = _given_up(mo_ids, DeadLetterFilter())
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
