"""queue visits: covering index for interval reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COVERING = ["queue", "entered_at", "outcome", "wait_s", "talk_s", "hold_s"]


def upgrade() -> None:
    with op.batch_alter_table("queue_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_visits_queue_entered_at")
        batch_op.create_index("ix_queue_visits_queue_entered_at", _COVERING, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("queue_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_visits_queue_entered_at")
        batch_op.create_index(
            "ix_queue_visits_queue_entered_at", ["queue", "entered_at"], unique=False
        )
