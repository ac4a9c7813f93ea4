"""Demo outbound work: a renewals call list, its predictive campaign, do-not-call and callbacks.

The renewals campaign runs beside inbound: its four callers (sim/scenarios/demo.toml
`caller1`..`caller4`, team "renewals") sign in to the `renewals` queue only, so the inbound
queues keep their own agents. The leads live in three parts of the world so that some are
inside the campaign's calling hours (08:00-21:00 in the lead's own time) at any hour of the
day; their numbers are in the ranges set aside for fiction (NANP 555-01xx, Ofcom's
07700 900xxx, ACMA's 02 5550 xxxx).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.campaigns.dnc import add_number
from callcenter.campaigns.enums import CampaignMode, LeadOrigin, ListSource
from callcenter.campaigns.leads import create_lead
from callcenter.campaigns.lists import create_list, list_by_name
from callcenter.campaigns.models import CallList, Campaign
from callcenter.campaigns.schemas import CampaignCreate
from callcenter.campaigns.service import create_campaign, start_campaign
from callcenter.db import utc_now
from crm.callbacks.campaign import callback_campaign
from crm.customers.models import Customer

LIST_NAME = "Renewals (demo)"
CAMPAIGN_NAME = "Renewals"
QUEUE = "renewals"
TEAM = "renewals"
CALLERS = tuple(f"caller{n}" for n in range(1, 5))
CALLER_ID = "+12125550100"
# Numbers for fiction: (prefix, first, count, zone or None for the number's own).
NUMBER_BLOCKS = (
    ("+12125550", 100, 25, None),  # New York, 555-0100..0124
    ("+13125550", 100, 25, None),  # Chicago
    ("+13035550", 100, 25, None),  # Denver
    ("+14155550", 100, 25, None),  # San Francisco
    ("+447700900", 100, 100, "Europe/London"),  # the number names no zone by itself
    ("+6125550", 1000, 100, None),  # Sydney
)
# Demo customers who are on the list too (their own records show on the agent's card).
CUSTOMER_LEADS = ("C-1002", "C-1003", "C-1006", "C-1008")
NO_CALLS_CUSTOMER = "C-1008"  # Hank asked not to be called: his lead is blocked
GLOBAL_DNC = "+447700900150"  # on the global do-not-call list: its lead is blocked too
FIRST_NAMES = ("Alex", "Sam", "Jo", "Kim", "Lee", "Max", "Noa", "Ira", "Ola", "Ren", "Tia", "Uma")
LAST_NAMES = ("Baker", "Chen", "Diaz", "Evans", "Ford", "Grant", "Hill", "Ito", "Khan", "Lopez")
PLANS = ("basic", "standard", "premium")
SCRIPT = (
    "Hello {name}, this is {agent} from the service desk. Your {plan} plan renews on "
    "{renews}: may I walk you through this year's offer?"
)
# Callbacks the center owes (web requests and an agent's promise), worked in preview mode.
CALLBACKS = (
    ("+13125550190", LeadOrigin.WEB, "Asked on the web site about an invoice", 30),
    ("+14155550191", LeadOrigin.WEB, "Wants to change plan", 90),
    ("+447700900191", LeadOrigin.AGENT, "Promised a call back with the repair date", 240),
)
CALLBACK_AGENTS = ["agent1"]


def seed_outbound(session: Session, region: str, site_zone: str) -> None:
    """Add the demo's outbound work once: the list, the running campaign, the do-not-call
    entries and the callback campaign with a few callbacks owed."""
    if list_by_name(session, LIST_NAME) is not None:
        return
    now = utc_now()
    add_number(session, GLOBAL_DNC, region, reason="asked not to be called", added_by="admin")
    hank = session.scalar(select(Customer).where(Customer.code == NO_CALLS_CUSTOMER))
    if hank is not None:
        hank.do_not_call = True
    call_list = create_list(session, LIST_NAME, ListSource.CSV, created_by="admin")
    _seed_leads(session, call_list, region, site_zone, now)
    campaign = create_campaign(
        session,
        CampaignCreate(
            name=CAMPAIGN_NAME,
            list_id=call_list.id,
            mode=CampaignMode.PREDICTIVE,
            queue=QUEUE,
            teams=[TEAM],
            hours_start_min=8 * 60,
            hours_end_min=21 * 60,
            weekdays=[1, 2, 3, 4, 5, 6, 7],
            max_attempts=3,
            script=SCRIPT,
            caller_id=CALLER_ID,
            detect_machines=True,
        ),
    )
    start_campaign(session, campaign.id, now)
    _seed_callbacks(session, region, site_zone, now)


def _seed_leads(
    session: Session, call_list: CallList, region: str, site_zone: str, now: datetime
) -> None:
    draw = random.Random(7)
    for prefix, first, count, zone in NUMBER_BLOCKS:
        for n in range(first, first + count):
            name = f"{draw.choice(FIRST_NAMES)} {draw.choice(LAST_NAMES)}"
            create_lead(
                session,
                call_list,
                f"{prefix}{n}",
                region=region,
                site_zone=site_zone,
                origin=LeadOrigin.CSV,
                name=name,
                time_zone=zone,
                fields=_fields(draw, now),
            )
    for code in CUSTOMER_LEADS:
        customer = session.scalar(select(Customer).where(Customer.code == code))
        if customer is None or not customer.phones:
            continue
        create_lead(
            session,
            call_list,
            customer.phones[0].e164,
            region=region,
            site_zone=site_zone,
            origin=LeadOrigin.CRM,
            customer_id=customer.id,
            time_zone="America/New_York",
            fields=_fields(draw, now),
        )


def _fields(draw: random.Random, now: datetime) -> dict[str, str]:
    renews = now.date() + timedelta(days=draw.randint(7, 60))
    return {"plan": draw.choice(PLANS), "renews": renews.isoformat()}


def _seed_callbacks(session: Session, region: str, site_zone: str, now: datetime) -> None:
    campaign: Campaign = callback_campaign(session, "support")
    call_list = session.get(CallList, campaign.list_id)
    assert call_list is not None
    for number, origin, note, due_min in CALLBACKS:
        create_lead(
            session,
            call_list,
            number,
            region=region,
            site_zone=site_zone,
            origin=origin,
            note=note,
            due_at=now + timedelta(minutes=due_min),
            owner="agent1" if origin == LeadOrigin.AGENT else None,
            queue="support",
        )
    if not campaign.agents and not campaign.teams:
        campaign.agents = list(CALLBACK_AGENTS)
        campaign.hours_start_min, campaign.hours_end_min = 0, 24 * 60
        campaign.weekdays = [1, 2, 3, 4, 5, 6, 7]
        start_campaign(session, campaign.id, now)
