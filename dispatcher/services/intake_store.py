"""The web process's side of intake storage: the token check, the idempotent insert and the
status read, awaited on PostgreSQL (no thread-pool hop, one statement each, autocommit: a row
the insert returned is durable); SQLite, the development database, goes through a thread.

On PostgreSQL the statements are SQLAlchemy's, compiled once, and run on plain psycopg async
connections: a third of the CPU of SQLAlchemy's async engine per statement, which is most of
what an intake costs the web process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio.to_thread
import psycopg
from psycopg.rows import TupleRow
from psycopg.types.json import Json
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert

from dispatcher.services.accounts import Principal, authenticate, hash_token
from dispatcher.services.intake import Submitted, intake_row, prior_submission, submit
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from intake_core.intake import IntakeState

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Backlog:
    """Intakes stored and waiting for a worker."""

    count: int
    oldest: datetime | None

    def age(self, now: datetime) -> float:
        return 0.0 if self.oldest is None else (now - self.oldest).total_seconds()


NO_BACKLOG = Backlog(0, None)


@dataclass(frozen=True, slots=True)
class IntakeView:
    """What the status read needs of an intake and of its call."""

    id: str
    client_id: int
    state: IntakeState
    call_id: int | None
    call_number: int | None
    call_status: str | None
    merged: bool
    errors: list[dict[str, str]]
    red_flags: list[dict[str, str]]
    received_at: datetime
    processed_at: datetime | None


_PRINCIPAL = (
    select(
        tables.ApiClient.id,
        tables.ApiClient.name,
        tables.ApiClient.scopes,
        tables.ApiClient.mo_codes,
        tables.ApiClient.revoked,
        tables.ApiClient.expires_at,
        tables.ApiClient.user_id,
        tables.User.login,
        tables.User.active,
    )
    .outerjoin(tables.User, tables.User.id == tables.ApiClient.user_id)
    .limit(1)
)

_VIEW = select(
    tables.Intake.id,
    tables.Intake.client_id,
    tables.Intake.state,
    tables.Intake.call_id,
    tables.CallRow.number,
    tables.CallRow.status,
    tables.Intake.merged,
    tables.Intake.errors,
    tables.Intake.red_flags,
    tables.Intake.received_at,
    tables.Intake.processed_at,
).outerjoin(tables.CallRow, tables.CallRow.id == tables.Intake.call_id)

_QUEUED = (
    select(func.count(), func.min(tables.Intake.received_at))
    .select_from(tables.Intake)
    .where(tables.Intake.state == IntakeState.QUEUED.value)
)
_INTAKE_COLUMNS = [c.name for c in tables.Intake.__table__.columns]
_JSON_COLUMNS = {"payload", "errors", "red_flags"}
_INSERT = (
    pg_insert(tables.Intake)
    .values({name: bindparam(name) for name in _INTAKE_COLUMNS})
    .on_conflict_do_nothing(index_elements=["client_id", "idempotency_key"])
    .returning(tables.Intake.id)
)
_PRIOR = select(tables.Intake.id, tables.Intake.body_hash).where(
    tables.Intake.client_id == bindparam("client_id"),
    tables.Intake.idempotency_key == bindparam("idempotency_key"),
)


@dataclass(frozen=True, slots=True)
class _Sql:
    """A statement as psycopg runs it (`%(name)s` parameters), with its constants' values."""

    text: str
    constants: dict[str, Any]


def _sql(statement: Any) -> _Sql:
    compiled = statement.compile(dialect=postgresql.psycopg.dialect())
    return _Sql(str(compiled), dict(compiled.params))


_SQL_PRINCIPAL = _sql(_PRINCIPAL.where(tables.ApiClient.token_hash == bindparam("token_hash")))
_SQL_INSERT = _sql(_INSERT)
_SQL_PRIOR = _sql(_PRIOR)
_SQL_VIEW = _sql(_VIEW.where(tables.Intake.id == bindparam("intake_id")))
_SQL_QUEUED = _sql(_QUEUED)


def _principal_of(row: Any, now: datetime) -> Principal | None:
    """The same rules as `accounts.authenticate`, from one joined row (`_PRINCIPAL`)."""
    if row is None:
        return None
    client_id, name, scopes, mo_codes, revoked, expires_at, user_id, login, active = row
    if revoked or (expires_at is not None and expires_at <= now):
        return None
    if user_id is not None and not active:
        return None
    return Principal(
        client_id=client_id,
        name=name,
        scopes=frozenset(scopes.split()),
        mo_codes=tuple(c for c in mo_codes.split(",") if c),
        user_login=login if user_id is not None else None,
    )


def _view_of(row: Any) -> IntakeView | None:
    if row is None:
        return None
    return IntakeView(
        id=row[0],
        client_id=row[1],
        state=IntakeState(row[2]),
        call_id=row[3],
        call_number=row[4],
        call_status=row[5],
        merged=bool(row[6]),
        errors=row[7] or [],
        red_flags=row[8] or [],
        received_at=row[9],
        processed_at=row[10],
    )


class _Connections:
    """At most `keep` autocommit connections of one event loop. A request beyond them waits for
    one to be free (a statement takes a millisecond) rather than opening another: a burst
    would otherwise pay a PostgreSQL backend's start and stop per request. A connection is
    opened when none is idle and its error raised at once: during an outage each request
    answers 503 without waiting."""

    def __init__(self, conninfo: str, keep: int) -> None:
        self.conninfo = conninfo
        self.idle: list[psycopg.AsyncConnection[TupleRow]] = []
        self.slots = asyncio.Semaphore(keep)
        self.closed = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[TupleRow]]:
        async with self.slots:
            if self.idle:
                connection = self.idle.pop()
            else:
                connection = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
            try:
                yield connection
            finally:
                if self.closed or connection.broken:
                    await connection.close()
                else:
                    self.idle.append(connection)

    async def close(self) -> None:
        self.closed = True
        while self.idle:
            await self.idle.pop().close()

    def drop(self) -> None:
        """Close the idle connections of a loop that is gone (no await possible there)."""
        self.closed = True
        while self.idle:
            self.idle.pop().pgconn.finish()


# seconds a web process reuses a token's check: a revoked or expired token is refused that
# much later, and a client's burst costs one read of its token
PRINCIPAL_TTL = 5.0
_PRINCIPALS_KEPT = 1024  # distinct tokens remembered at most (then forgotten all at once)


class IntakeStore:
    """Intake storage as the async endpoint awaits it."""

    def __init__(self, db: Database, keep: int = 20) -> None:
        self.db = db
        self.postgres = db.engine.dialect.name == "postgresql"
        self.keep = keep
        self._pool: _Connections | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._principals: dict[str, tuple[float, Principal]] = {}  # token hash → until, who

    def _connections(self) -> _Connections:
        """One pool per event loop: connections belong to the loop that opened them (a test
        client may run each request in a loop of its own)."""
        loop = asyncio.get_running_loop()
        if self._pool is None or self._loop is not loop:
            if self._pool is not None:
                self._pool.drop()
            url = self.db.engine.url.set(drivername="postgresql")
            self._pool = _Connections(url.render_as_string(hide_password=False), self.keep)
            self._loop = loop
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            if self._loop is asyncio.get_running_loop():
                await self._pool.close()
            else:
                self._pool.drop()
        self._pool = None

    async def _first(self, sql: _Sql, params: dict[str, Any]) -> TupleRow | None:
        """One row (or None) of one statement. An idle connection the database dropped (a
        restart) is retried once on a new one: every statement here is safe to repeat."""
        pool = self._connections()
        for attempt in (1, 2):
            reused = bool(pool.idle)
            try:
                async with pool.connection() as connection:
                    cursor = await connection.execute(sql.text, sql.constants | params)
                    return await cursor.fetchone()
            except psycopg.OperationalError:
                if attempt == 2 or not reused:
                    raise
        raise AssertionError("unreachable")

    async def _in_thread(self, work: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(work)

    async def principal(self, token: str) -> Principal | None:
        """The token's client, read at most every `PRINCIPAL_TTL` seconds per valid token; an
        unknown or refused token is read every time."""
        key = hash_token(token)
        kept = self._principals.get(key)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        now = datetime.now(UTC)
        if not self.postgres:

            def check() -> Principal | None:
                with self.db.session() as session:
                    return authenticate(session, token, now)

            found = await self._in_thread(check)
        else:
            found = _principal_of(await self._first(_SQL_PRINCIPAL, {"token_hash": key}), now)
        if found is not None:
            if len(self._principals) >= _PRINCIPALS_KEPT:
                self._principals.clear()
            self._principals[key] = (time.monotonic() + PRINCIPAL_TTL, found)
        return found

    async def submit(
        self,
        client_id: int,
        mo_codes: str,
        idempotency_key: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> Submitted:
        """Store the raw intake once per (client, key): `services.intake.submit`, awaited."""
        if not self.postgres:
            return await self._in_thread(
                lambda: submit(self.db, client_id, mo_codes, idempotency_key, payload, now)
            )
        row = intake_row(client_id, idempotency_key, payload, now, mo_codes)
        params = {k: Json(v) if k in _JSON_COLUMNS else v for k, v in row.items()}
        params |= {"call_id": None, "processed_at": None}
        if await self._first(_SQL_INSERT, params) is not None:
            return Submitted(row["id"], created=True)
        found = await self._first(
            _SQL_PRIOR, {"client_id": client_id, "idempotency_key": idempotency_key}
        )
        return prior_submission(found, row["body_hash"])

    async def view(self, intake_id: str) -> IntakeView | None:
        if not self.postgres:
            statement = _VIEW.where(tables.Intake.id == intake_id)

            def read() -> IntakeView | None:
                with self.db.session() as session:
                    return _view_of(session.execute(statement).first())

            return await self._in_thread(read)
        return _view_of(await self._first(_SQL_VIEW, {"intake_id": intake_id}))

    async def backlog(self) -> Backlog:
        """The intakes waiting for a worker: how many, since when."""
        if not self.postgres:

            def read() -> Any:
                with self.db.session() as session:
                    return session.execute(_QUEUED).first()

            row = await self._in_thread(read)
        else:
            row = await self._first(_SQL_QUEUED, {})
        if row is None:
            return NO_BACKLOG
        return Backlog(int(row[0] or 0), row[1])
