"""Desk sessions: a random id signed with the secret key in the cookie, its hash in the table."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from dispatcher.storage.desk_tables import DeskSession

COOKIE_NAME = "desk_session"


@dataclass(frozen=True, slots=True)
class OpenSession:
    """A live session: whose it is and the CSRF token its forms carry."""

    id_hash: str
    user: tables.User
    csrf_token: str


class SessionStore:
    """Creates, finds, prolongs and ends desk sessions; expired ones are refused and removed."""

    def __init__(self, secret_key: str, lifetime: timedelta, idle: timedelta) -> None:
        self._key = secret_key.encode()
        self.lifetime = lifetime
        self.idle = idle

    def _sign(self, raw: str) -> str:
        return hmac.new(self._key, raw.encode(), hashlib.sha256).hexdigest()

    def _unsign(self, cookie: str) -> str | None:
        raw, _, signature = cookie.rpartition(".")
        if not raw or not hmac.compare_digest(self._sign(raw), signature):
            return None
        return raw

    @staticmethod
    def _hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    def create(self, session: Session, user: tables.User, now: datetime) -> str:
        """Open a session for `user`; returns the cookie value (shown once, never stored)."""
        raw = secrets.token_urlsafe(32)
        session.execute(delete(DeskSession).where(DeskSession.expires_at <= now))
        session.add(
            DeskSession(
                id_hash=self._hash(raw),
                user_id=user.id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                seen_at=now,
                expires_at=now + self.lifetime,
            )
        )
        session.flush()
        return f"{raw}.{self._sign(raw)}"

    def find(self, session: Session, cookie: str | None, now: datetime) -> OpenSession | None:
        """The live session behind a cookie, or None (bad signature, expired, idle, user off)."""
        raw = self._unsign(cookie) if cookie else None
        if raw is None:
            return None
        row = session.get(DeskSession, self._hash(raw))
        if row is None:
            return None
        if row.expires_at <= now or row.seen_at + self.idle <= now:
            session.delete(row)
            return None
        user = session.get(tables.User, row.user_id)
        if user is None or not user.active:
            return None
        if now - row.seen_at > timedelta(minutes=1):  # one write a minute, not one per request
            row.seen_at = now
        return OpenSession(row.id_hash, user, row.csrf_token)

    def end(self, session: Session, cookie: str | None) -> None:
        """Log out: the session row is deleted, the cookie becomes worthless."""
        raw = self._unsign(cookie) if cookie else None
        if raw is not None:
            session.execute(delete(DeskSession).where(DeskSession.id_hash == self._hash(raw)))

    def end_all(self, session: Session, user_id: int) -> None:
        """Sign a user out everywhere (deactivated, password reset)."""
        session.execute(delete(DeskSession).where(DeskSession.user_id == user_id))

    def sessions_of(self, session: Session, user_id: int) -> int:
        """How many sessions a user has open (admin page)."""
        return len(session.scalars(select(DeskSession).where(DeskSession.user_id == user_id)).all())
