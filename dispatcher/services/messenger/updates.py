"""Webhook updates a messenger pushed: kept once each before they are acknowledged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy.exc import IntegrityError

from dispatcher.storage.bot_tables import ProcessedUpdate
from dispatcher.storage.database import Database


class UpdateInbox:
    """Stores an update (database row + Redis stream entry) for the messenger process."""

    def __init__(self, db: Database, client: redis.Redis) -> None:
        self.db = db
        self.client = client

    def store(self, stream: str, update_id: int, update: dict[str, Any]) -> bool:
        """Keep the update once; False for a redelivery. The stream entry is added before
        commit, so a Redis failure (raised) leaves nothing stored and the sender retries."""
        try:
            with self.db.session() as session:
                session.add(
                    ProcessedUpdate(
                        update_id=update_id, payload=update, received_at=datetime.now(UTC)
                    )
                )
                session.flush()
                self.client.xadd(stream, {"data": json.dumps(update, ensure_ascii=False)})
        except IntegrityError:
            return False
        return True
