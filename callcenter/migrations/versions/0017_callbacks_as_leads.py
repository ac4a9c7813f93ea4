"""callbacks as leads: owed callbacks move into the callback campaign's list; crm_callbacks goes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 19:00:00
"""

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import sqlalchemy as sa
from alembic import op
from phonenumbers import NumberParseException, timezone

from callcenter.db import UTCDateTime

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The list and campaign the callbacks land in, as the product creates them on demand.
NAME = "Callbacks"

# Callback status <-> lead state, callback origin <-> lead origin (as of this revision).
_STATE_OF_STATUS = {"open": "open", "done": "done", "cancelled": "cancelled"}
_STATUS_OF_STATE = {
    "open": "open",
    "reserved": "open",
    "dialing": "open",
    "in_call": "open",
    "done": "done",
}
_ORIGIN_BACK = {"abandoned": "abandoned_call", "agent": "requested", "api": "requested"}

_callbacks = sa.table(
    "crm_callbacks",
    sa.column("id", sa.Integer),
    sa.column("number", sa.String),
    sa.column("customer_id", sa.Integer),
    sa.column("contact_id", sa.Integer),
    sa.column("due_at", UTCDateTime(timezone=True)),
    sa.column("attempts", sa.Integer),
    sa.column("last_attempt_at", UTCDateTime(timezone=True)),
    sa.column("status", sa.String),
    sa.column("origin", sa.String),
    sa.column("server", sa.String),
    sa.column("linkedid", sa.String),
    sa.column("queue", sa.String),
    sa.column("owner", sa.String),
    sa.column("note", sa.Text),
    sa.column("created_at", UTCDateTime(timezone=True)),
    sa.column("closed_at", UTCDateTime(timezone=True)),
    sa.column("closed_by", sa.String),
)
_lists = sa.table(
    "call_lists",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("source", sa.String),
    sa.column("created_at", UTCDateTime(timezone=True)),
)
_campaigns = sa.table(
    "campaigns",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("list_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("mode", sa.String),
    sa.column("state", sa.String),
    sa.column("queue", sa.String),
    sa.column("agents", sa.JSON),
    sa.column("teams", sa.JSON),
    sa.column("hours_start_min", sa.Integer),
    sa.column("hours_end_min", sa.Integer),
    sa.column("weekdays", sa.JSON),
    sa.column("retry_gaps_min", sa.JSON),
    sa.column("max_attempts", sa.Integer),
    sa.column("dispositions", sa.JSON),
    sa.column("script", sa.Text),
    sa.column("ring_timeout_s", sa.Integer),
    sa.column("detect_machines", sa.Boolean),
    sa.column("abandon_cap", sa.Float),
    sa.column("dial_ratio", sa.Float),
    sa.column("created_at", UTCDateTime(timezone=True)),
    sa.column("updated_at", UTCDateTime(timezone=True)),
)
_leads = sa.table(
    "leads",
    sa.column("id", sa.Integer),
    sa.column("list_id", sa.Integer),
    sa.column("number", sa.String),
    sa.column("customer_id", sa.Integer),
    sa.column("contact_id", sa.Integer),
    sa.column("time_zone", sa.String),
    sa.column("state", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("next_at", UTCDateTime(timezone=True)),
    sa.column("due_at", UTCDateTime(timezone=True)),
    sa.column("last_attempt_at", UTCDateTime(timezone=True)),
    sa.column("owner", sa.String),
    sa.column("origin", sa.String),
    sa.column("server", sa.String),
    sa.column("linkedid", sa.String),
    sa.column("queue", sa.String),
    sa.column("note", sa.Text),
    sa.column("created_at", UTCDateTime(timezone=True)),
    sa.column("closed_at", UTCDateTime(timezone=True)),
    sa.column("closed_by", sa.String),
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_callbacks).order_by(_callbacks.c.id)).mappings().all()
    if rows:
        list_id = _callback_list(connection)
        site = _site_zone()
        connection.execute(
            _leads.insert(),
            [
                {
                    "list_id": list_id,
                    "number": row["number"],
                    "customer_id": row["customer_id"],
                    "contact_id": row["contact_id"],
                    "time_zone": _zone_of(row["number"], site),
                    "state": _STATE_OF_STATUS.get(row["status"], "cancelled"),
                    "attempts": row["attempts"],
                    # An abandoned call's callback may be dialled at once; a promised one at
                    # its time.
                    "next_at": None if row["origin"] == "abandoned_call" else row["due_at"],
                    "due_at": row["due_at"],
                    "last_attempt_at": row["last_attempt_at"],
                    "owner": row["owner"],
                    "origin": _lead_origin(row["origin"], row["owner"]),
                    "server": row["server"],
                    "linkedid": row["linkedid"],
                    "queue": row["queue"],
                    "note": row["note"],
                    "created_at": row["created_at"],
                    "closed_at": row["closed_at"],
                    "closed_by": row["closed_by"],
                }
                for row in rows
            ],
        )
    with op.batch_alter_table("crm_callbacks") as batch:
        batch.drop_index("ix_crm_callbacks_owner")
        batch.drop_index("ix_crm_callbacks_status_due_at")
        batch.drop_index("ix_crm_callbacks_number_status")
    op.drop_table("crm_callbacks")


def downgrade() -> None:
    op.create_table(
        "crm_callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("server", sa.String(length=64), nullable=True),
        sa.Column("linkedid", sa.String(length=64), nullable=True),
        sa.Column("queue", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=128), nullable=True),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_callbacks_contact_id_crm_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customers.id"],
            name=op.f("fk_crm_callbacks_customer_id_crm_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_callbacks")),
        sa.UniqueConstraint("server", "linkedid", name=op.f("uq_crm_callbacks_server_linkedid")),
    )
    with op.batch_alter_table("crm_callbacks") as batch:
        batch.create_index("ix_crm_callbacks_number_status", ["number", "status"], unique=False)
        batch.create_index("ix_crm_callbacks_status_due_at", ["status", "due_at"], unique=False)
        batch.create_index("ix_crm_callbacks_owner", ["owner"], unique=False)
    connection = op.get_bind()
    list_ids = list(
        connection.scalars(
            sa.select(_campaigns.c.list_id).where(_campaigns.c.kind == "callback").distinct()
        )
    )
    if not list_ids:
        return
    leads = connection.execute(
        sa.select(_leads).where(_leads.c.list_id.in_(list_ids)).order_by(_leads.c.id)
    ).mappings()
    rows = [
        {
            "number": lead["number"],
            "customer_id": lead["customer_id"],
            "contact_id": lead["contact_id"],
            "due_at": lead["due_at"] or lead["next_at"] or lead["created_at"],
            "attempts": lead["attempts"],
            "last_attempt_at": lead["last_attempt_at"],
            "status": _STATUS_OF_STATE.get(lead["state"], "cancelled"),
            "origin": _ORIGIN_BACK.get(lead["origin"], "manual"),
            "server": lead["server"],
            "linkedid": lead["linkedid"],
            "queue": lead["queue"],
            "owner": (lead["owner"] or "")[:64] or None,
            "note": lead["note"],
            "created_at": lead["created_at"],
            "closed_at": lead["closed_at"],
            "closed_by": lead["closed_by"],
        }
        for lead in leads
    ]
    if rows:
        connection.execute(_callbacks.insert(), rows)
    # One concept again: the callbacks are rows of crm_callbacks, not leads (their dial
    # attempts go with them; the campaign and its list stay, empty).
    connection.execute(_leads.delete().where(_leads.c.list_id.in_(list_ids)))


def _callback_list(connection: sa.Connection) -> int:
    """The callback campaign's list, created with the campaign (preview, draft) if missing."""
    found = connection.scalar(
        sa.select(_campaigns.c.list_id)
        .where(_campaigns.c.kind == "callback")
        .order_by(_campaigns.c.id)
        .limit(1)
    )
    if found is not None:
        return int(found)
    now = datetime.now(UTC)
    list_id: int | None = connection.scalar(
        sa.select(_lists.c.id).where(_lists.c.source == "callbacks").order_by(_lists.c.id).limit(1)
    )
    if list_id is None:
        connection.execute(_lists.insert().values(name=NAME, source="callbacks", created_at=now))
        list_id = connection.scalars(sa.select(_lists.c.id).where(_lists.c.name == NAME)).one()
    connection.execute(
        _campaigns.insert().values(
            name=NAME,
            list_id=list_id,
            kind="callback",
            mode="preview",
            state="draft",
            queue=os.environ.get("CALLCENTER_CALLBACK_QUEUE")
            or os.environ.get("CALLCENTER_DEFAULT_QUEUE")
            or "support",  # the default queue's default
            agents=[],
            teams=[],
            hours_start_min=9 * 60,
            hours_end_min=20 * 60,
            weekdays=[1, 2, 3, 4, 5, 6],
            retry_gaps_min={},
            max_attempts=5,
            dispositions=[],
            script="",
            ring_timeout_s=25,
            detect_machines=False,
            abandon_cap=0.03,
            dial_ratio=1.0,
            created_at=now,
            updated_at=now,
        )
    )
    return list_id


def _site_zone() -> str:
    """The deployment's zone (CALLCENTER_TIME_ZONE), UTC when unset or unknown."""
    name = (os.environ.get("CALLCENTER_TIME_ZONE") or "UTC").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return "UTC"
    return name


def _zone_of(number: str, site: str) -> str:
    """The one zone a number's prefix names, else the site's."""
    try:
        parsed = phonenumbers.parse(number, None)
    except NumberParseException:
        return site
    zones = [z for z in timezone.time_zones_for_number(parsed) if z != timezone.UNKNOWN_TIMEZONE]
    return zones[0] if len(zones) == 1 else site


def _lead_origin(origin: str, owner: str | None) -> str:
    if origin == "abandoned_call":
        return "abandoned"
    return "agent" if owner else "api"
