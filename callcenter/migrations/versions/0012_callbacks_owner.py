"""callbacks: who promised a callback (the agent who scheduled it at the console)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crm_callbacks") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch.create_index("ix_crm_callbacks_owner", ["owner"])


def downgrade() -> None:
    with op.batch_alter_table("crm_callbacks") as batch:
        batch.drop_index("ix_crm_callbacks_owner")
        batch.drop_column("owner")
