"""calls, queue visits, agent-state intervals

Revision ID: 0001
Revises:
Create Date: 2026-11-23 14:21:50.185608
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import callcenter.db

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_state_intervals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server", sa.String(length=64), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=False),
        sa.Column("interface", sa.String(length=128), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=128), nullable=True),
        sa.Column("started_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data_gap", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_intervals")),
        sa.UniqueConstraint(
            "server",
            "interface",
            "queue",
            "state",
            "started_at",
            name=op.f("uq_agent_state_intervals_server_interface_queue_state_started_at"),
        ),
    )
    with op.batch_alter_table("agent_state_intervals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_state_intervals_agent_started_at", ["agent", "started_at"], unique=False
        )

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server", sa.String(length=64), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("caller_number", sa.String(length=64), nullable=True),
        sa.Column("caller_name", sa.String(length=255), nullable=True),
        sa.Column("dialed_number", sa.String(length=64), nullable=True),
        sa.Column("started_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", callcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("hold_s", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("transfer_target", sa.String(length=128), nullable=True),
        sa.Column("data_gap", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("server", "linkedid", name=op.f("uq_calls_server_linkedid")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_caller_number", ["caller_number"], unique=False)
        batch_op.create_index("ix_calls_started_at", ["started_at"], unique=False)

    op.create_table(
        "queue_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("entered_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", callcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("exit_position", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("ring_s", sa.Float(), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("hold_s", sa.Float(), nullable=False),
        sa.Column("ring_no_answer", sa.Integer(), nullable=False),
        sa.Column("transfer_target", sa.String(length=128), nullable=True),
        sa.Column("hangup_by", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_queue_visits_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_visits")),
        sa.UniqueConstraint("call_id", "seq", name=op.f("uq_queue_visits_call_id_seq")),
    )
    with op.batch_alter_table("queue_visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_queue_visits_queue_entered_at", ["queue", "entered_at"], unique=False
        )
        batch_op.create_index("ix_queue_visits_uniqueid", ["uniqueid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("queue_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_visits_uniqueid")
        batch_op.drop_index("ix_queue_visits_queue_entered_at")

    op.drop_table("queue_visits")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_started_at")
        batch_op.drop_index("ix_calls_caller_number")

    op.drop_table("calls")
    with op.batch_alter_table("agent_state_intervals", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_state_intervals_agent_started_at")

    op.drop_table("agent_state_intervals")
