"""call numbers: a PostgreSQL sequence instead of the counter row, so that taking numbers locks
nothing and needs no transaction of its own (SQLite, one writer at a time, keeps the row)

Revision ID: 0070
Revises: 0060
Create Date: 2026-12-06 18:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0070"
down_revision: str | None = "0060"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the numbering's own constants, as they were when this revision was written
SEQUENCE = "call_numbers"
COUNTER = "call_number"
FIRST = 57_000


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE SEQUENCE {SEQUENCE} START {FIRST}")
    # the next number follows the last one given from the counter
    op.execute(
        f"SELECT setval('{SEQUENCE}', value) FROM counters "
        f"WHERE name = '{COUNTER}' AND value >= {FIRST}"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"INSERT INTO counters (name, value) SELECT '{COUNTER}', last_value FROM {SEQUENCE} "
        f"WHERE is_called ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"
    )
    op.execute(f"DROP SEQUENCE {SEQUENCE}")
