"""medical organizations: the registry's phone number patients are told to call

Revision ID: 0060
Revises: 0050
Create Date: 2026-12-06 11:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0060"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("medical_organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("medical_organizations", schema=None) as batch_op:
        batch_op.drop_column("phone")
