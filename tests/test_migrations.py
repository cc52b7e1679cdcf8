"""Migrations: every revision goes up, down and up again (stairway), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from dispatcher.storage.database import make_engine
from dispatcher.storage.migrations import alembic_config, downgrade, upgrade
from dispatcher.storage.schema import Base
from tests.conftest import ADMIN_PG_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'stairway.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")  # skips or fails when PostgreSQL is absent
    name = f"hv_stairway_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{ADMIN_PG_URL.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def revisions(url: str) -> list[tuple[str, str]]:
    """(revision, the revision below it) from the first migration up."""
    script = ScriptDirectory.from_config(alembic_config(url))
    steps = []
    for rev in reversed(list(script.walk_revisions())):
        down = rev.down_revision
        below = down if isinstance(down, str) else ("base" if down is None else down[0])
        steps.append((rev.revision, below))
    return steps


def test_migrations_stairway(empty_url: str) -> None:
    for revision, below in revisions(empty_url):
        upgrade(empty_url, revision)
        downgrade(empty_url, below)
        upgrade(empty_url, revision)
    upgrade(empty_url)
    downgrade(empty_url, "base")
    engine = make_engine(empty_url)
    assert inspect(engine).get_table_names() == ["alembic_version"]
    engine.dispose()


def test_migrations_match_the_models(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
    for name, table in Base.metadata.tables.items():
        columns = {c["name"] for c in inspect(engine).get_columns(name)}
        assert columns == {c.name for c in table.columns}, name
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("empty_url", ["postgres"], indirect=True)  # SQLite keeps the row
def test_call_numbers_go_on_from_the_counter_across_the_sequence_migration(
    empty_url: str,
) -> None:
    """Numbers given before the move to a sequence are never given again, either way."""
    upgrade(empty_url, "0060")
    conninfo = empty_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("INSERT INTO counters (name, value) VALUES ('call_number', 57410)")
    upgrade(empty_url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        assert conn.execute("SELECT nextval('call_numbers')").fetchone() == (57_411,)
    downgrade(empty_url, "0060")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        counter = conn.execute("SELECT value FROM counters WHERE name = 'call_number'")
        assert counter.fetchone() == (57_411,)
