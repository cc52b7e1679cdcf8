"""calls by birth date: the duplicate lookup finds the same patient's calls by policy or birth
date, and without this index it read every open call of the MO

Revision ID: 0080
Revises: 0070
Create Date: 2026-12-06 22:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0080"
down_revision: str | None = "0070"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_calls_birth_date", "calls", ["birth_date"])


def downgrade() -> None:
    op.drop_index("ix_calls_birth_date", table_name="calls")
