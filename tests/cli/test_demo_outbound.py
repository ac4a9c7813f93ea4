"""`callcenter demo` runs a predictive campaign beside inbound: it dials, records outcomes, and
each attempt is an outbound call record of its campaign and lead."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.demo_data import DEMO_USERS, seed_demo
from agent_ui.demo_outbound import CAMPAIGN_NAME, GLOBAL_DNC, NO_CALLS_CUSTOMER, QUEUE, TEAM
from callcenter.campaigns.models import Campaign, DncEntry, Lead
from crm.customers.models import Customer
from sim.scenario_file import load_scenario
from tests.cli.test_databases import clean_env
from tests.cli.test_demo_database import PASSWORD, _listening_socket
from tests.waiting import until

FAILED = {"busy", "no_answer", "congestion", "failed", "machine"}


def test_the_demo_seeds_a_running_campaign_its_callers_and_do_not_call(
    sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    for _ in range(2):  # a second demo start adds nothing twice
        with sessions() as session, session.begin():
            seed_demo(session, "US", PASSWORD)
    with sessions() as session:
        campaigns = {c.name: c for c in session.scalars(select(Campaign))}
        renewals = campaigns[CAMPAIGN_NAME]
        assert (renewals.state, renewals.mode, renewals.queue) == ("running", "predictive", QUEUE)
        assert renewals.teams == [TEAM]
        callbacks = [c for c in campaigns.values() if c.kind == "callback"]
        assert len(callbacks) == 1 and callbacks[0].state == "running"
        leads = session.scalar(
            select(func.count()).select_from(Lead).where(Lead.list_id == renewals.list_id)
        )
        assert leads is not None and leads >= 300
        zones = set(session.scalars(select(Lead.time_zone).where(Lead.list_id == renewals.list_id)))
        assert {"America/New_York", "Europe/London", "Australia/Sydney"} <= zones
        blocked = {
            lead.number: lead.customer_id
            for lead in session.scalars(select(Lead).where(Lead.state == "blocked"))
        }
        assert GLOBAL_DNC in blocked
        hank = session.scalar(select(Customer).where(Customer.code == NO_CALLS_CUSTOMER))
        assert hank is not None and hank.do_not_call and hank.id in blocked.values()
        assert session.scalar(select(DncEntry.number).where(DncEntry.campaign_id.is_(None))) == (
            GLOBAL_DNC
        )
    # The campaign's team are the scenario's callers, on their phones, in its queue only.
    callers = {u.interface: u for u in DEMO_USERS if u.team == TEAM}
    in_queue = {a.interface: a for a in load_scenario("demo").agents if QUEUE in a.queues}
    assert set(callers) == set(in_queue) and len(callers) == 4
    assert all(a.queues == (QUEUE,) for a in in_queue.values())
    assert all(callers[i].member_name == a.name for i, a in in_queue.items())


def rows(database: Path, query: str) -> list[tuple[object, ...]]:
    if not database.exists():
        return []
    try:
        with sqlite3.connect(database) as db:
            return list(db.execute(query))
    except sqlite3.OperationalError:  # not migrated yet, or busy
        return []


ENDED = "SELECT outcome FROM dial_attempts WHERE state = 'ended'"
OUTBOUND_CALLS = (
    "SELECT c.linkedid, c.campaign_id, c.lead_id, a.campaign_id, a.lead_id FROM calls c "
    "JOIN dial_attempts a ON a.linkedid = c.linkedid AND a.server = c.server "
    "WHERE c.direction = 'outbound'"
)


@pytest.mark.slow
def test_the_demo_campaign_dials_and_records_outcomes_beside_inbound(tmp_path: Path) -> None:
    with _listening_socket() as probe:
        port = probe.getsockname()[1]
    argv = ["demo", "--port", str(port), "--speed", "10", "--password", PASSWORD]
    demo = subprocess.Popen(
        [sys.executable, "-m", "callcenter", *argv],
        cwd=tmp_path,
        env=clean_env() | {"PYTHONPATH": str(Path(__file__).parents[2])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert demo.stderr is not None
    database = tmp_path / "var" / "callcenter.db"

    def enough() -> bool:
        outcomes = {outcome for (outcome,) in rows(database, ENDED)}
        inbound = rows(database, "SELECT 1 FROM calls WHERE direction = 'inbound' LIMIT 1")
        return "answered" in outcomes and bool(outcomes & FAILED) and bool(inbound)

    try:
        for line in demo.stderr:
            if line.startswith("user "):
                break
        asyncio.run(until(enough, 150))
    finally:
        demo.send_signal(signal.SIGINT)
        demo.communicate(timeout=60)
    attempts = rows(
        database,
        "SELECT lead_id, number, linkedid, dialed_at, state, outcome FROM dial_attempts",
    )
    assert len({(lead, number) for lead, number, *_ in attempts}) == len(attempts)
    # Every attempt the PBX was asked to dial names its call. One reserved by the round the
    # stop cut short was never sent: it has no call, and the next start closes it.
    sent = [a for a in attempts if a[3] is not None]
    assert sent and all(linkedid for _, _, linkedid, *_ in sent)
    unsent = [a[4:] for a in attempts if a[3] is None]
    assert all(state == "reserved" or outcome in ("unknown", "failed") for state, outcome in unsent)
    outbound = rows(database, OUTBOUND_CALLS)
    assert outbound, "no outbound call record"
    assert all(c[1:3] == c[3:5] for c in outbound)  # the attempt's campaign and lead
    assert len({c[0] for c in outbound}) == len(outbound)  # one record per attempt
    answered_inbound = rows(
        database, "SELECT 1 FROM calls WHERE direction = 'inbound' AND outcome = 'answered'"
    )
    assert answered_inbound
