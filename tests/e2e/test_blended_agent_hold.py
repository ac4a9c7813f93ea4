"""An agent who works a progressive campaign and an inbound queue, on the simulated PBX over
TCP AMI: while their customer's phone rings they are held, so a caller who rings in meanwhile
waits for them instead of taking them, and the customer who answers is put through (never
abandoned); the caller gets the agent once that call is over."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.models import Call
from callcenter.campaigns.dialer import HOLD_REASON
from callcenter.campaigns.enums import CampaignMode, LeadOrigin, ListSource, Outcome
from callcenter.campaigns.leads import create_lead
from callcenter.campaigns.lists import create_list
from callcenter.campaigns.models import DialAttempt
from callcenter.campaigns.schemas import CampaignCreate
from callcenter.campaigns.service import create_campaign, start_campaign
from callcenter.users.service import Role, create_user
from tests.e2e.test_dialer_on_simulated_pbx import SERVER, dialling_stack
from tests.waiting import until

CUSTOMER = "+13125550100"
CALLER = "+15551230077"
# One agent in both queues; the campaign's customer answers after 6 s of ringing, and a
# support call lasts longer than that (an agent it took would be busy when they answer).
SCENARIO = f"""
seed = 5
server = "{SERVER}"

[[queue]]
name = "renewals"
arrival_rate_per_hour = 0
wrap_up_s = 0
talk = {{ distribution = "deterministic", mean_s = 3 }}

[[queue]]
name = "support"
arrival_rate_per_hour = 0
wrap_up_s = 0
talk = {{ distribution = "deterministic", mean_s = 10 }}

[[agent]]
name = "rob"
interface = "PJSIP/2001"
queues = ["renewals", "support"]
ring = {{ distribution = "deterministic", mean_s = 0.5 }}

[outbound]
answer_probability = 1.0
busy_share = 0
congestion_share = 0
failed_share = 0
machine_share = 0
ring = {{ distribution = "deterministic", mean_s = 6 }}
talk = {{ distribution = "deterministic", mean_s = 3 }}
"""


def seed(session: Session) -> None:
    create_user(
        session,
        "rob",
        role=Role.AGENT,
        password="seven orange bicycles hum",
        team="renewals",
        interface="PJSIP/2001",
        member_name="rob",
        queues=[("renewals", 0), ("support", 0)],
    )
    call_list = create_list(session, "Renewals", ListSource.CSV)
    create_lead(session, call_list, CUSTOMER, region="US", site_zone="UTC", origin=LeadOrigin.CSV)
    campaign = create_campaign(
        session,
        CampaignCreate(
            name="Renewals",
            list_id=call_list.id,
            mode=CampaignMode.PROGRESSIVE,
            queue="renewals",
            teams=["renewals"],
            hours_start_min=0,
            hours_end_min=24 * 60,
            weekdays=[1, 2, 3, 4, 5, 6, 7],
            ring_timeout_s=20,
        ),
    )
    start_campaign(session, campaign.id)


@pytest.mark.slow
def test_a_caller_ringing_in_while_the_agents_customer_rings_waits_for_the_agent(
    database_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    with sessions() as session, session.begin():
        seed(session)

    def attempt() -> DialAttempt | None:
        with sessions() as session:
            row = session.scalars(select(DialAttempt)).first()
            if row is not None:
                session.expunge(row)
            return row

    def inbound() -> Call | None:
        with sessions() as session:
            row = session.scalars(select(Call).where(Call.caller_number == CALLER)).first()
            if row is not None:
                session.expunge(row)
            return row

    with dialling_stack(database_url, SCENARIO) as stack:
        asyncio.run(until(lambda: (a := attempt()) is not None and a.state == "dialing", 30))

        async def held() -> bool:
            rob = stack.pbx.board.queues["support"].members.get("rob")
            return rob is not None and rob.paused and rob.paused_reason == HOLD_REASON

        asyncio.run(
            until(lambda: asyncio.run_coroutine_threadsafe(held(), stack.loop).result(5), 30)
        )
        # The customer's phone rings, rob is held; a caller rings in to support, his other
        # queue. (A caller who reaches him before the hold is confirmed takes him, and the
        # customer is not dialled: tests/e2e/test_dialer.py.)
        stack.loop.call_soon_threadsafe(
            lambda: stack.pbx.originate(
                f"Local/{CALLER}@customer/n", "support", "queues", f'"Ann" <{CALLER}>', None
            )
        )

        def both_over() -> bool:
            dialled, call = attempt(), inbound()
            return bool(dialled and dialled.state == "ended" and call and call.outcome)

        asyncio.run(until(both_over, 60))
        truth = stack.truth()
    dialled = attempt()
    assert dialled is not None
    (played,) = truth
    assert played.outcome is Outcome.ANSWERED  # put through to rob, not abandoned
    assert (dialled.outcome, dialled.agent) == ("answered", "rob")
    call = inbound()
    assert call is not None and call.agent == "rob"
    # The caller waited for rob: answered only after the campaign call was over.
    assert dialled.ended_at is not None and call.answered_at is not None
    assert call.answered_at >= dialled.ended_at
