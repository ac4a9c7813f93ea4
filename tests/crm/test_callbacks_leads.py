"""Callbacks are leads of the callback campaign: how a lead's state reads as a callback's
status, which leads are callbacks at all, and where the campaign comes from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.campaigns.enums import LeadOrigin, LeadState
from callcenter.campaigns.models import CallList, Campaign, Lead
from callcenter.campaigns.timezones import lead_time_zone
from crm.callbacks.campaign import CallbackRules, callback_campaign
from crm.callbacks.schemas import CallbackAttempt, CallbackCreate, CallbackOut, CallbackUpdate
from crm.callbacks.service import (
    add_callback,
    get_callback,
    list_callbacks,
    numbers_owed_a_callback,
    record_attempt,
    request_callback,
    update_callback,
)
from crm.exceptions import InvalidInput, NotFound

RULES = CallbackRules(region="US", due_minutes=30, queue="callbacks", site_zone="Europe/Paris")
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def owed(session: Session, number: str, origin: LeadOrigin = LeadOrigin.API) -> Lead:
    return add_callback(session, RULES, number=number, due_at=AT, origin=origin)


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (LeadState.OPEN, "open"),
        (LeadState.RESERVED, "open"),
        (LeadState.DIALING, "open"),
        (LeadState.IN_CALL, "open"),
        (LeadState.DONE, "done"),
        (LeadState.CANCELLED, "cancelled"),
        (LeadState.EXHAUSTED, "cancelled"),
        (LeadState.BLOCKED, "cancelled"),
    ],
)
def test_a_lead_state_reads_as_a_callback_status(
    session: Session, state: LeadState, status: str
) -> None:
    lead = owed(session, "+15551230001")
    lead.state = str(state)
    session.flush()
    assert CallbackOut.model_validate(lead).status == status
    rows, total = list_callbacks(session, status=status)
    assert ([r.id for r in rows], total) == ([lead.id], 1)
    assert numbers_owed_a_callback(session, [lead.number]) == (
        {lead.number} if status == "open" else set()
    )


@pytest.mark.parametrize(
    ("origin", "shown"),
    [
        (LeadOrigin.ABANDONED, "abandoned_call"),
        (LeadOrigin.WEB, "web"),
        (LeadOrigin.AGENT, "requested"),
        (LeadOrigin.API, "requested"),
    ],
)
def test_a_lead_origin_reads_as_a_callback_origin(
    session: Session, origin: LeadOrigin, shown: str
) -> None:
    assert CallbackOut.model_validate(owed(session, "+15551230001", origin)).origin == shown


def test_the_first_callback_makes_the_campaign_and_the_rest_join_it(session: Session) -> None:
    first, second = owed(session, "+15551230001"), owed(session, "+4930123456")
    campaign = session.scalars(select(Campaign)).one()
    assert (campaign.name, campaign.kind, campaign.mode, campaign.state, campaign.queue) == (
        "Callbacks", "callback", "preview", "draft", "callbacks",
    )  # fmt: skip
    assert first.list_id == second.list_id == campaign.list_id
    assert session.get_one(CallList, campaign.list_id).source == "callbacks"
    assert (first.time_zone, second.time_zone) == ("Europe/Paris", "Europe/Berlin")


def test_a_renamed_campaign_is_still_the_callback_campaign(session: Session) -> None:
    campaign = callback_campaign(session, "support")
    campaign.name = "Owed calls"
    session.flush()
    assert owed(session, "+15551230001").list_id == campaign.list_id
    assert len(session.scalars(select(Campaign)).all()) == 1


def test_a_name_already_taken_is_not_a_clash(session: Session) -> None:
    taken = CallList(name="Callbacks", source="csv")
    session.add(taken)
    session.flush()
    session.add(Campaign(name="Callbacks", list_id=taken.id, mode="preview", queue="sales"))
    session.flush()
    campaign = callback_campaign(session, "support")
    assert (campaign.name, session.get_one(CallList, campaign.list_id).name) == (
        "Callbacks 2", "Callbacks 2",
    )  # fmt: skip


def test_leads_of_other_lists_are_not_callbacks(session: Session) -> None:
    owed(session, "+15551230001")
    other = CallList(name="Renewals", source="csv")
    session.add(other)
    session.flush()
    renewal = Lead(
        list_id=other.id, number="+15551230002", time_zone="UTC", origin="csv", state="open"
    )
    session.add(renewal)
    session.flush()
    with pytest.raises(NotFound):
        get_callback(session, renewal.id)
    assert [c.number for c in list_callbacks(session)[0]] == ["+15551230001"]
    assert numbers_owed_a_callback(session, ["+15551230002"]) == set()


def test_nothing_is_listed_before_the_first_callback(session: Session) -> None:
    assert list_callbacks(session) == ([], 0)
    with pytest.raises(NotFound):
        get_callback(session, 1)
    assert session.scalars(select(Campaign)).all() == []


def test_a_promised_time_is_not_dialled_before_and_moves_with_the_callback(
    session: Session,
) -> None:
    promised = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    lead = request_callback(
        session, CallbackCreate(number="+15551230001", due_at=promised), RULES, owner="agent1"
    )
    assert (lead.origin, lead.owner, lead.next_at, lead.due_at) == (
        "agent", "agent1", promised, promised,
    )  # fmt: skip
    later = promised + timedelta(hours=2)
    update_callback(session, lead.id, CallbackUpdate(due_at=later))
    assert (lead.next_at, lead.due_at) == (later, later)
    asap = request_callback(session, CallbackCreate(number="+15551230002"), RULES)
    assert (asap.origin, asap.next_at) == ("api", None)


def test_a_closed_callback_takes_no_more_attempts(session: Session) -> None:
    lead = owed(session, "+15551230001")
    lead.state = str(LeadState.EXHAUSTED)
    session.flush()
    with pytest.raises(InvalidInput, match="already cancelled"):
        record_attempt(session, lead.id, CallbackAttempt(reached=True), "agent1")


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+4930123456", "Europe/Berlin"),
        ("+12125551234", "America/New_York"),
        ("+15551230001", "Europe/Paris"),  # a fictional range: the site's zone
        ("+61412345678", "Australia/Lord_Howe"),  # several zones: the country's first listed
        ("not a number", "Europe/Paris"),
    ],
)
def test_the_zone_of_a_number(number: str, zone: str) -> None:
    assert lead_time_zone(number, site_zone="Europe/Paris").zone == zone
