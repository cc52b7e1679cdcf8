"""A messenger as a client system of the intake spine: it submits intakes as the public API
does (`submit`, then the queue wakes a worker), and records an emergency its triage found by
settling the intake at once with the worker's own processing (`IntakeProcessor.settle`).

The messenger processes share the database and Redis with the dispatcher, so they call these
services directly, as their own `ApiClient`, rather than POSTing to the HTTP API with a token:
an HTTP hop would add a token to guard, a server to be up, and a second failure mode for
nothing; the intake row is the same, so idempotency per (client, Idempotency-Key) holds exactly
as for HTTP clients — a dialog's key makes a double-tapped «Подтвердить» one intake, one call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from dispatcher.queue import IntakeQueue
from dispatcher.services import accounts
from dispatcher.services.intake import Submitted, submit
from dispatcher.services.intake_processor import Declared, IntakeProcessor
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import SentNotification
from dispatcher.storage.database import Database
from intake_core.call import RedFlag
from intake_core.intake import IntakeState

log = logging.getLogger(__name__)


def ensure_client(db: Database, name: str) -> int:
    """The messenger's ApiClient row (created once): intakes are idempotent per client and key."""
    with db.session() as session:
        found = session.scalar(
            select(tables.ApiClient.id).where(tables.ApiClient.name == name).limit(1)
        )
        if found is not None:
            return int(found)
        accounts.create_token(session, name, ["intake"], [])
        created = session.scalar(select(tables.ApiClient.id).where(tables.ApiClient.name == name))
        assert created is not None
        return int(created)


class ChatIntake:
    """Submits a finished dialog's intake, or records it as an emergency."""

    def __init__(
        self, db: Database, queue: IntakeQueue, processor: IntakeProcessor, client_id: int
    ) -> None:
        self.db = db
        self.queue = queue
        self.processor = processor
        self.client_id = client_id

    def submit(
        self,
        key: str,
        payload: dict[str, Any],
        now: datetime,
        on_created: Callable[[str], None] | None = None,
    ) -> Submitted:
        """Store the intake once per key and wake a worker; `created` is False for a repeat.
        `on_created(intake_id)` runs before a worker may see the new intake."""
        submitted = submit(self.db, self.client_id, "", key, payload, now)
        if submitted.created:
            if on_created is not None:
                on_created(submitted.intake_id)
            self.queue.enqueue(submitted.intake_id)
            log.info("messenger intake %s queued", submitted.intake_id)
        return submitted

    def record_emergency(
        self,
        key: str,
        payload: dict[str, Any],
        chat_id: int,
        flags: list[RedFlag],
        actor: str,
        now: datetime,
    ) -> IntakeState:
        """Store the intake and settle it at once as `emergency`, with the spine's event; no
        visit is created. The chat has been told already: the event's notice is marked sent."""
        submitted = submit(self.db, self.client_id, "", key, payload, now)
        with self.db.session() as session:
            state, settled = self.processor.settle(
                session, submitted.intake_id, now, Declared(tuple(flags), actor), processed_at=now
            )
            if settled:
                key = f"intake:{submitted.intake_id}"
                session.add(SentNotification(chat_id=chat_id, key=key, sent_at=now))
        return state
