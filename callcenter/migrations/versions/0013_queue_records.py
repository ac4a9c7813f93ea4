"""queues: queue records with their dialled numbers; agents' skills move out of users

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 11:40:00

`queue_memberships` keeps its table and rows (its model now lives in callcenter.queues).
Each entry of `users.skills` (a JSON list: `lang:de` or `lang:de=2`) becomes a row of
`agent_skills`; the column is then dropped.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from callcenter.db import UTCDateTime

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SKILL = re.compile(r"[a-z0-9][a-z0-9_.:/-]{0,63}")
USERS = sa.table("users", sa.column("id", sa.Integer), sa.column("skills", sa.JSON))
AGENT_SKILLS = sa.table(
    "agent_skills",
    sa.column("user_id", sa.Integer),
    sa.column("skill", sa.String),
    sa.column("level", sa.Integer),
)


def upgrade() -> None:
    op.create_table(
        "queues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("service_level_s", sa.Float(), nullable=True),
        sa.Column("service_level_target", sa.Float(), nullable=True),
        sa.Column("short_abandon_s", sa.Float(), nullable=True),
        sa.Column("business_hours_id", sa.Integer(), nullable=True),
        sa.Column("overflow", sa.String(length=128), nullable=True),
        sa.Column("open", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_hours_id"],
            ["crm_business_hours.id"],
            name=op.f("fk_queues_business_hours_id_crm_business_hours"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queues")),
        sa.UniqueConstraint("name", name=op.f("uq_queues_name")),
    )
    op.create_table(
        "queue_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["queues.id"],
            name=op.f("fk_queue_numbers_queue_id_queues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_numbers")),
        sa.UniqueConstraint("number", name=op.f("uq_queue_numbers_number")),
    )
    op.create_index(op.f("ix_queue_numbers_queue_id"), "queue_numbers", ["queue_id"])
    op.create_table(
        "agent_skills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.CheckConstraint("level >= 0", name=op.f("ck_agent_skills_level_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_agent_skills_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_skills")),
        sa.UniqueConstraint("user_id", "skill", name=op.f("uq_agent_skills_user_id_skill")),
    )
    _move_skills()
    # A native DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of `users` would drop the
    # old table, and with foreign keys on, SQLite's implicit DELETE would cascade to every
    # user's tokens, memberships and skills.
    op.drop_column("users", "skills")


def _move_skills() -> None:
    """Each user's skills list as rows; `x` is level 1, `x=2` level 2, a skill listed twice
    keeps its highest level. An entry that reads as no skill stops the upgrade, named."""
    bind = op.get_bind()
    rows: list[dict[str, object]] = []
    bad: list[str] = []
    for user_id, skills in bind.execute(sa.select(USERS.c.id, USERS.c.skills)):
        levels: dict[str, int] = {}
        for entry in skills or []:
            parsed = _skill(entry)
            if parsed is None:
                bad.append(f"user {user_id}: {entry!r}")
                continue
            name, level = parsed
            levels[name] = max(level, levels.get(name, level))
        rows += [{"user_id": user_id, "skill": s, "level": v} for s, v in levels.items()]
    if bad:
        raise RuntimeError("users have skills that read as none, fix them first: " + "; ".join(bad))
    if rows:
        bind.execute(AGENT_SKILLS.insert(), rows)


def _skill(entry: object) -> tuple[str, int] | None:
    if not isinstance(entry, str):
        return None
    name, equals, level = entry.strip().partition("=")
    name, level = name.strip().lower(), level.strip()
    if not SKILL.fullmatch(name) or (equals and not (level.isascii() and level.isdecimal())):
        return None
    return name, int(level) if equals else 1


def downgrade() -> None:
    op.add_column(
        "users", sa.Column("skills", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
    )
    bind = op.get_bind()
    found: dict[int, list[str]] = {}
    query = sa.select(AGENT_SKILLS.c.user_id, AGENT_SKILLS.c.skill, AGENT_SKILLS.c.level)
    for user_id, skill, level in bind.execute(query.order_by(AGENT_SKILLS.c.skill)):
        found.setdefault(user_id, []).append(skill if level == 1 else f"{skill}={level}")
    for user_id, skills in found.items():
        bind.execute(USERS.update().where(USERS.c.id == user_id).values(skills=skills))
    op.drop_table("agent_skills")
    op.drop_index(op.f("ix_queue_numbers_queue_id"), table_name="queue_numbers")
    op.drop_table("queue_numbers")
    op.drop_table("queues")
