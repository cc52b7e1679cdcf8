"""calls by the patient's own keys with the status: (phone, status), (policy, status) and the new
(birth date, status). The duplicate lookups find a patient's open calls by one index each; with
the single-column indexes a fresh table's planner read every open call of the MO

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
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_index("ix_calls_phone")
        batch_op.drop_index("ix_calls_policy")
        batch_op.create_index("ix_calls_phone_status", ["phone", "status"])
        batch_op.create_index("ix_calls_policy_status", ["policy_number", "status"])
        batch_op.create_index("ix_calls_birth_date_status", ["birth_date", "status"])


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_index("ix_calls_birth_date_status")
        batch_op.drop_index("ix_calls_policy_status")
        batch_op.drop_index("ix_calls_phone_status")
        batch_op.create_index("ix_calls_policy", ["policy_number"])
        batch_op.create_index("ix_calls_phone", ["phone"])
