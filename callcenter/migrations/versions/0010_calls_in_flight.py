"""calls in flight: what a stopping CTI adapter was following, for its next start

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from callcenter.db import UTCDateTime

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calls_in_flight",
        sa.Column("server", sa.String(length=64), nullable=False),
        sa.Column("saved_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("server", name=op.f("pk_calls_in_flight")),
    )


def downgrade() -> None:
    op.drop_table("calls_in_flight")
