"""Outbound fixtures: a session on a migrated database, and lists, campaigns, leads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import CallList, Campaign, DialAttempt, Lead
from tests.api import conftest as api

# The web app's fixtures (`client` as the agent alice, `admin_client` as the admin root),
# on the API's template database (a migrated one with those two users) for every test here.
api_template = api.api_template
database_url = api.database_url
token = api.token
admin_token = api.admin_token
settings = api.settings
app = api.app
client = api.client
admin_client = api.admin_client


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session, session.begin():
        yield session


def add_list(session: Session, name: str = "spring", source: str = "csv") -> CallList:
    """An empty call list."""
    call_list = CallList(name=name, source=source)
    session.add(call_list)
    session.flush()
    return call_list


def add_campaign(session: Session, call_list: CallList, **fields: Any) -> Campaign:
    """A draft campaign on `call_list`, 09:00-20:00 Mon-Sat unless told otherwise."""
    values: dict[str, Any] = {
        "name": f"campaign on {call_list.name}",
        "mode": "progressive",
        "queue": "sales",
        "agents": ["alice"],
        "retry_gaps_min": {},
        "dispositions": [],
        **fields,
    }
    campaign = Campaign(list_id=call_list.id, **values)
    session.add(campaign)
    session.flush()
    return campaign


def add_lead(
    session: Session,
    call_list: CallList,
    number: str,
    time_zone: str = "America/New_York",
    **fields: Any,
) -> Lead:
    """An open lead on `call_list`."""
    lead = Lead(list_id=call_list.id, number=number, time_zone=time_zone, origin="csv", **fields)
    session.add(lead)
    session.flush()
    return lead


def add_attempt(
    session: Session, campaign: Campaign, lead: Lead, at: datetime, **fields: Any
) -> DialAttempt:
    """The lead's next attempt, as the dialer reserves it (the lead counts it)."""
    lead.attempts += 1
    attempt = DialAttempt(
        campaign_id=campaign.id,
        lead_id=lead.id,
        number=lead.attempts,
        mode=campaign.mode,
        dialed_number=lead.number,
        reserved_at=at,
        **fields,
    )
    session.add(attempt)
    session.flush()
    return attempt
