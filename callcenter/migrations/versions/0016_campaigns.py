"""campaigns: call lists, leads, campaigns, dial attempts, do-not-call lists

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from callcenter.db import UTCDateTime

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("query", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_call_lists_name")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("agents", sa.JSON(), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=False),
        sa.Column("hours_start_min", sa.Integer(), nullable=False),
        sa.Column("hours_end_min", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("retry_gaps_min", sa.JSON(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("dispositions", sa.JSON(), nullable=False),
        sa.Column("script", sa.Text(), nullable=False),
        sa.Column("caller_id", sa.String(length=64), nullable=True),
        sa.Column("ring_timeout_s", sa.Integer(), nullable=False),
        sa.Column("detect_machines", sa.Boolean(), nullable=False),
        sa.Column("abandon_cap", sa.Float(), nullable=False),
        sa.Column("dial_ratio", sa.Float(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["call_lists.id"],
            name=op.f("fk_campaigns_list_id_call_lists"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    op.create_table(
        "dnc_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_dnc_numbers_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dnc_numbers")),
        sa.UniqueConstraint(
            "number", "campaign_id", name=op.f("uq_dnc_numbers_number_campaign_id")
        ),
    )
    with op.batch_alter_table("dnc_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dnc_numbers_number"), ["number"], unique=False)

    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(length=16), nullable=True),
        sa.Column("disposition", sa.String(length=32), nullable=True),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("server", sa.String(length=64), nullable=True),
        sa.Column("linkedid", sa.String(length=64), nullable=True),
        sa.Column("queue", sa.String(length=128), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_leads_contact_id_crm_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customers.id"],
            name=op.f("fk_leads_customer_id_crm_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["call_lists.id"],
            name=op.f("fk_leads_list_id_call_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("server", "linkedid", name=op.f("uq_leads_server_linkedid")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            "ix_leads_list_state_next", ["list_id", "state", "next_at"], unique=False
        )
        batch_op.create_index("ix_leads_number_state", ["number", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_owner"), ["owner"], unique=False)

    op.create_table(
        "dial_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("dialed_number", sa.String(length=32), nullable=False),
        sa.Column("action_id", sa.String(length=64), nullable=True),
        sa.Column("server", sa.String(length=64), nullable=True),
        sa.Column("linkedid", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=128), nullable=True),
        sa.Column("reserved_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("dialed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("connected_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("hangup_cause", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Integer(), nullable=True),
        sa.Column("amd_status", sa.String(length=16), nullable=True),
        sa.Column("amd_cause", sa.String(length=64), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("disposition", sa.String(length=32), nullable=True),
        sa.Column("disposed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("disposed_by", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_dial_attempts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_dial_attempts_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dial_attempts")),
        sa.UniqueConstraint("action_id", name=op.f("uq_dial_attempts_action_id")),
        sa.UniqueConstraint("lead_id", "number", name=op.f("uq_dial_attempts_lead_id_number")),
    )
    with op.batch_alter_table("dial_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dial_attempts_campaign_started", ["campaign_id", "reserved_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dial_attempts_linkedid"), ["linkedid"], unique=False)
        batch_op.create_index("ix_dial_attempts_state", ["state"], unique=False)

    # Plain ADD COLUMN (SQLite has it): rebuilding crm_customers would break its
    # full-text triggers.
    op.add_column("calls", sa.Column("campaign_id", sa.Integer(), nullable=True))
    op.add_column("calls", sa.Column("lead_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_calls_campaign_id"), "calls", ["campaign_id"], unique=False)
    op.add_column(
        "crm_customers",
        sa.Column("do_not_call", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    # DROP COLUMN (SQLite 3.35+) keeps crm_customers and its full-text triggers in place.
    op.drop_column("crm_customers", "do_not_call")
    op.drop_index(op.f("ix_calls_campaign_id"), table_name="calls")
    op.drop_column("calls", "lead_id")
    op.drop_column("calls", "campaign_id")

    with op.batch_alter_table("dial_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_dial_attempts_state")
        batch_op.drop_index(batch_op.f("ix_dial_attempts_linkedid"))
        batch_op.drop_index("ix_dial_attempts_campaign_started")

    op.drop_table("dial_attempts")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_owner"))
        batch_op.drop_index("ix_leads_number_state")
        batch_op.drop_index("ix_leads_list_state_next")
        batch_op.drop_index(batch_op.f("ix_leads_customer_id"))

    op.drop_table("leads")
    with op.batch_alter_table("dnc_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dnc_numbers_number"))

    op.drop_table("dnc_numbers")
    op.drop_table("campaigns")
    op.drop_table("call_lists")
