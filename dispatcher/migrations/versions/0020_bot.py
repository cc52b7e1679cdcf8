"""telegram bot: users and chats, linked patients, saved addresses, updates, notifications

Revision ID: 0020
Revises: 0011
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bot_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bot_users_chat_id"), ["chat_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bot_users_phone"), ["phone"], unique=False)
    op.create_table(
        "bot_patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("middle_name", sa.String(length=100), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("policy_number", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["bot_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "last_name", "first_name", "birth_date"),
    )
    with op.batch_alter_table("bot_patients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bot_patients_user_id"), ["user_id"], unique=False)
    op.create_table(
        "bot_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["bot_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "label"),
    )
    with op.batch_alter_table("bot_addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bot_addresses_user_id"), ["user_id"], unique=False)
    op.create_table(
        "bot_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id"),
    )
    op.create_table(
        "bot_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("bot_notifications")
    op.drop_table("bot_updates")
    with op.batch_alter_table("bot_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bot_addresses_user_id"))
    op.drop_table("bot_addresses")
    with op.batch_alter_table("bot_patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bot_patients_user_id"))
    op.drop_table("bot_patients")
    with op.batch_alter_table("bot_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bot_users_phone"))
        batch_op.drop_index(batch_op.f("ix_bot_users_chat_id"))
    op.drop_table("bot_users")
