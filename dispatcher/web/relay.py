"""The web process's background loop: the event outbox relay and the re-enqueue of intakes
stranded while Redis was away."""

from __future__ import annotations

import logging
import threading
import time

from dispatcher.outages import Outage, is_outage
from dispatcher.web.services import Services

log = logging.getLogger(__name__)


def relay_loop(services: Services, stop: threading.Event) -> None:
    """Relay outbox events and re-enqueue intakes stranded while Redis was away; an outage
    of either store is logged once and waited out with backoff."""
    outage = Outage("database or Redis (web relay loop)", log)
    last_requeue = 0.0
    while not stop.is_set():
        try:
            result = services.relay.relay_pending()
            if time.monotonic() - last_requeue > 10:
                services.queue.requeue_stale(services.db)
                last_requeue = time.monotonic()
            outage.ok()
        except Exception as exc:  # keep relaying whatever happens
            if is_outage(exc):
                stop.wait(outage.failed(exc))
            else:
                log.warning("relay loop: %s", type(exc).__name__)
                stop.wait(2)
            continue
        stop.wait(0.05 if result.published else 0.5)
