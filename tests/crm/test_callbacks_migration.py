"""Migration 0017: the callbacks of crm_callbacks become leads of the callback campaign, and
back again on downgrade."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from callcenter.db import alembic_config, make_engine, upgrade
from tests.conftest import POSTGRES_URL_VARIABLE

CALLBACKS = [
    # number, status, origin, owner, due_at, linkedid, note, customer
    ("+15551230001", "open", "abandoned_call", None, "2026-03-02 10:30:00", "1.1", None, 1),
    ("+493012345678", "open", "requested", "agent1", "2026-03-03 09:00:00", None, "Invoice", None),
    ("+442071234567", "done", "requested", None, "2026-03-01 12:00:00", None, None, None),
    ("+15551230002", "cancelled", "manual", None, "2026-03-01 13:00:00", None, "Gone", None),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or one made on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cc.db'}"
        return
    server_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server_url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set: no PostgreSQL server to test against")
    name = f"callcenter_test_0017_{os.getpid()}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def at_0016(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Engine]]:
    monkeypatch.setenv("CALLCENTER_TIME_ZONE", "America/Chicago")
    url = empty_url
    upgrade(url, "0016")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO crm_customers (id, kind, name, category, blacklisted, created_at,"
                " updated_at, do_not_call) VALUES (1, 'company', 'Ann Customer', 'standard', false,"
                " '2026-03-01 09:00:00', '2026-03-01 09:00:00', false)"
            )
        )
        for number, status, origin, owner, due, linkedid, note, customer in CALLBACKS:
            connection.execute(
                text(
                    "INSERT INTO crm_callbacks (number, customer_id, due_at, attempts, status,"
                    " origin, server, linkedid, queue, owner, note, created_at, closed_at,"
                    " closed_by) VALUES (:number, :customer, :due, 1, :status, :origin,"
                    " :server, :linkedid, 'support', :owner, :note, '2026-03-02 10:00:00',"
                    " :closed_at, :closed_by)"
                ),
                {
                    "number": number,
                    "customer": customer,
                    "due": due,
                    "status": status,
                    "origin": origin,
                    "server": "pbx" if linkedid else None,
                    "linkedid": linkedid,
                    "owner": owner,
                    "note": note,
                    "closed_at": None if status == "open" else "2026-03-02 11:00:00",
                    "closed_by": None if status == "open" else "agent2",
                },
            )
    yield url, engine
    engine.dispose()


def test_callbacks_move_into_leads_and_back(at_0016: tuple[str, Engine]) -> None:
    url, engine = at_0016
    upgrade(url)
    assert "crm_callbacks" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        campaign = connection.execute(
            text("SELECT id, name, kind, mode, state, queue, list_id FROM campaigns")
        ).one()
        source = connection.scalar(text("SELECT source FROM call_lists"))
        leads = connection.execute(
            text(
                "SELECT number, list_id, state, origin, owner, time_zone, customer_id, attempts,"
                " next_at IS NOT NULL, due_at, server, linkedid, note, closed_by"
                " FROM leads ORDER BY id"
            )
        ).all()
    assert tuple(campaign[1:6]) == ("Callbacks", "callback", "preview", "draft", "support")
    assert source == "callbacks"
    assert {lead[1] for lead in leads} == {campaign.list_id}
    assert [tuple(lead[2:9]) for lead in leads] == [
        # The 555 range is placed nowhere: the site's zone; a German and a British number
        # have their country's one zone.
        ("open", "abandoned", None, "America/Chicago", 1, 1, 0),
        ("open", "agent", "agent1", "Europe/Berlin", None, 1, 1),
        ("done", "api", None, "Europe/London", None, 1, 1),
        ("cancelled", "api", None, "America/Chicago", None, 1, 1),
    ]
    assert [(lead.linkedid, lead.note, lead.closed_by) for lead in leads] == [
        ("1.1", None, None), (None, "Invoice", None), (None, None, "agent2"),
        (None, "Gone", "agent2"),
    ]  # fmt: skip

    command.downgrade(alembic_config(url), "0016")
    with engine.connect() as connection:
        back = connection.execute(
            text(
                "SELECT number, status, origin, owner, customer_id, due_at, linkedid, note,"
                " closed_by FROM crm_callbacks ORDER BY id"
            )
        ).all()
        left = connection.scalar(text("SELECT count(*) FROM leads"))
    assert left == 0
    assert [(row.number, row.status, row.owner, row.note) for row in back] == [
        (c[0], c[1], c[3], c[6]) for c in CALLBACKS
    ]
    # What a lead cannot tell apart comes back as a request.
    assert [row.origin for row in back] == ["abandoned_call", "requested", "requested", "requested"]
    assert [str(row.due_at)[:19] for row in back] == [c[4] for c in CALLBACKS]
    upgrade(url)  # and forward again
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM leads")) == len(CALLBACKS)
        assert connection.scalar(text("SELECT count(*) FROM campaigns")) == 1


def test_without_callbacks_no_campaign_is_made(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cc.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM campaigns")) == 0
        assert connection.scalar(text("SELECT count(*) FROM call_lists")) == 0
    engine.dispose()
