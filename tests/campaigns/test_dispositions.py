"""Dispositions: final, call back at the lead's local time, do-not-call, the call's row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.calls.models import CallDisposition
from callcenter.campaigns.dispositions import check_dispositions, dispose
from callcenter.campaigns.dnc import DialBlocked, ensure_dialable
from callcenter.campaigns.models import CallList, Campaign, DialAttempt, DncEntry, Lead
from crm.exceptions import Conflict, InvalidInput
from tests.campaigns.conftest import add_attempt, add_campaign, add_lead, add_list

# Monday 2026-06-15, 10:00 in New York, 16:00 in Berlin.
NOW = datetime(2026, 6, 15, 14, tzinfo=UTC)


def answered(
    session: Session, number: str = "+12125550100", zone: str = "America/New_York", **kw: object
) -> tuple[Campaign, Lead, DialAttempt]:
    call_list: CallList = add_list(session)
    campaign = add_campaign(session, call_list, **kw)
    lead = add_lead(session, call_list, number, time_zone=zone, state="in_call")
    attempt = add_attempt(
        session, campaign, lead, NOW, outcome="answered", server="pbx1", linkedid="1718.7"
    )
    return campaign, lead, attempt


def test_a_sale_closes_the_lead_and_writes_the_calls_disposition(session: Session) -> None:
    _, lead, attempt = answered(session)
    done = dispose(session, attempt.id, "sale", "alice", note=" two seats ", now=NOW)
    assert (done.lead_state, done.success, done.label) == ("done", True, "Sale")
    assert (lead.state, lead.closed_by, lead.disposition) == ("done", "alice", "sale")
    assert (attempt.disposition, attempt.disposed_by, attempt.note) == (
        "sale",
        "alice",
        "two seats",
    )
    row = session.scalars(select(CallDisposition)).one()
    assert (row.server, row.linkedid, row.agent, row.disposition, row.notes) == (
        "pbx1",
        "1718.7",
        "alice",
        "Sale",
        "two seats",
    )


def test_a_call_back_is_the_wall_time_in_the_leads_zone(session: Session) -> None:
    _, lead, attempt = answered(session, "+4930123456", "Europe/Berlin")
    # The agent in New York types 18:30 the lead's time: 16:30 UTC in Berlin's summer.
    done = dispose(
        session,
        attempt.id,
        "callback",
        "alice",
        callback_local=datetime(2026, 6, 15, 18, 30),
        keep_as_owner=True,
        now=NOW,
    )
    assert done.next_at == datetime(2026, 6, 15, 16, 30, tzinfo=UTC)
    assert (lead.state, lead.owner, lead.due_at) == ("open", "alice", done.next_at)


@pytest.mark.parametrize(
    ("local", "message"),
    [
        (datetime(2026, 6, 15, 15, 0), "2026-06-15 15:00 in Europe/Berlin is in the past"),
        (
            datetime(2026, 6, 15, 21, 0),
            "outside the campaign's calling hours (09:00-20:00 Mon-Sat, the lead's local time)",
        ),
        (datetime(2026, 6, 21, 10, 0), "outside the campaign's calling hours"),  # a Sunday
        # The night Berlin's clocks go from 02:00 to 03:00.
        (datetime(2027, 3, 28, 2, 30), "does not exist in Europe/Berlin"),
        (datetime(2027, 6, 17, 10, 0), "2027-06-17 10:00 in Europe/Berlin is more than a year"),
    ],
)
def test_a_call_back_in_the_past_or_outside_hours_is_refused(
    session: Session, local: datetime, message: str
) -> None:
    _, lead, attempt = answered(session, "+4930123456", "Europe/Berlin")
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        dispose(session, attempt.id, "callback", "alice", callback_local=local, now=NOW)
    assert (lead.state, attempt.disposition) == ("in_call", None)


@pytest.mark.parametrize(
    ("zone", "local"),
    [
        ("America/Chicago", datetime(9999, 12, 31, 23, 59)),  # past the calendar's end in UTC
        ("Europe/Berlin", datetime(1, 1, 1, 0, 0)),  # before its start
        ("Europe/Berlin", datetime(9999, 12, 31, 23, 59, tzinfo=UTC)),
    ],
)
def test_a_call_back_at_the_calendars_ends_is_refused(
    session: Session, zone: str, local: datetime
) -> None:
    _, lead, attempt = answered(session, "+4930123456", zone)
    with pytest.raises(InvalidInput, match="is not a date to call back on"):
        dispose(session, attempt.id, "callback", "alice", callback_local=local, now=NOW)
    assert (lead.state, attempt.disposition) == ("in_call", None)


def test_do_not_call_joins_the_campaigns_list_and_blocks_the_lead(session: Session) -> None:
    campaign, lead, attempt = answered(session)
    done = dispose(session, attempt.id, "do_not_call", "alice", now=NOW)
    assert (done.lead_state, done.dnc_added) == ("blocked", True)
    entry = session.scalars(select(DncEntry)).one()
    assert (entry.number, entry.campaign_id, entry.added_by) == (lead.number, campaign.id, "alice")
    with pytest.raises(DialBlocked, match="this campaign's do-not-call list"):
        ensure_dialable(session, lead.number, campaign.id, None)


def test_a_global_dnc_disposition_and_unknown_codes(session: Session) -> None:
    rules = check_dispositions(
        [{"code": "never", "label": "Never again", "dnc": True, "dnc_global": True, "final": 1}]
    )
    _, _, attempt = answered(session, dispositions=rules)
    with pytest.raises(InvalidInput, match="'sale' is not a disposition of this campaign"):
        dispose(session, attempt.id, "sale", "alice", now=NOW)
    dispose(session, attempt.id, "never", "alice", now=NOW)
    assert session.scalars(select(DncEntry.campaign_id)).one() is None


def test_a_disposition_cannot_change_once_the_lead_was_dialled_again(session: Session) -> None:
    campaign, lead, attempt = answered(
        session,
        dispositions=check_dispositions(
            [{"code": "think", "label": "Thinks about it"}, {"code": "no", "final": True}]
        ),
    )
    done = dispose(session, attempt.id, "think", "alice", now=NOW)
    assert done.lead_state == "open" and done.next_at is not None  # tried again tomorrow
    add_attempt(session, campaign, lead, NOW)
    with pytest.raises(Conflict, match="dialled again since attempt 1"):
        dispose(session, attempt.id, "no", "alice", now=NOW)


def test_disposition_lists_are_checked() -> None:
    with pytest.raises(InvalidInput, match="listed twice"):
        check_dispositions([{"code": "a"}, {"code": "a"}])
    with pytest.raises(InvalidInput, match="cannot also close"):
        check_dispositions([{"code": "a", "callback": True, "final": True}])
    assert check_dispositions([{"code": "no_answer_yet"}]) == [
        {"code": "no_answer_yet", "label": "No answer yet"}
    ]
