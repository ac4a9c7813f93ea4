"""queues: each PBX's queues as it last listed them (the service-level threshold it counts with)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from callcenter.db import UTCDateTime

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pbx_queues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("service_level_s", sa.Float(), nullable=True),
        sa.Column("seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pbx_queues")),
        sa.UniqueConstraint("server", "queue", name=op.f("uq_pbx_queues_server_queue")),
    )


def downgrade() -> None:
    op.drop_table("pbx_queues")
