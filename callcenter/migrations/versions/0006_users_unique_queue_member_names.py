"""users: unique queue member names

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:11:31
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Stop with the names to fix rather than a bare IntegrityError halfway through the
    # table copy: two agents under one member name must be renamed by someone who knows them.
    shared = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT member_name FROM users WHERE member_name IS NOT NULL"
                " GROUP BY member_name HAVING COUNT(*) > 1 ORDER BY member_name"
            )
        )
        .scalars()
        .all()
    )
    if shared:
        raise RuntimeError(
            "users share queue member names, give each agent their own first: "
            + ", ".join(repr(name) for name in shared)
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_users_member_name"), ["member_name"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_member_name"), type_="unique")
