"""telephony: tracked phone calls and the call-back list

Revision ID: 0040
Revises: 0030
Create Date: 2026-12-03 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "phone_calls",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("caller", sa.String(length=20), nullable=True),
        sa.Column("caller_raw", sa.String(length=80), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("agent_interface", sa.String(length=64), nullable=True),
        sa.Column("agent_name", sa.String(length=200), nullable=True),
        sa.Column("agent_channel", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hold_seconds", sa.Integer(), nullable=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.Column("transferred_to", sa.String(length=32), nullable=True),
        sa.Column("transferred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("intake_call_id", BIG_ID, nullable=True),
        sa.Column("mo_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["intake_call_id"], ["calls.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["mo_id"], ["medical_organizations.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("linkedid"),
    )
    with op.batch_alter_table("phone_calls", schema=None) as batch_op:
        batch_op.create_index("ix_phone_calls_outcome_started", ["outcome", "started_at"])
        batch_op.create_index(batch_op.f("ix_phone_calls_caller"), ["caller"])
        batch_op.create_index(batch_op.f("ix_phone_calls_agent_interface"), ["agent_interface"])
        batch_op.create_index(batch_op.f("ix_phone_calls_started_at"), ["started_at"])
        batch_op.create_index(batch_op.f("ix_phone_calls_intake_call_id"), ["intake_call_id"])
        batch_op.create_index(batch_op.f("ix_phone_calls_mo_id"), ["mo_id"])

    op.create_table(
        "phone_callbacks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wait_seconds", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_agent_interface", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mo_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["mo_id"], ["medical_organizations.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("linkedid"),
    )
    with op.batch_alter_table("phone_callbacks", schema=None) as batch_op:
        batch_op.create_index("ix_phone_callbacks_state_called", ["state", "called_at"])
        batch_op.create_index(batch_op.f("ix_phone_callbacks_phone"), ["phone"])
        batch_op.create_index(batch_op.f("ix_phone_callbacks_mo_id"), ["mo_id"])


def downgrade() -> None:
    op.drop_table("phone_callbacks")
    op.drop_table("phone_calls")
