"""supervisor actions: force pause, unpause and sign-out of agents, with the reason typed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from callcenter.db import UTCDateTime

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supervisor_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("supervisor", sa.String(length=64), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisor_actions")),
    )
    op.create_index(
        "ix_supervisor_actions_agent_at", "supervisor_actions", ["agent", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_supervisor_actions_agent_at", table_name="supervisor_actions")
    op.drop_table("supervisor_actions")
