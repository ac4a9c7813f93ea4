"""call wrap-ups

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:49:02.508982
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import callcenter.db

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "call_wrapups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server", sa.String(length=64), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=False),
        sa.Column("disposition", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("updated_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_wrapups")),
        sa.UniqueConstraint(
            "server", "linkedid", "agent", name=op.f("uq_call_wrapups_server_linkedid_agent")
        ),
    )
    with op.batch_alter_table("call_wrapups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_wrapups_linkedid"), ["linkedid"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("call_wrapups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_wrapups_linkedid"))

    op.drop_table("call_wrapups")
