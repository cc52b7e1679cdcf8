"""Deliveries: one row per (event, recipient, channel); the state machine that sends it once."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dispatcher.notify import preferences
from dispatcher.notify.delivery_state import (
    FINAL,
    Channel,
    DeliveryState,
    fate_unknown,
    next_delivery_state,
    sources,
)
from dispatcher.notify.templates import INTERRUPTED, RETRY_UNCERTAIN, UNSUBSCRIBED
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from dispatcher.storage.notify_tables import NotifyDelivery, NotifySmsPart, NotifySubscription
from intake_core.errors import Conflict, IllegalTransition, NotFound

RECEIPT_OK = "DELIVRD"
RECEIPT_FINAL_BAD = frozenset({"UNDELIV", "REJECTD", "EXPIRED", "DELETED", "UNKNOWN"})
# the states an operator's report moves: a sent message, or one it has reported on before
RECEIPT_MOVES = sources(DeliveryState.DELIVERED) & sources(DeliveryState.UNDELIVERED)


RETRY_STATE = "Повторить можно только неотправленное уведомление"


class RetryNeedsConfirmation(Conflict):
    """«Повторить» of an SMS that may have reached the patient: a person must confirm it."""

    code = "retry_needs_confirmation"

    def __init__(self) -> None:
        super().__init__(RETRY_UNCERTAIN)


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
                    self._move(row, DeliveryState.DEAD, now, INTERRUPTED)
                    return None
                # a webhook goes again under the same idempotency key; the receiver dedupes
            subscription = None
            if row.channel == Channel.WEBHOOK.value:
                subscription = session.get(NotifySubscription, row.subscription_id or 0)
                if subscription is None or not subscription.active:
                    self._move(row, DeliveryState.SKIPPED, now, UNSUBSCRIBED)
                    return None
            quiet_until = self._quiet_until(session, row, now)
            if quiet_until is not None:
                self._move(row, DeliveryState.DEFERRED, now)
                row.due_at = quiet_until
                return None
            row.attempts += 1
            self._move(row, DeliveryState.SENDING, now)
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
            self._move(row, DeliveryState.SENT, now)
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
                self._move(row, DeliveryState.DEAD, now, error)
            else:
                self._move(row, DeliveryState.RETRY, now, error)
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
            if DeliveryState(row.state) not in RECEIPT_MOVES:
                # a late report of an earlier attempt: the message has been sent again since
                return row.state
            states = list(
                session.scalars(
                    select(NotifySmsPart.state).where(NotifySmsPart.delivery_id == row.id)
                )
            )
            if all(s == RECEIPT_OK for s in states):
                self._move(row, DeliveryState.DELIVERED, now)
                row.delivered_at = now
            elif stat in RECEIPT_FINAL_BAD:
                self._move(row, DeliveryState.UNDELIVERED, now, f"Оператор: {stat}")
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
            self._move(row, DeliveryState.QUEUED, now)
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
                    self._move(row, DeliveryState.QUEUED, now)
                    row.due_at = now
            return [row.id for row in rows]

    @staticmethod
    def _move(
        row: NotifyDelivery, state: DeliveryState, now: datetime, error: str | None = None
    ) -> None:
        """Every write of a delivery's state: through the lifecycle's table, or refused."""
        row.state = next_delivery_state(DeliveryState(row.state), state).value
        row.updated_at = now
        if error is not None:
            row.last_error = error[:500]


def utcnow() -> datetime:
    return datetime.now(UTC)
