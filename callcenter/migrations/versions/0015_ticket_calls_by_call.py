"""crm_ticket_calls: found by the call (server, linkedid), for the pop's linked tickets

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 12:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_crm_ticket_calls_call", "crm_ticket_calls", ["server", "linkedid"])


def downgrade() -> None:
    op.drop_index("ix_crm_ticket_calls_call", table_name="crm_ticket_calls")
