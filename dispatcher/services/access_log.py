"""The personal-data access log: every opening of a call or patient card, and every refusal."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Literal, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

from dispatcher.storage.desk_tables import AccessLogEntry

log = logging.getLogger(__name__)

ObjectKind = Literal["call", "patient"]
Outcome = Literal["opened", "denied"]


class Reader(Protocol):
    """A signed-in person whose openings are logged (a desk user): ids and login, no names."""

    @property
    def id(self) -> int: ...

    @property
    def login(self) -> str: ...

    @property
    def mo_id(self) -> int: ...


def _entry(user: Reader, kind: ObjectKind, object_id: int, outcome: Outcome) -> AccessLogEntry:
    return AccessLogEntry(
        at=datetime.now(UTC),
        user_id=user.id,
        login=user.login,
        mo_id=user.mo_id,
        object_kind=kind,
        object_id=object_id,
        outcome=outcome,
    )


def record(
    session: Session,
    user: Reader,
    kind: ObjectKind,
    object_id: int,
    outcome: Outcome = "opened",
) -> None:
    """Who opened what, when; a refusal (another MO, no such object) is logged by ids only."""
    session.add(_entry(user, kind, object_id, outcome))
    if outcome == "denied":
        log.warning(
            "desk: user %s refused %s %s (not of MO %s)", user.id, kind, object_id, user.mo_id
        )


def record_refusal(session: Session, user: Reader, kind: ObjectKind, object_id: int) -> None:
    """A refusal that stays logged: with the request's transaction when it commits, or in a
    transaction of its own once the request's is rolled back (a refusal usually ends in one)."""
    record(session, user, kind, object_id, "denied")
    committed = False

    def on_commit(_: Session) -> None:
        nonlocal committed
        committed = True

    def on_rollback(rolled_back: Session) -> None:
        if committed:
            return
        with Session(rolled_back.get_bind()) as own:
            own.add(_entry(user, kind, object_id, "denied"))
            own.commit()

    event.listen(session, "after_commit", on_commit, once=True)
    event.listen(session, "after_rollback", on_rollback, once=True)
