"""The bot's per-update reads (a profile, /my): on the event loop with PostgreSQL, not in threads.

A read handed to a worker thread needs the GIL back after each of its round trips (checkout,
queries, commit), and the event loop, busy with other chats, gives it up only every switch
interval: under load a 1 ms read took tens of milliseconds and held the update that waited for
it. With PostgreSQL the same synchronous query code runs through SQLAlchemy's asyncio engine
(psycopg's async connections, `run_sync` in a greenlet on the loop), so nothing waits for a
thread. SQLite has no async driver installed here: its reads stay in a thread, on an engine of
their own that opens plain (deferred) transactions — the shared engine begins every transaction
IMMEDIATE, taking the write lock, so the bot's reads queued behind the worker's writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from dispatcher.storage.database import Database

T = TypeVar("T")


def _async_url(url: str) -> str | None:
    for prefix in ("postgresql+psycopg://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return None


class Reads:
    """Runs `read(session)` for a handler; the engine lives on the loop that first uses it."""

    def __init__(self, db: Database, pool_size: int = 16) -> None:
        self.db = db
        self.url = _async_url(db.url)
        self.pool_size = pool_size
        self._engine: AsyncEngine | None = None
        self._sqlite: Engine | None = None
        if db.url.startswith("sqlite") and ":memory:" not in db.url:
            self._sqlite = create_engine(
                db.url, connect_args={"check_same_thread": False, "timeout": 30}
            )

    def _in_thread(self, read: Callable[[Session], T]) -> T:
        if self._sqlite is None:
            with self.db.session() as session:
                return read(session)
        with Session(self._sqlite) as session:  # WAL: readers never wait for the writer
            return read(session)

    async def run(self, read: Callable[[Session], T]) -> T:
        if self.url is None:
            return await asyncio.to_thread(self._in_thread, read)
        if self._engine is None:
            # no overflow: a burst waits for a pooled connection (a read holds one for about a
            # millisecond) instead of opening and closing connections by the hundred; autocommit:
            # these are reads only, and BEGIN and ROLLBACK were two of a profile's six round
            # trips; no pre-ping (another round trip per read): after a database restart the
            # first read fails (the user gets the apology), the pool is invalidated and refilled
            self._engine = create_async_engine(
                self.url,
                pool_size=self.pool_size,
                max_overflow=0,
                pool_recycle=600,
                isolation_level="AUTOCOMMIT",
            )
        async with AsyncSession(self._engine, expire_on_commit=False) as session:
            return await session.run_sync(read)

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.dispose()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
