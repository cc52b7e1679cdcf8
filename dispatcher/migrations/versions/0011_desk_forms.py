"""desk forms: doctor accounts and MO terms

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_doctor_accounts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["doctor_id"], ["doctors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("desk_doctor_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_desk_doctor_accounts_doctor_id"), ["doctor_id"], unique=False
        )
    op.create_table(
        "mo_terms",
        sa.Column("mo_id", sa.Integer(), nullable=False),
        sa.Column("works_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["mo_id"], ["medical_organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("mo_id"),
    )


def downgrade() -> None:
    op.drop_table("mo_terms")
    with op.batch_alter_table("desk_doctor_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_doctor_accounts_doctor_id"))
    op.drop_table("desk_doctor_accounts")
