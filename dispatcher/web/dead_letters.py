"""«Повторить» a notification given up on: one action for the API and the desk."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dispatcher.notify.deliveries import Deliveries
from dispatcher.notify.jobs import NotifyQueue
from dispatcher.web.services import Services


def retry_dead_letter(
    services: Services, delivery_id: int, mo_ids: Any, confirmed: bool = False
) -> None:
    """«Повторить»: a dead letter back to the queue (the desk's button calls this); an SMS
    that may have been delivered needs `confirmed` (else `RetryNeedsConfirmation`)."""
    machine = Deliveries.configured(services.db, services.settings)
    machine.retry(delivery_id, datetime.now(UTC), mo_ids, confirmed)
    NotifyQueue(services.redis, services.settings.notify_queue).enqueue(delivery_id)
