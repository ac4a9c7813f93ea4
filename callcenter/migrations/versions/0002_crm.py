"""crm: customers, contacts, numbers, history, tickets, SLAs, knowledge base, callbacks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:27:40.927307
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import callcenter.db

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_business_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_business_hours")),
        sa.UniqueConstraint("name", name=op.f("uq_crm_business_hours_name")),
    )
    op.create_table(
        "crm_customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("credit_rating", sa.String(length=16), nullable=True),
        sa.Column("industry", sa.String(length=128), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("street", sa.String(length=255), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("blacklisted", sa.Boolean(), nullable=False),
        sa.Column("preferred_agent", sa.String(length=128), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["crm_customers.id"],
            name=op.f("fk_crm_customers_parent_id_crm_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_customers")),
        sa.UniqueConstraint("code", name=op.f("uq_crm_customers_code")),
    )
    with op.batch_alter_table("crm_customers", schema=None) as batch_op:
        batch_op.create_index("ix_crm_customers_name", ["name"], unique=False)
        batch_op.create_index("ix_crm_customers_parent_id", ["parent_id"], unique=False)

    op.create_table(
        "crm_kb_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("solution", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(length=255), nullable=False),
        sa.Column("created_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_kb_articles")),
    )
    op.create_table(
        "crm_business_hours_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_hours_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_hours_id"],
            ["crm_business_hours.id"],
            name=op.f("fk_crm_business_hours_slots_business_hours_id_crm_business_hours"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_business_hours_slots")),
    )
    with op.batch_alter_table("crm_business_hours_slots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_business_hours_slots_business_hours_id", ["business_hours_id"], unique=False
        )

    op.create_table(
        "crm_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=True),
        sa.Column("department", sa.String(length=128), nullable=True),
        sa.Column("importance", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customers.id"],
            name=op.f("fk_crm_contacts_customer_id_crm_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_contacts")),
    )
    with op.batch_alter_table("crm_contacts", schema=None) as batch_op:
        batch_op.create_index("ix_crm_contacts_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "crm_holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_hours_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_hours_id"],
            ["crm_business_hours.id"],
            name=op.f("fk_crm_holidays_business_hours_id_crm_business_hours"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_holidays")),
        sa.UniqueConstraint(
            "business_hours_id", "day", name=op.f("uq_crm_holidays_business_hours_id_day")
        ),
    )
    op.create_table(
        "crm_sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column("business_hours_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_hours_id"],
            ["crm_business_hours.id"],
            name=op.f("fk_crm_sla_policies_business_hours_id_crm_business_hours"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_sla_policies")),
        sa.UniqueConstraint("priority", name=op.f("uq_crm_sla_policies_priority")),
    )
    op.create_table(
        "crm_callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("due_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", callcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("server", sa.String(length=64), nullable=True),
        sa.Column("linkedid", sa.String(length=64), nullable=True),
        sa.Column("queue", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", callcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=128), nullable=True),
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
    with op.batch_alter_table("crm_callbacks", schema=None) as batch_op:
        batch_op.create_index("ix_crm_callbacks_number_status", ["number", "status"], unique=False)
        batch_op.create_index("ix_crm_callbacks_status_due_at", ["status", "due_at"], unique=False)

    op.create_table(
        "crm_phone_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("raw", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(customer_id IS NULL) <> (contact_id IS NULL)",
            name=op.f("ck_crm_phone_numbers_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_phone_numbers_contact_id_crm_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customers.id"],
            name=op.f("fk_crm_phone_numbers_customer_id_crm_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_phone_numbers")),
    )
    with op.batch_alter_table("crm_phone_numbers", schema=None) as batch_op:
        batch_op.create_index("ix_crm_phone_numbers_contact_id", ["contact_id"], unique=False)
        batch_op.create_index("ix_crm_phone_numbers_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_crm_phone_numbers_e164", ["e164"], unique=False)

    op.create_table(
        "crm_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=128), nullable=True),
        sa.Column("team", sa.String(length=128), nullable=True),
        sa.Column("created_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_response_due", callcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_responded_at", callcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_due", callcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", callcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", callcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_response_breached", sa.Boolean(), nullable=False),
        sa.Column("resolution_breached", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_tickets_contact_id_crm_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customers.id"],
            name=op.f("fk_crm_tickets_customer_id_crm_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_crm_tickets_number")),
    )
    with op.batch_alter_table("crm_tickets", schema=None) as batch_op:
        batch_op.create_index("ix_crm_tickets_assignee", ["assignee"], unique=False)
        batch_op.create_index(
            "ix_crm_tickets_customer_id_status", ["customer_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_crm_tickets_status_priority", ["status", "priority"], unique=False
        )

    op.create_table(
        "crm_interactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("server", sa.String(length=64), nullable=True),
        sa.Column("linkedid", sa.String(length=64), nullable=True),
        sa.Column("queue", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_interactions_contact_id_crm_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customers.id"],
            name=op.f("fk_crm_interactions_customer_id_crm_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["crm_tickets.id"],
            name=op.f("fk_crm_interactions_ticket_id_crm_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_interactions")),
    )
    with op.batch_alter_table("crm_interactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_interactions_customer_id_occurred_at",
            ["customer_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_crm_interactions_number_occurred_at", ["number", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_crm_interactions_server_linkedid", ["server", "linkedid"], unique=False
        )

    op.create_table(
        "crm_ticket_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("server", sa.String(length=64), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["crm_tickets.id"],
            name=op.f("fk_crm_ticket_calls_ticket_id_crm_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_ticket_calls")),
        sa.UniqueConstraint(
            "ticket_id",
            "server",
            "linkedid",
            name=op.f("uq_crm_ticket_calls_ticket_id_server_linkedid"),
        ),
    )
    op.create_table(
        "crm_ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=True),
        sa.Column("old_value", sa.String(length=255), nullable=True),
        sa.Column("new_value", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["crm_tickets.id"],
            name=op.f("fk_crm_ticket_events_ticket_id_crm_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_ticket_events")),
    )
    with op.batch_alter_table("crm_ticket_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_ticket_events_ticket_id_at", ["ticket_id", "at"], unique=False
        )

    _create_full_text()


def downgrade() -> None:
    _drop_full_text()
    with op.batch_alter_table("crm_ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_ticket_events_ticket_id_at")

    op.drop_table("crm_ticket_events")
    op.drop_table("crm_ticket_calls")
    with op.batch_alter_table("crm_interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_interactions_server_linkedid")
        batch_op.drop_index("ix_crm_interactions_number_occurred_at")
        batch_op.drop_index("ix_crm_interactions_customer_id_occurred_at")

    op.drop_table("crm_interactions")
    with op.batch_alter_table("crm_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_tickets_status_priority")
        batch_op.drop_index("ix_crm_tickets_customer_id_status")
        batch_op.drop_index("ix_crm_tickets_assignee")

    op.drop_table("crm_tickets")
    with op.batch_alter_table("crm_phone_numbers", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_phone_numbers_e164")
        batch_op.drop_index("ix_crm_phone_numbers_customer_id")
        batch_op.drop_index("ix_crm_phone_numbers_contact_id")

    op.drop_table("crm_phone_numbers")
    with op.batch_alter_table("crm_callbacks", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_callbacks_status_due_at")
        batch_op.drop_index("ix_crm_callbacks_number_status")

    op.drop_table("crm_callbacks")
    op.drop_table("crm_sla_policies")
    op.drop_table("crm_holidays")
    with op.batch_alter_table("crm_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_contacts_customer_id")

    op.drop_table("crm_contacts")
    with op.batch_alter_table("crm_business_hours_slots", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_business_hours_slots_business_hours_id")

    op.drop_table("crm_business_hours_slots")
    op.drop_table("crm_kb_articles")
    with op.batch_alter_table("crm_customers", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_customers_parent_id")
        batch_op.drop_index("ix_crm_customers_name")

    op.drop_table("crm_customers")
    op.drop_table("crm_business_hours")


# Full-text search, written by hand per dialect (the models do not describe these tables; the
# `crm_fts_` prefix keeps Alembic's comparison away from them). Triggers keep both indexes in
# step with every write, bulk inserts included.

_SQLITE_CUSTOMER_REFRESH = """
    DELETE FROM crm_fts_customers WHERE rowid = {id};
    INSERT INTO crm_fts_customers(rowid, name, code, phones, emails)
    SELECT c.id,
        c.name || coalesce(' ' || (SELECT group_concat(t.name, ' ') FROM crm_contacts t
                                   WHERE t.customer_id = c.id), ''),
        coalesce(c.code, ''),
        coalesce((SELECT group_concat(p.e164 || ' ' || p.raw, ' ') FROM crm_phone_numbers p
                  WHERE p.customer_id = c.id OR p.contact_id IN
                      (SELECT t.id FROM crm_contacts t WHERE t.customer_id = c.id)), ''),
        coalesce(c.email, '') || coalesce(' ' || (SELECT group_concat(t.email, ' ')
                                                  FROM crm_contacts t
                                                  WHERE t.customer_id = c.id), '')
    FROM crm_customers c WHERE c.id = {id};
"""

_SQLITE_PHONE_OWNER = (
    "coalesce({row}.customer_id,"
    " (SELECT t.customer_id FROM crm_contacts t WHERE t.id = {row}.contact_id))"
)


def _sqlite_trigger(name: str, when: str, body: str) -> str:
    return f"CREATE TRIGGER {name} {when} BEGIN {body} END"


def _sqlite_full_text() -> list[str]:
    refresh = _SQLITE_CUSTOMER_REFRESH.format
    new_phone = _SQLITE_PHONE_OWNER.format(row="NEW")
    old_phone = _SQLITE_PHONE_OWNER.format(row="OLD")
    return [
        "CREATE VIRTUAL TABLE crm_fts_customers USING fts5("
        "name, code, phones, emails, tokenize = 'unicode61 remove_diacritics 2')",
        "CREATE VIRTUAL TABLE crm_fts_kb USING fts5("
        "title, problem, solution, tags, content = 'crm_kb_articles', content_rowid = 'id',"
        " tokenize = 'unicode61 remove_diacritics 2')",
        _sqlite_trigger(
            "crm_fts_customers_ai", "AFTER INSERT ON crm_customers", refresh(id="NEW.id")
        ),
        _sqlite_trigger(
            "crm_fts_customers_au",
            "AFTER UPDATE OF name, code, email ON crm_customers",
            refresh(id="NEW.id"),
        ),
        _sqlite_trigger(
            "crm_fts_customers_ad",
            "AFTER DELETE ON crm_customers",
            "DELETE FROM crm_fts_customers WHERE rowid = OLD.id;",
        ),
        _sqlite_trigger(
            "crm_fts_contacts_ai", "AFTER INSERT ON crm_contacts", refresh(id="NEW.customer_id")
        ),
        _sqlite_trigger(
            "crm_fts_contacts_au",
            "AFTER UPDATE OF name, email, customer_id ON crm_contacts",
            refresh(id="OLD.customer_id") + refresh(id="NEW.customer_id"),
        ),
        _sqlite_trigger(
            "crm_fts_contacts_ad", "AFTER DELETE ON crm_contacts", refresh(id="OLD.customer_id")
        ),
        _sqlite_trigger(
            "crm_fts_phones_ai", "AFTER INSERT ON crm_phone_numbers", refresh(id=new_phone)
        ),
        _sqlite_trigger(
            "crm_fts_phones_au",
            "AFTER UPDATE ON crm_phone_numbers",
            refresh(id=old_phone) + refresh(id=new_phone),
        ),
        _sqlite_trigger(
            "crm_fts_phones_ad", "AFTER DELETE ON crm_phone_numbers", refresh(id=old_phone)
        ),
        _sqlite_trigger(
            "crm_fts_kb_ai",
            "AFTER INSERT ON crm_kb_articles",
            "INSERT INTO crm_fts_kb(rowid, title, problem, solution, tags)"
            " VALUES (NEW.id, NEW.title, NEW.problem, NEW.solution, NEW.tags);",
        ),
        _sqlite_trigger(
            "crm_fts_kb_ad",
            "AFTER DELETE ON crm_kb_articles",
            "INSERT INTO crm_fts_kb(crm_fts_kb, rowid, title, problem, solution, tags)"
            " VALUES ('delete', OLD.id, OLD.title, OLD.problem, OLD.solution, OLD.tags);",
        ),
        _sqlite_trigger(
            "crm_fts_kb_au",
            "AFTER UPDATE ON crm_kb_articles",
            "INSERT INTO crm_fts_kb(crm_fts_kb, rowid, title, problem, solution, tags)"
            " VALUES ('delete', OLD.id, OLD.title, OLD.problem, OLD.solution, OLD.tags);"
            " INSERT INTO crm_fts_kb(rowid, title, problem, solution, tags)"
            " VALUES (NEW.id, NEW.title, NEW.problem, NEW.solution, NEW.tags);",
        ),
    ]


_POSTGRES_FULL_TEXT = [
    # Search matches as FTS5's unicode61 tokenizer does: accents folded, and every run of
    # letters and digits a word (the default parser keeps "info@acme.test" or "-01" whole).
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    r"""CREATE FUNCTION crm_fts_fold(words text) RETURNS text AS $$
        SELECT regexp_replace(unaccent(words), '[^[:alnum:]]+', ' ', 'g')
    $$ LANGUAGE sql STABLE""",
    """CREATE TABLE crm_fts_customers (
        customer_id integer PRIMARY KEY REFERENCES crm_customers (id) ON DELETE CASCADE,
        document tsvector NOT NULL)""",
    "CREATE INDEX crm_fts_customers_document ON crm_fts_customers USING gin (document)",
    """CREATE TABLE crm_fts_kb (
        article_id integer PRIMARY KEY REFERENCES crm_kb_articles (id) ON DELETE CASCADE,
        document tsvector NOT NULL)""",
    "CREATE INDEX crm_fts_kb_document ON crm_fts_kb USING gin (document)",
    """CREATE FUNCTION crm_fts_customer_refresh(cid integer) RETURNS void AS $$
    BEGIN
        DELETE FROM crm_fts_customers WHERE customer_id = cid;
        INSERT INTO crm_fts_customers (customer_id, document)
        SELECT c.id,
            setweight(to_tsvector('simple',
                crm_fts_fold(c.name || ' ' || coalesce(c.code, ''))), 'A')
            || to_tsvector('simple', crm_fts_fold(
                coalesce(c.email, '') || ' '
                || coalesce((SELECT string_agg(t.name || ' ' || coalesce(t.email, ''), ' ')
                             FROM crm_contacts t WHERE t.customer_id = c.id), '') || ' '
                || coalesce((SELECT string_agg(p.e164 || ' ' || p.raw, ' ')
                             FROM crm_phone_numbers p
                             WHERE p.customer_id = c.id OR p.contact_id IN
                                 (SELECT t.id FROM crm_contacts t WHERE t.customer_id = c.id)),
                            '')))
        FROM crm_customers c WHERE c.id = cid;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION crm_fts_customers_trg() RETURNS trigger AS $$
    BEGIN
        PERFORM crm_fts_customer_refresh(NEW.id);
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION crm_fts_contacts_trg() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM crm_fts_customer_refresh(OLD.customer_id);
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM crm_fts_customer_refresh(NEW.customer_id);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION crm_fts_phones_trg() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM crm_fts_customer_refresh(coalesce(OLD.customer_id,
                (SELECT t.customer_id FROM crm_contacts t WHERE t.id = OLD.contact_id)));
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM crm_fts_customer_refresh(coalesce(NEW.customer_id,
                (SELECT t.customer_id FROM crm_contacts t WHERE t.id = NEW.contact_id)));
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION crm_fts_kb_trg() RETURNS trigger AS $$
    BEGIN
        DELETE FROM crm_fts_kb WHERE article_id = NEW.id;
        INSERT INTO crm_fts_kb (article_id, document) VALUES (NEW.id,
            setweight(to_tsvector('simple', crm_fts_fold(NEW.title || ' ' || NEW.tags)), 'A')
            || to_tsvector('simple', crm_fts_fold(NEW.problem || ' ' || NEW.solution)));
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER crm_fts_customers_aiu AFTER INSERT OR UPDATE OF name, code, email"
    " ON crm_customers FOR EACH ROW EXECUTE FUNCTION crm_fts_customers_trg()",
    "CREATE TRIGGER crm_fts_contacts_aiud AFTER INSERT OR UPDATE OR DELETE"
    " ON crm_contacts FOR EACH ROW EXECUTE FUNCTION crm_fts_contacts_trg()",
    "CREATE TRIGGER crm_fts_phones_aiud AFTER INSERT OR UPDATE OR DELETE"
    " ON crm_phone_numbers FOR EACH ROW EXECUTE FUNCTION crm_fts_phones_trg()",
    "CREATE TRIGGER crm_fts_kb_aiu AFTER INSERT OR UPDATE"
    " ON crm_kb_articles FOR EACH ROW EXECUTE FUNCTION crm_fts_kb_trg()",
]

_SQLITE_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS {name}"
        for name in (
            "crm_fts_customers_ai",
            "crm_fts_customers_au",
            "crm_fts_customers_ad",
            "crm_fts_contacts_ai",
            "crm_fts_contacts_au",
            "crm_fts_contacts_ad",
            "crm_fts_phones_ai",
            "crm_fts_phones_au",
            "crm_fts_phones_ad",
            "crm_fts_kb_ai",
            "crm_fts_kb_ad",
            "crm_fts_kb_au",
        )
    ),
    "DROP TABLE IF EXISTS crm_fts_customers",
    "DROP TABLE IF EXISTS crm_fts_kb",
]

_POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS crm_fts_customers_aiu ON crm_customers",
    "DROP TRIGGER IF EXISTS crm_fts_contacts_aiud ON crm_contacts",
    "DROP TRIGGER IF EXISTS crm_fts_phones_aiud ON crm_phone_numbers",
    "DROP TRIGGER IF EXISTS crm_fts_kb_aiu ON crm_kb_articles",
    "DROP FUNCTION IF EXISTS crm_fts_customers_trg()",
    "DROP FUNCTION IF EXISTS crm_fts_contacts_trg()",
    "DROP FUNCTION IF EXISTS crm_fts_phones_trg()",
    "DROP FUNCTION IF EXISTS crm_fts_kb_trg()",
    "DROP FUNCTION IF EXISTS crm_fts_customer_refresh(integer)",
    "DROP FUNCTION IF EXISTS crm_fts_fold(text)",
    "DROP TABLE IF EXISTS crm_fts_customers",
    "DROP TABLE IF EXISTS crm_fts_kb",
]


def _create_full_text() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        statements = _sqlite_full_text()
    elif dialect == "postgresql":
        statements = _POSTGRES_FULL_TEXT
    else:
        raise NotImplementedError(f"no full-text search for the {dialect} dialect")
    for statement in statements:
        op.execute(statement)


def _drop_full_text() -> None:
    dialect = op.get_context().dialect.name
    for statement in _SQLITE_DROP if dialect == "sqlite" else _POSTGRES_DROP:
        op.execute(statement)
