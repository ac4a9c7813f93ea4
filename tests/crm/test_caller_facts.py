"""The CRM's facts for routing: the caller by any format of their number, tickets, queues."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from callcenter.queues.models import QueueNumber, ServiceQueue
from callcenter.users.service import Role, create_user
from crm.lookup.caller_facts import CrmCallerFacts
from crm.sla.models import BusinessHours, BusinessHoursSlot
from crm.tickets.models import Ticket
from tests.crm.conftest import add_customer

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def ticket(customer_id: int, status: str, assignee: str, updated: datetime) -> Ticket:
    return Ticket(
        customer_id=customer_id, subject="s", type="incident", priority="high", status=status,
        assignee=assignee, updated_at=updated, number=f"T-{assignee}",
    )  # fmt: skip


def test_the_caller_in_any_format_with_the_latest_open_ticket(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        ann = add_customer(
            session, "Ann", "+1 555 123 0001", category="vip", preferred_agent="agent1",
            industry="retail", blacklisted=False,
        )  # fmt: skip
        session.add_all(
            [
                ticket(ann.id, "open", "older", NOW - timedelta(days=2)),
                ticket(ann.id, "pending", "newest", NOW - timedelta(hours=1)),
                ticket(ann.id, "closed", "closed", NOW),
            ]
        )
        ann_id = ann.id
    facts = CrmCallerFacts(sessions, "US")
    for presented in ("+15551230001", "15551230001", "5551230001", "001 555 123 0001"):
        caller = facts.caller(presented)
        assert caller.customer_id == ann_id, presented
    assert caller.category == "vip" and caller.preferred_agent == "agent1"
    assert caller.fields["industry"] == "retail"
    assert caller.open_ticket is not None and caller.open_ticket.assignee == "newest"


def test_a_contacts_number_finds_the_customer(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        firm = add_customer(
            session, "Firm", contacts={"Bob": ["+1 555 123 0002"]}, blacklisted=True
        )
        firm_id = firm.id
    caller = CrmCallerFacts(sessions, "US").caller("+15551230002")
    assert (caller.customer_id, caller.blacklisted, caller.open_ticket) == (firm_id, True, None)


def test_a_shared_number_is_ambiguous_and_an_unknown_one_is_nobody(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        add_customer(session, "One", "+1 555 123 0003", blacklisted=True)
        add_customer(session, "Two", "+1 555 123 0003")
    facts = CrmCallerFacts(sessions, "US")
    shared = facts.caller("+15551230003")
    assert (shared.customer_id, shared.ambiguous, shared.blacklisted) == (None, True, False)
    assert facts.caller("+15559999999").customer_id is None
    assert facts.caller("anonymous").customer_id is None


def test_the_directory_has_queues_members_skills_and_calendars(
    sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    with sessions.begin() as session:
        create_user(
            session, "agent1", role=Role.AGENT, password="correct horse battery",
            interface="PJSIP/1001", member_name="Agent One", queues=[("support", 3)],
            skills={"lang:de": 2, "billing": 1},
        )  # fmt: skip
        hours = BusinessHours(name="office", timezone="UTC")
        hours.slots = [BusinessHoursSlot(weekday=2, opens=time(9), closes=time(17))]
        session.add(hours)
        session.flush()
        hours_id = hours.id
        session.add(
            ServiceQueue(
                name="support", display_name="Support", business_hours_id=hours_id,
                numbers=[QueueNumber(number="+4930100")],
            )
        )  # fmt: skip
    directory = CrmCallerFacts(sessions, "US").directory()
    found = directory.queue_for_number("004930100")
    assert found is not None and found.name == "support"
    assert directory.is_open(found, NOW) and not directory.is_open(found, NOW.replace(hour=18))
    member = directory.member("support", "agent1")
    assert member is not None and (member.interface, member.extension, member.penalty) == (
        "PJSIP/1001", "1001", 3,
    )  # fmt: skip
    assert directory.skills["agent1"] == {"lang:de": 2, "billing": 1}
    assert directory.hours[hours_id].is_open(NOW)
    assert not directory.hours[hours_id].is_open(NOW.replace(hour=18))
