"""The demo's data on a fresh database, with today's calls: what every page is checked and
shown with (the accessibility test and `make screenshots`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.demo_data import seed_demo
from agent_ui.demo_outbound import CAMPAIGN_NAME
from callcenter.calls.records import (
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)
from callcenter.calls.service import store_calls
from callcenter.campaigns.enums import LeadOrigin
from callcenter.campaigns.models import Campaign, DialAttempt, Lead
from callcenter.queues.records import QueueFields, get_queue, update_queue
from callcenter.users.models import User
from crm.callbacks.campaign import CallbackRules
from crm.callbacks.service import add_callback
from crm.customers.models import Customer
from crm.kb.models import KBArticle
from crm.sla.models import BusinessHours
from crm.tickets.models import Ticket
from crm.tickets.schemas import CallRef
from crm.tickets.service import add_comment, link_call
from kpi.rollups.keeping import rollup_listener
from kpi.thresholds import ThresholdBook

PASSWORD = "showcase-password-for-every-user"
SERVER = "sim"  # the live stack's PBX name
# (queue, member who answered or None for abandoned, wait s, talk s, caller)
DAY_OF_CALLS = [
    ("support", "agent1", 8, 240, "+15551230001"),
    ("support", "agent1", 25, 410, "+15551230002"),
    ("billing", "billing-bot", 4, 180, "+15551230003"),
    ("support", None, 75, None, "+15551230005"),
    ("support", "agent1", 12, 95, "+15551230006"),
    ("billing", "billing-bot", 31, 300, "+15551230007"),
    ("support", "agent1", 6, 520, "+15551230001"),
    ("billing", None, 40, None, "+15551230008"),
]


@dataclass(frozen=True)
class Showcase:
    """Ids and a period the registry's paths are filled in with."""

    ticket: int
    customer: int
    agent: int  # agent1's user id
    team: int  # agent1's team
    hours: int  # the demo's business hours
    article: int  # a knowledge-base article
    day_from: str
    day_to: str
    campaign: int  # the demo's renewals campaign
    call_list: int  # its call list

    def fill(self, path: str) -> str:
        return path.format(
            ticket=self.ticket,
            customer=self.customer,
            agent=self.agent,
            team=self.team,
            hours=self.hours,
            article=self.article,
            day_from=quote(self.day_from, safe=""),
            day_to=quote(self.day_to, safe=""),
            campaign=self.campaign,
            call_list=self.call_list,
        )


def todays_calls(now: datetime) -> list[CallRecord]:
    """Calls spread over the last hours of today (never before midnight UTC), ended by now."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = max(midnight, now - timedelta(hours=3))
    step = (now - first - timedelta(minutes=15)) / len(DAY_OF_CALLS)
    records = []
    for index, (queue, agent, wait, talk, number) in enumerate(DAY_OF_CALLS):
        entered = (first + step * index).replace(microsecond=0)
        linkedid = f"{int(entered.timestamp())}.{index + 1}"  # as Asterisk numbers them
        ended = entered + timedelta(seconds=wait + (talk or 0))
        visit = QueueVisitRecord(
            queue=queue,
            uniqueid=linkedid,
            entered_at=entered,
            outcome=VisitOutcome.ANSWERED if agent else VisitOutcome.ABANDONED,
            ended_at=ended,
            wait_s=wait,
            talk_s=talk,
            hold_s=0.0,
            agent=agent,
            wrap_up_s=20.0 if agent else None,
        )
        records.append(
            CallRecord(
                server=SERVER,
                linkedid=linkedid,
                direction=Direction.INBOUND,
                started_at=entered,
                ended_at=ended + timedelta(seconds=1),
                outcome=CallOutcome.ANSWERED if agent else CallOutcome.ABANDONED,
                caller_number=number,
                answered_at=entered + timedelta(seconds=wait) if agent else None,
                talk_s=talk,
                agent=agent,
                wrap_up_s=visit.wrap_up_s,
                queue_visits=(visit,),
            )
        )
    return records


# The renewals campaign's morning so far: (outcome, disposition, talk seconds), one attempt each
# on its first leads.
RENEWAL_ATTEMPTS = [
    ("answered", "sale", 260),
    ("no_answer", None, None),
    ("answered", "not_interested", 95),
    ("busy", None, None),
    ("machine", None, None),
    ("answered", "callback", 140),
    ("no_answer", None, None),
    ("no_answer", None, None),
    ("answered", "sale", 310),
    ("failed", None, None),
    ("no_answer", None, None),
    ("answered", "not_interested", 70),
]


def renewal_attempts(session: Session, campaign: Campaign, now: datetime) -> None:
    """Ended attempts of the campaign over the last hours of today, with their dispositions."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = max(midnight, now - timedelta(hours=3))
    step = (now - first - timedelta(minutes=10)) / len(RENEWAL_ATTEMPTS)
    leads = session.scalars(
        select(Lead)
        .where(Lead.list_id == campaign.list_id, Lead.state == "open")
        .order_by(Lead.id)
        .limit(len(RENEWAL_ATTEMPTS))
    ).all()
    for index, (lead, (outcome, disposition, talk)) in enumerate(
        zip(leads, RENEWAL_ATTEMPTS, strict=True)
    ):
        dialled = (first + step * index).replace(microsecond=0)
        answered = dialled + timedelta(seconds=9) if talk else None
        ended = dialled + timedelta(seconds=9 + (talk or 21))
        session.add(
            DialAttempt(
                campaign_id=campaign.id,
                lead_id=lead.id,
                number=1,
                mode=campaign.mode,
                state="ended",
                agent=f"caller{index % 4 + 1}" if talk else None,
                dialed_number=lead.number,
                action_id=f"cc-dial-showcase-{index}",
                server=SERVER,
                linkedid=f"cc-dial-showcase-{index}",
                reserved_at=dialled,
                dialed_at=dialled,
                answered_at=answered,
                connected_at=answered if talk else None,
                ended_at=ended,
                outcome=outcome,
                talk_s=talk,
                disposition=disposition,
                disposed_at=ended + timedelta(seconds=20) if disposition else None,
                disposed_by=f"caller{index % 4 + 1}" if disposition else None,
            )
        )
        lead.attempts, lead.last_outcome, lead.last_attempt_at = 1, outcome, dialled
        lead.disposition = disposition
        if disposition in ("sale", "not_interested"):
            lead.state, lead.closed_at = "done", ended
        else:
            lead.next_at = ended + timedelta(hours=1)


def seed_showcase(sessions: sessionmaker[Session]) -> Showcase:
    """The demo's users (one password), customers, tickets and articles; today's calls, a
    call and comments on Ann's ticket, callbacks due and overdue, two queue records, and the
    renewals campaign's attempts so far."""
    now = datetime.now(UTC).replace(microsecond=0)
    with sessions() as session, session.begin():
        seed_demo(session, "US", PASSWORD)
        calls = todays_calls(now)
        store_calls(session, calls, after_store=(rollup_listener(ThresholdBook()),))
        ann = _customer(session, "C-1001")
        ticket = session.scalars(select(Ticket).where(Ticket.customer_id == ann)).one()
        link_call(session, ticket.id, CallRef(server=SERVER, linkedid=calls[0].linkedid), "agent1")
        add_comment(session, ticket.id, "agent1", "Credit note asked from billing.", public=False)
        add_comment(session, ticket.id, "agent1", "We are correcting the invoice.", public=True)
        _callback(session, ann, "+15551230001", now + timedelta(minutes=40), "Invoice fixed?")
        _callback(
            session,
            _customer(session, "C-1005"),
            "+15551230005",
            now - timedelta(minutes=20),
            "Missed while waiting",
        )
        office = session.scalars(select(BusinessHours.id)).first()
        # The demo seeds both queues with its numbers; the pictures show a fuller record.
        update_queue(session, get_queue(session, "support"), QueueFields("Support", 20, 0.8,
                     numbers=("5000",), business_hours_id=office, overflow="billing"))  # fmt: skip
        update_queue(session, get_queue(session, "billing"),
                     QueueFields("Billing", open=False, numbers=("5001",)))  # fmt: skip
        first = now.replace(hour=0, minute=0, second=0)
        agent1 = session.scalars(select(User).where(User.username == "agent1")).one()
        renewals = session.scalars(select(Campaign).where(Campaign.name == CAMPAIGN_NAME)).one()
        renewal_attempts(session, renewals, now)
        assert agent1.team_id is not None
        return Showcase(
            ticket=ticket.id,
            customer=ann,
            agent=agent1.id,
            team=agent1.team_id,
            hours=session.scalars(select(BusinessHours.id)).first() or 0,
            article=session.scalars(select(KBArticle.id)).first() or 0,
            day_from=first.isoformat(),
            day_to=(first + timedelta(days=1)).isoformat(),
            campaign=renewals.id,
            call_list=renewals.list_id,
        )


def _customer(session: Session, code: str) -> int:
    return session.scalars(select(Customer.id).where(Customer.code == code)).one()


def _callback(session: Session, customer: int, number: str, due: datetime, note: str) -> Lead:
    return add_callback(
        session,
        CallbackRules(region="US", due_minutes=30, queue="support", site_zone="UTC"),
        number=number,
        customer_id=customer,
        due_at=due,
        origin=LeadOrigin.API,
        queue="support",
        note=note,
    )
