"""routing: the admins' routing rules and the decision taken for each call

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 11:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from callcenter.db import UTCDateTime

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_routing_rules_name")),
    )
    op.create_table(
        "route_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("dialed", sa.String(length=64), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("preferred_member", sa.String(length=128), nullable=True),
        sa.Column("preferred_username", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("elapsed_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_decisions")),
    )
    op.create_index("ix_route_decisions_uniqueid", "route_decisions", ["uniqueid"])
    op.create_index("ix_route_decisions_decided_at", "route_decisions", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_route_decisions_decided_at", table_name="route_decisions")
    op.drop_index("ix_route_decisions_uniqueid", table_name="route_decisions")
    op.drop_table("route_decisions")
    op.drop_table("routing_rules")
