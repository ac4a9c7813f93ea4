"""The dialer on the simulated PBX over real TCP AMI: a predictive and a progressive campaign
worked at once by simulated agents, far ends that answer, are busy, ring out, fail or are
machines; every attempt ends as the PBX really played it and is one outbound call record."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.models import Call
from callcenter.campaigns.dial_records import call_outcome
from callcenter.campaigns.enums import CampaignMode, LeadOrigin, ListSource, Outcome
from callcenter.campaigns.leads import create_lead
from callcenter.campaigns.lists import create_list
from callcenter.campaigns.models import Campaign, DialAttempt, Lead
from callcenter.campaigns.schemas import CampaignCreate
from callcenter.campaigns.service import create_campaign, start_campaign
from callcenter.settings import Settings
from callcenter.users.service import Role, create_user
from sim.pbx.pbx import PbxOptions, SimulatedPbx
from sim.pbx.truth import CampaignCallTruth
from sim.scenario_file import parse_scenario
from tests.agent_ui.live_stack import WebApp, bound_socket
from tests.waiting import until

SERVER = "sim"
LEADS = 12  # per campaign
# Three simulated agents per campaign queue, answering after half a second; far ends that
# answer (a quarter of those machines), are busy, congested, unknown, or ring out.
SCENARIO = """
seed = 11
server = "sim"

[[queue]]
name = "sales"
arrival_rate_per_hour = 0
wrap_up_s = 0
talk = { distribution = "deterministic", mean_s = 3 }

[[queue]]
name = "renewals"
arrival_rate_per_hour = 0
wrap_up_s = 0
talk = { distribution = "deterministic", mean_s = 3 }

[[agent]]
name = "pam"
count = 3
queues = ["sales"]
ring = { distribution = "deterministic", mean_s = 0.5 }

[[agent]]
name = "rob"
count = 3
queues = ["renewals"]
ring = { distribution = "deterministic", mean_s = 0.5 }

[outbound]
answer_probability = 0.5
busy_share = 0.15
congestion_share = 0.05
failed_share = 0.05
machine_share = 0.25
ring = { distribution = "uniform", low_s = 0.3, high_s = 1.5 }
talk = { distribution = "deterministic", mean_s = 3 }
amd_person = { distribution = "deterministic", mean_s = 1 }
amd_machine = { distribution = "deterministic", mean_s = 1.5 }
message_s = 1
"""
# Each try ends in at most the Originate's Timeout; every outcome may be tried once more.
GAPS = {str(o): 0 for o in Outcome if o not in (Outcome.ANSWERED,)}


@dataclass
class Stack:
    """The simulated PBX and the app (CTI adapter, tracker, dialer) on the stack's loop."""

    pbx: SimulatedPbx
    loop: asyncio.AbstractEventLoop
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    def truth(self) -> list[CampaignCallTruth]:
        async def read() -> list[CampaignCallTruth]:
            return list(self.pbx.campaign_calls)

        return asyncio.run_coroutine_threadsafe(read(), self.loop).result(timeout=30)


@contextlib.contextmanager
def dialling_stack(database_url: str, scenario_text: str = SCENARIO) -> Iterator[Stack]:
    ready: Future[Stack] = Future()
    listening = bound_socket()

    async def main() -> None:
        scenario = parse_scenario(scenario_text, source="dialer_stack.toml")
        pbx = SimulatedPbx(scenario, PbxOptions(auto_arrivals=False, hold_share=0))
        await pbx.start("127.0.0.1", 0)
        settings = Settings(
            database_url=database_url,
            ami_url=f"ami://crm:crmsecret@127.0.0.1:{pbx.port}",
            pbx_name=SERVER,
            secret_key="dialer-stack-secret-of-at-least-32-chars",
            sla_check_interval_s=3600,
        )
        web = await WebApp.start(settings, listening)
        stack = Stack(pbx, asyncio.get_running_loop())
        ready.set_result(stack)
        await stack.stopped.wait()
        await web.stop()
        await pbx.close()

    def thread_main() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    with listening:
        thread = threading.Thread(target=thread_main, name="dialler-stack", daemon=True)
        thread.start()
        stack = ready.result(timeout=30)
        try:
            yield stack
        finally:
            stack.loop.call_soon_threadsafe(stack.stopped.set)
            thread.join(timeout=30)


def seed_campaign(
    session: Session, name: str, mode: CampaignMode, queue: str, agent: str, first: int, area: str
) -> int:
    """A running campaign on `queue` worked by the scenario's `agent`1..3, with LEADS leads."""
    for n in range(1, 4):
        create_user(
            session,
            f"{agent}{n}",
            role=Role.AGENT,
            password="seven orange bicycles hum",
            team=name,
            interface=f"PJSIP/{first + n}",
            member_name=f"{agent}{n}",
            queues=[(queue, 0)],
        )
    call_list = create_list(session, name, ListSource.CSV)
    for n in range(LEADS):
        number = f"+1{area}55501{n:02d}"
        create_lead(session, call_list, number, region="US", site_zone="UTC", origin=LeadOrigin.CSV)
    campaign = create_campaign(
        session,
        CampaignCreate(
            name=name,
            list_id=call_list.id,
            mode=mode,
            queue=queue,
            teams=[name],
            hours_start_min=0,
            hours_end_min=24 * 60,
            weekdays=[1, 2, 3, 4, 5, 6, 7],
            retry_gaps_min=GAPS,
            max_attempts=2,
            ring_timeout_s=5,
            detect_machines=True,
            caller_id="+12125550100",
        ),
    )
    start_campaign(session, campaign.id)
    return campaign.id


@pytest.fixture
def campaigns(sessions: sessionmaker[Session], fast_password_hashing: None) -> dict[str, int]:
    with sessions() as session, session.begin():
        # The scenario numbers agents without an interface from PJSIP/2001 on.
        return {
            "predictive": seed_campaign(
                session, "Sales", CampaignMode.PREDICTIVE, "sales", "pam", 2000, "212"
            ),
            "progressive": seed_campaign(
                session, "Renewals", CampaignMode.PROGRESSIVE, "renewals", "rob", 2003, "312"
            ),
        }


def settled(sessions: sessionmaker[Session], stack: Stack) -> Callable[[], bool]:
    """Every lead tried as often as it will be, every attempt ended, its call recorded."""

    def check() -> bool:
        with sessions() as session:
            states = set(session.scalars(select(Lead.state).where(Lead.origin == "csv")))
            attempts = list(session.scalars(select(DialAttempt)))
            linkedids = set(
                session.scalars(select(Call.linkedid).where(Call.direction == "outbound"))
            )
        return (
            not states & {"open", "reserved", "dialing"}
            and all(a.state == "ended" for a in attempts)
            and {a.linkedid for a in attempts} <= linkedids
            and len(stack.truth()) == len(attempts)
        )

    return check


@pytest.mark.slow
def test_both_campaigns_end_every_attempt_as_the_pbx_played_it(
    database_url: str, sessions: sessionmaker[Session], campaigns: dict[str, int]
) -> None:
    with dialling_stack(database_url) as stack:
        asyncio.run(until(settled(sessions, stack), 150))
        truth = stack.truth()
    with sessions() as session:
        attempts = {a.id: a for a in session.scalars(select(DialAttempt))}
        calls = list(session.scalars(select(Call).where(Call.server == SERVER)))
        lists = select(Campaign.list_id).where(Campaign.id.in_(campaigns.values()))
        leads = {
            lead.id: lead for lead in session.scalars(select(Lead).where(Lead.list_id.in_(lists)))
        }
        # The campaigns' unanswered calls are outbound from their first event: none of them
        # opened a callback as if a caller had given up.
        owed = session.scalar(
            select(func.count()).select_from(Lead).where(Lead.origin == "abandoned")
        )
    assert owed == 0
    assert len(leads) == 2 * LEADS
    # Each attempt was originated once, and its outcome is the one the PBX played.
    assert sorted(int(t.attempt) for t in truth) == sorted(attempts)
    for played in truth:
        attempt = attempts[int(played.attempt)]
        assert attempt.outcome == played.outcome, played
        assert (str(attempt.lead_id), str(attempt.campaign_id)) == (played.lead, played.campaign)
        assert attempt.linkedid == played.linkedid == attempt.action_id
        if played.hangup_cause:
            assert attempt.hangup_cause == played.hangup_cause, played
        if played.outcome is Outcome.MACHINE:
            assert attempt.amd_status == played.amd_status == "MACHINE"
    # One dial per attempt: attempt numbers 1, 2 of a lead, never one number twice.
    tries = sorted((a.lead_id, a.number) for a in attempts.values())
    assert len(set(tries)) == len(tries)
    for lead in leads.values():
        assert sorted(n for lid, n in tries if lid == lead.id) == list(range(1, lead.attempts + 1))
    # Each attempt is exactly one call record: outbound, its campaign and lead.
    by_linkedid: dict[str | None, list[Call]] = {}
    for call in calls:
        by_linkedid.setdefault(call.linkedid, []).append(call)
    for attempt in attempts.values():
        [record] = by_linkedid[attempt.linkedid]
        assert record.direction == "outbound"
        assert record.outcome == call_outcome(attempt.outcome), attempt.outcome
        assert (record.campaign_id, record.lead_id) == (attempt.campaign_id, attempt.lead_id)
    assert all(c.direction == "outbound" for c in calls)  # nothing dialled in
    # The far ends did all they can, in both campaigns.
    for mode, campaign_id in campaigns.items():
        outcomes = {a.outcome for a in attempts.values() if a.campaign_id == campaign_id}
        assert {"answered", "busy", "no_answer", "machine"} <= outcomes, (mode, outcomes)
    # Progressive dials for a reserved agent: never an abandoned call.
    progressive = [a for a in attempts.values() if a.campaign_id == campaigns["progressive"]]
    assert all(a.outcome != "abandoned" for a in progressive)
    assert all(a.agent for a in progressive if a.outcome == "answered")
