"""leads by zone: the dialer reads which time zones of a list's open leads are in calling hours

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_leads_list_state_zone", "leads", ["list_id", "state", "time_zone"])


def downgrade() -> None:
    op.drop_index("ix_leads_list_state_zone", table_name="leads")
