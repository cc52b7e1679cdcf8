"""The patient's questionnaire answers become the call's reason code once the call is stored.

The intake spine has no field for a questionnaire, and the call is created later by the worker,
so the bot keeps the finished walk beside the intake (in Redis, by intake id) and, when the
call's creation reaches it on the event stream, writes the service card with the desk's own
`save_reason` — the same card as an operator's coding, with no operator: a patient coded it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import select

from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.service_cards import load_card, save_reason
from intake_core.errors import DomainError
from intake_core.questionnaire import Questionnaire

log = logging.getLogger(__name__)

KEEP_SECONDS = 7 * 24 * 3600  # a walk waits this long for its call (worker or bot down)


class ReasonCoding:
    """Remembers a finished walk per intake and codes the call the worker made of it."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        db: Database,
        client: redis.Redis,
        prefix: str,
        client_id: int,
    ) -> None:
        self.questionnaire = questionnaire
        self.db = db
        self.client = client
        self.prefix = prefix
        self.client_id = client_id

    def key_of(self, intake_id: str) -> str:
        return f"{self.prefix}:coded:{intake_id}"

    def remember(self, intake_id: str, answers: list[str], coded_at: datetime) -> None:
        """Keep the walk until the call exists; the answers are ids of the tree, not free text."""
        record = {
            "questionnaire_id": self.questionnaire.id,
            "version": self.questionnaire.version,
            "answers": answers,
            "coded_at": coded_at.isoformat(),
        }
        self.client.set(self.key_of(intake_id), json.dumps(record), ex=KEEP_SECONDS)

    def apply(self, event: dict[str, Any]) -> None:
        """On a call created from one of the bot's intakes, write the remembered reason code."""
        if event.get("type") != "call.status_changed" or event.get("action") != "create":
            return
        call_id = int(event["call_id"])
        with self.db.session() as session:
            intake_id = session.scalar(
                select(tables.Intake.id).where(
                    tables.Intake.call_id == call_id,
                    tables.Intake.client_id == self.client_id,
                    tables.Intake.merged.is_(False),
                )
            )
            if intake_id is None:
                return
            raw = self.client.get(self.key_of(intake_id))
            if raw is None:
                return
            record = json.loads(raw)
            if load_card(session, call_id) is None:  # an operator's coding is not overwritten
                self._save(session, call_id, record)
        self.client.delete(self.key_of(intake_id))

    def _save(self, session: Any, call_id: int, record: dict[str, Any]) -> None:
        q = self.questionnaire
        if (record["questionnaire_id"], record["version"]) != (q.id, q.version):
            log.warning("call %s: questionnaire changed since the patient answered", call_id)
            return
        try:
            walk = q.finish(list(record["answers"]))
        except DomainError:
            log.warning("call %s: the patient's answers no longer walk the tree", call_id)
            return
        if walk.outcome is None:
            return
        coded_at = datetime.fromisoformat(record["coded_at"])
        save_reason(session, call_id, q, walk, None, coded_at)
        log.info("call %s coded %s from the bot's questionnaire", call_id, walk.outcome.code)
