"""Webhooks: client systems' subscriptions, signed JSON posts with an idempotency key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatcher.notify.delivery_state import DeliveryState, sources
from dispatcher.notify.errors import SendFailed
from dispatcher.notify.targets import TargetPolicy, TargetRefused
from dispatcher.notify.templates import UNSUBSCRIBED
from dispatcher.storage.notify_tables import NotifyDelivery, NotifySubscription
from intake_core.errors import FieldError, NotFound, ValidationFailed
from intake_core.status import CallStatus

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
WAITING = frozenset({DeliveryState.QUEUED, DeliveryState.RETRY, DeliveryState.DEFERRED})
# what unsubscribing skips: the waiting messages the lifecycle lets become skipped
UNSUBSCRIBE_SKIPS = sorted(s.value for s in WAITING & sources(DeliveryState.SKIPPED))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over «timestamp.body»: the receiver checks both."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, tolerance: float) -> bool:
    """What a receiver does: a fresh timestamp and a matching signature."""
    try:
        fresh = abs(time.time() - float(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    client_id: int
    url: str
    statuses: tuple[str, ...]
    own_calls_only: bool
    active: bool
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "client_id": self.client_id,
            "url": self.url,
            "statuses": list(self.statuses),
            "own_calls_only": self.own_calls_only,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
        }


def _view(row: NotifySubscription) -> Subscription:
    return Subscription(
        row.id,
        row.client_id,
        row.url,
        tuple(row.statuses or ()),
        row.own_calls_only,
        row.active,
        row.created_at,
    )


def subscribe(
    session: Session,
    client_id: int,
    url: str,
    statuses: list[str],
    own_calls_only: bool,
    now: datetime,
    policy: TargetPolicy,
) -> tuple[Subscription, str]:
    """Create a subscription; the signing secret is returned once. The URL must be https to
    a public address unless the operator's `policy` allows it (checked again at delivery)."""
    errors = []
    try:
        policy.check_url(url)
    except TargetRefused as exc:
        errors.append(FieldError("url", exc.message, "invalid_url"))
    known = {s.value for s in CallStatus}
    if any(s not in known for s in statuses):
        errors.append(
            FieldError("statuses", f"Статусы: {', '.join(sorted(known))}", "invalid_status")
        )
    if errors:
        raise ValidationFailed(errors)
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = NotifySubscription(
        client_id=client_id,
        url=url,
        secret=secret,
        statuses=statuses,
        own_calls_only=own_calls_only,
        active=True,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _view(row), secret


def subscriptions(session: Session, client_id: int | None) -> list[Subscription]:
    query = select(NotifySubscription).order_by(NotifySubscription.id)
    if client_id is not None:
        query = query.where(NotifySubscription.client_id == client_id)
    return [_view(r) for r in session.scalars(query)]


def unsubscribe(
    session: Session, subscription_id: int, client_id: int | None, now: datetime
) -> None:
    """Switch a subscription off for good: nothing more is sent to it, and what was sent (its
    deliveries and dead letters) stays for the record; messages still waiting are skipped."""
    row = session.get(NotifySubscription, subscription_id)
    if row is None or not row.active or (client_id is not None and row.client_id != client_id):
        raise NotFound("Подписка не найдена")
    row.active = False
    session.execute(
        update(NotifyDelivery)
        .where(
            NotifyDelivery.subscription_id == row.id,
            NotifyDelivery.state.in_(UNSUBSCRIBE_SKIPS),
        )
        .values(state=DeliveryState.SKIPPED.value, last_error=UNSUBSCRIBED, updated_at=now)
    )


class WebhookSender:
    """Posts a delivery's JSON body, signed, with its idempotency key, to the address its
    host resolves to right now, once that address is checked against the operator's policy."""

    def __init__(
        self,
        timeout: float,
        policy: TargetPolicy | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.policy = policy or TargetPolicy()
        # no proxies from the environment: the post goes to the checked address itself; the
        # certificate is checked against the subscriber's name (SNI), not the address
        self.client = httpx.Client(
            timeout=timeout, trust_env=False, follow_redirects=False, verify=verify
        )

    def _pinned(self, url: str) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
        """The URL with the checked address for its host, the Host header and the TLS name."""
        try:
            parsed, address = self.policy.resolve(url)
        except TargetRefused as exc:
            raise SendFailed(f"Отправка запрещена: {exc.message}", permanent=True) from exc
        except (OSError, UnicodeError) as exc:  # socket.gaierror too: DNS may come back
            raise SendFailed(f"Имя подписчика не найдено (DNS): {type(exc).__name__}") from exc
        host = parsed.host
        if address == host.strip("[]"):
            return parsed, {}, {}
        netloc = parsed.netloc.decode("ascii")
        extensions = {"sni_hostname": host} if parsed.scheme == "https" else {}
        return parsed.copy_with(host=address), {"Host": netloc}, extensions

    def send(self, url: str, secret: str, body: str, idempotency_key: str) -> int:
        target, host_header, extensions = self._pinned(url)
        payload = body.encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, payload),
            IDEMPOTENCY_HEADER: idempotency_key,
            "User-Agent": "home-visit-dispatcher/1",
        } | host_header
        try:
            response = self.client.post(
                target, content=payload, headers=headers, extensions=extensions
            )
        except httpx.HTTPError as exc:
            raise SendFailed(f"Подписчик недоступен: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise SendFailed(f"Подписчик ответил {response.status_code}")
        if response.status_code >= 400:
            # 4xx other than the above: the receiver rejects it; repeating will not help
            raise SendFailed(f"Подписчик отклонил уведомление: {response.status_code}", True)
        return response.status_code

    def close(self) -> None:
        self.client.close()
