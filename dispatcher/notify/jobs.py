"""The notification RQ job: send one delivery once; its context is built once per process."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import redis
from rq import Queue

from dispatcher.notify import targets
from dispatcher.notify.deliveries import Claim, Deliveries, utcnow
from dispatcher.notify.delivery_state import Channel
from dispatcher.notify.errors import SendFailed
from dispatcher.notify.sms import SmsGateway
from dispatcher.notify.webhooks import WebhookSender
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from intake_core.phones import mask_phone

log = logging.getLogger(__name__)

DELIVER = "dispatcher.notify.jobs.deliver"


class NotifyQueue:
    """Enqueues one job per delivery; a duplicate job is harmless (the delivery is claimed)."""

    def __init__(self, connection: redis.Redis, name: str) -> None:
        self.queue = Queue(name, connection=connection)

    def enqueue(self, delivery_id: int) -> None:
        self.enqueue_many([delivery_id])

    def enqueue_many(self, delivery_ids: Sequence[int]) -> None:
        """One job per delivery, all written in one round trip to Redis."""
        if not delivery_ids:
            return
        self.queue.enqueue_many(
            [
                Queue.prepare_data(
                    DELIVER,
                    (delivery_id,),
                    job_id=f"notify-{delivery_id}-{uuid.uuid4().hex[:8]}",
                    result_ttl=300,
                    failure_ttl=7 * 24 * 3600,
                )
                for delivery_id in delivery_ids
            ]
        )


def retry_dead_letter(
    db: Database,
    client: redis.Redis,
    settings: Settings,
    delivery_id: int,
    mo_ids: Collection[int] | None,
    confirmed: bool = False,
) -> None:
    """«Повторить»: a delivery given up on goes back to the queue (the API's and the desk's
    button); an SMS that may have been delivered needs `confirmed` (else
    `RetryNeedsConfirmation`)."""
    Deliveries.configured(db, settings).retry(delivery_id, utcnow(), mo_ids, confirmed)
    NotifyQueue(client, settings.notify_queue).enqueue(delivery_id)


@dataclass(slots=True)
class NotifyContext:
    """What the job needs: the database, the state machine, the gateways, the clock."""

    settings: Settings
    db: Database
    deliveries: Deliveries
    sms: SmsGateway | None
    webhooks: WebhookSender
    clock: Callable[[], datetime] = field(default=utcnow)  # tests move time, never sleep

    @classmethod
    def build(
        cls,
        settings: Settings,
        db: Database,
        sms: SmsGateway | None,
        clock: Callable[[], datetime] = utcnow,
    ) -> NotifyContext:
        deliveries = Deliveries.configured(db, settings)
        sender = WebhookSender(settings.webhook_timeout, targets.from_settings(settings))
        return cls(settings, db, deliveries, sms, sender, clock)


_context: NotifyContext | None = None


def install(context: NotifyContext | None) -> None:
    global _context
    _context = context


def _send(context: NotifyContext, claim: Claim) -> list[str]:
    if claim.channel is Channel.SMS:
        if context.sms is None:
            raise SendFailed("SMS-шлюз не настроен (SMS_GATEWAY)")
        return context.sms.send(claim.recipient, claim.body, claim.id)
    if claim.webhook is None:
        raise SendFailed("Подписка удалена или отключена", permanent=True)
    url, secret = claim.webhook
    context.webhooks.send(url, secret, claim.body, f"{claim.event_id}:{claim.subscription_id}")
    return []


def deliver(delivery_id: int) -> str:
    """Send one delivery; a re-run after success or mid-send never sends a second SMS."""
    context = _context
    if context is None:
        raise RuntimeError("notify context not installed: start `python -m dispatcher.notify`")
    claim = context.deliveries.claim(delivery_id, context.clock())
    if claim is None:
        return "skipped"
    try:
        message_ids = _send(context, claim)
    except SendFailed as exc:
        state = context.deliveries.fail(delivery_id, context.clock(), exc.reason, exc.permanent)
        log.warning(
            "delivery %s (%s %s) attempt %s failed: %s → %s",
            delivery_id,
            claim.channel.value,
            mask_phone(claim.recipient) if claim.channel is Channel.SMS else claim.recipient,
            claim.attempt,
            exc.reason,
            state,
        )
        return state
    context.deliveries.succeed(delivery_id, context.clock(), message_ids)
    return "sent"
