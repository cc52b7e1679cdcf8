"""Deliveries: one row per (event, recipient, channel); the state machine that sends it once."""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dispatcher.notify import preferences
from dispatcher.notify.templates import (
    DELIVERY_STATE_LABELS,
    INTERRUPTED,
    RETRY_UNCERTAIN,
    UNSUBSCRIBED,
)
from dispatcher.settings import Settings
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.notify_tables import NotifyDelivery, NotifySmsPart, NotifySubscription
from intake_core.errors import Conflict, IllegalTransition, NotFound
from intake_core.phones import mask_phone


class Channel(enum.StrEnum):
    SMS = "sms"
    WEBHOOK = "webhook"


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    RETRY = "retry"
    DEFERRED = "deferred"
    DEAD = "dead"
    SKIPPED = "skipped"
    UNDELIVERED = "undelivered"

    @property
    def label(self) -> str:
        return DELIVERY_STATE_LABELS[self.value]


FINAL = frozenset(
    {
        DeliveryState.SENT,
        DeliveryState.DELIVERED,
        DeliveryState.DEAD,
        DeliveryState.SKIPPED,
        DeliveryState.UNDELIVERED,
    }
)
RECEIPT_OK = "DELIVRD"
RECEIPT_FINAL_BAD = frozenset({"UNDELIV", "REJECTD", "EXPIRED", "DELETED", "UNKNOWN"})


RETRY_STATE = "Повторить можно только неотправленное уведомление"


class RetryNeedsConfirmation(Conflict):
    """«Повторить» of an SMS that may have reached the patient: a person must confirm it."""

    code = "retry_needs_confirmation"

    def __init__(self) -> None:
        super().__init__(RETRY_UNCERTAIN)


def fate_unknown(channel: str, state: str, last_error: str | None) -> bool:
    """An SMS given up on mid-send: the SMS center may have it, so it may have been delivered."""
    return (
        channel == Channel.SMS.value
        and state == DeliveryState.DEAD.value
        and last_error == INTERRUPTED
    )


@dataclass(frozen=True, slots=True)
class Planned:
    """A message to record for an event, before it has an id."""

    event_id: int
    call_id: int | None
    mo_id: int | None
    channel: Channel
    recipient: str
    template: str
    body: str
    urgent: bool = False
    subscription_id: int | None = None
    skip_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery taken for one send attempt."""

    id: int
    event_id: int
    channel: Channel
    recipient: str
    body: str
    attempt: int
    subscription_id: int | None
    webhook: tuple[str, str] | None = None  # the subscription's (url, secret); None: SMS or gone


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff: base * 2 ** (attempt - 1), capped; N attempts, then dead-letter."""

    base: float
    cap: float
    max_attempts: int

    def delay(self, attempt: int) -> timedelta:
        return timedelta(seconds=min(self.base * 2 ** max(attempt - 1, 0), self.cap))


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def record(session: Session, planned: Sequence[Planned], now: datetime) -> list[int]:
    """Insert each planned delivery once; return the ids of those still to be sent."""
    insert = _insert(session)
    for item in planned:
        state = DeliveryState.SKIPPED if item.skip_reason else DeliveryState.QUEUED
        statement = (
            insert(NotifyDelivery)
            .values(
                event_id=item.event_id,
                call_id=item.call_id,
                mo_id=item.mo_id,
                channel=item.channel.value,
                recipient=item.recipient,
                subscription_id=item.subscription_id,
                template=item.template,
                body=item.body,
                urgent=item.urgent,
                state=state.value,
                attempts=0,
                due_at=now,
                last_error=item.skip_reason,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["event_id", "recipient", "channel"])
        )
        session.execute(statement)
    if not planned:
        return []
    event_ids = {item.event_id for item in planned}
    rows = session.scalars(
        select(NotifyDelivery.id).where(
            NotifyDelivery.event_id.in_(event_ids),
            NotifyDelivery.state == DeliveryState.QUEUED.value,
        )
    )
    return list(rows)


class Deliveries:
    """The state machine of a delivery, each step one committed transaction."""

    def __init__(
        self,
        db: Database,
        backoff: Backoff,
        lease: timedelta,
        quiet_default: tuple[str, str] = ("22:00", "08:00"),
    ) -> None:
        self.db = db
        self.backoff = backoff
        self.lease = lease
        self.quiet_default = quiet_default  # an MO without its own setting keeps these hours

    def _row(self, session: Session, delivery_id: int) -> NotifyDelivery:
        row = session.scalar(
            select(NotifyDelivery).where(NotifyDelivery.id == delivery_id).with_for_update()
        )
        if row is None:
            raise NotFound("Уведомление не найдено")
        return row

    @classmethod
    def configured(cls, db: Database, settings: Settings) -> Deliveries:
        """The state machine with the installation's backoff, lease and default quiet hours."""
        backoff = Backoff(
            settings.notify_backoff_base, settings.notify_backoff_cap, settings.notify_max_attempts
        )
        return cls(
            db,
            backoff,
            timedelta(seconds=settings.notify_send_lease),
            (settings.notify_quiet_start, settings.notify_quiet_end),
        )

    def _quiet_until(self, session: Session, row: NotifyDelivery, now: datetime) -> datetime | None:
        """The end of the MO's quiet hours when a non-urgent SMS falls into them."""
        if row.urgent or row.channel != Channel.SMS.value or row.mo_id is None:
            return None
        start, end = self.quiet_default
        until = preferences.quiet_hours(session, row.mo_id, start, end).until(now)
        return until.astimezone(UTC) if until else None

    def claim(self, delivery_id: int, now: datetime) -> Claim | None:
        """Take a delivery for one attempt, or None: done, busy, deferred or interrupted."""
        with self.db.session() as session:
            row = self._row(session, delivery_id)
            state = DeliveryState(row.state)
            if state in FINAL:
                return None
            if state is DeliveryState.SENDING:
                if row.due_at > now:
                    return None  # another worker holds the lease
                if row.channel == Channel.SMS.value:
                    # the SMS center may have it: never risk a second SMS, ask a person
                    self._set(row, DeliveryState.DEAD, now, INTERRUPTED)
                    return None
                # a webhook goes again under the same idempotency key; the receiver dedupes
            subscription = None
            if row.channel == Channel.WEBHOOK.value:
                subscription = session.get(NotifySubscription, row.subscription_id or 0)
                if subscription is None or not subscription.active:
                    self._set(row, DeliveryState.SKIPPED, now, UNSUBSCRIBED)
                    return None
            quiet_until = self._quiet_until(session, row, now)
            if quiet_until is not None:
                self._set(row, DeliveryState.DEFERRED, now)
                row.due_at = quiet_until
                return None
            row.attempts += 1
            self._set(row, DeliveryState.SENDING, now)
            row.due_at = now + self.lease
            webhook = (subscription.url, subscription.secret) if subscription else None
            return Claim(
                row.id,
                row.event_id,
                Channel(row.channel),
                row.recipient,
                row.body,
                row.attempts,
                row.subscription_id,
                webhook,
            )

    def succeed(self, delivery_id: int, now: datetime, message_ids: Sequence[str] = ()) -> None:
        with self.db.session() as session:
            row = self._row(session, delivery_id)
            self._set(row, DeliveryState.SENT, now)
            row.sent_at = now
            for number, message_id in enumerate(message_ids, start=1):
                session.add(
                    NotifySmsPart(
                        delivery_id=row.id,
                        part_no=number,
                        message_id=message_id,
                        state="ENROUTE",
                        updated_at=now,
                    )
                )

    def fail(self, delivery_id: int, now: datetime, error: str, permanent: bool = False) -> str:
        """Record a failed attempt: retry later with backoff, or dead-letter after N."""
        with self.db.session() as session:
            row = self._row(session, delivery_id)
            if permanent or row.attempts >= self.backoff.max_attempts:
                self._set(row, DeliveryState.DEAD, now, error)
            else:
                self._set(row, DeliveryState.RETRY, now, error)
                row.due_at = now + self.backoff.delay(row.attempts)
            return row.state

    def receipt(self, message_id: str, stat: str, now: datetime) -> str | None:
        """A delivery receipt of the SMS center or provider (SMPP `stat` names): the delivery's
        state after it, or None when the message id is not known (yet)."""
        with self.db.session() as session:
            part = session.scalar(
                select(NotifySmsPart).where(NotifySmsPart.message_id == message_id)
            )
            if part is None:
                return None
            part.state = stat
            part.updated_at = now
            session.flush()
            row = self._row(session, part.delivery_id)
            states = list(
                session.scalars(
                    select(NotifySmsPart.state).where(NotifySmsPart.delivery_id == row.id)
                )
            )
            if all(s == RECEIPT_OK for s in states):
                self._set(row, DeliveryState.DELIVERED, now)
                row.delivered_at = now
            elif stat in RECEIPT_FINAL_BAD:
                self._set(row, DeliveryState.UNDELIVERED, now, f"Оператор: {stat}")
            return row.state

    def retry(
        self,
        delivery_id: int,
        now: datetime,
        mo_ids: Collection[int] | None,
        confirmed: bool = False,
    ) -> int:
        """«Повторить» a dead letter: back to the queue with a fresh count of attempts. An SMS
        whose fate is unknown goes again only when a person `confirmed` the warning."""
        with self.db.session() as session:
            row = self._row(session, delivery_id)
            if mo_ids is not None and row.mo_id not in mo_ids:
                raise NotFound("Уведомление не найдено")
            if row.state not in {DeliveryState.DEAD.value, DeliveryState.UNDELIVERED.value}:
                raise IllegalTransition(RETRY_STATE)
            if row.channel == Channel.WEBHOOK.value:
                subscription = session.get(NotifySubscription, row.subscription_id or 0)
                if subscription is None or not subscription.active:
                    raise IllegalTransition("Подписка удалена: повторять некуда")
            if fate_unknown(row.channel, row.state, row.last_error) and not confirmed:
                raise RetryNeedsConfirmation()
            row.attempts = 0
            self._set(row, DeliveryState.QUEUED, now)
            row.due_at = now
            return row.id

    def due(self, now: datetime, queued_grace: timedelta, limit: int = 500) -> list[int]:
        """Deliveries whose time has come (retry, quiet hours over, lost job, expired lease)."""
        with self.db.session() as session:
            rows = session.scalars(
                select(NotifyDelivery)
                .where(
                    (
                        NotifyDelivery.state.in_(
                            [
                                DeliveryState.RETRY.value,
                                DeliveryState.DEFERRED.value,
                                DeliveryState.SENDING.value,
                            ]
                        )
                        & (NotifyDelivery.due_at <= now)
                    )
                    | (
                        (NotifyDelivery.state == DeliveryState.QUEUED.value)
                        & (NotifyDelivery.due_at <= now - queued_grace)
                    )
                )
                .order_by(NotifyDelivery.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                if row.state != DeliveryState.SENDING.value:
                    self._set(row, DeliveryState.QUEUED, now)
                    row.due_at = now
            return [row.id for row in rows]

    @staticmethod
    def _set(
        row: NotifyDelivery, state: DeliveryState, now: datetime, error: str | None = None
    ) -> None:
        row.state = state.value
        row.updated_at = now
        if error is not None:
            row.last_error = error[:500]


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


def utcnow() -> datetime:
    return datetime.now(UTC)
