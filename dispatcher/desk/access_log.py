"""The personal-data access log: every opening of a call or patient card, and every refusal."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.orm import Session

from dispatcher.desk.auth import DeskUser
from dispatcher.storage.desk_tables import AccessLogEntry

log = logging.getLogger(__name__)

ObjectKind = Literal["call", "patient"]
Outcome = Literal["opened", "denied"]


def record(
    session: Session,
    user: DeskUser,
    kind: ObjectKind,
    object_id: int,
    outcome: Outcome = "opened",
) -> None:
    """Who opened what, when; a refusal (another MO, no such object) is logged by ids only."""
    session.add(
        AccessLogEntry(
            at=datetime.now(UTC),
            user_id=user.id,
            login=user.login,
            mo_id=user.mo_id,
            object_kind=kind,
            object_id=object_id,
            outcome=outcome,
        )
    )
    if outcome == "denied":
        log.warning(
            "desk: user %s refused %s %s (not of MO %s)", user.id, kind, object_id, user.mo_id
        )
