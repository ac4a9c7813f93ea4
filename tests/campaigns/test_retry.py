"""After an attempt: retry gaps moved into calling hours, maximum attempts, answered leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from callcenter.campaigns.retry import DEFAULT_GAPS_MIN, after_attempt
from tests.campaigns.conftest import add_attempt, add_campaign, add_lead, add_list

# Monday 2026-06-15, 10:00 in New York.
NOW = datetime(2026, 6, 15, 14, tzinfo=UTC)


def test_the_gap_of_each_outcome_is_kept(session: Session) -> None:
    call_list = add_list(session)
    campaign = add_campaign(
        session, call_list, retry_gaps_min={"busy": 5, "no_answer": 90, "machine": 180}
    )
    for outcome, gap in (("busy", 5), ("no_answer", 90), ("machine", 180), ("failed", 60)):
        lead = add_lead(session, call_list, f"+1212555{gap:04d}")
        attempt = add_attempt(session, campaign, lead, NOW, outcome=outcome)
        after_attempt(session, campaign, lead, attempt, NOW)
        assert (lead.state, lead.next_at, lead.last_outcome) == (
            "open",
            NOW + timedelta(minutes=gap),
            outcome,
        )
    assert DEFAULT_GAPS_MIN["failed"] == 60


def test_a_gap_ending_after_hours_waits_for_the_next_window_in_the_leads_zone(
    session: Session,
) -> None:
    call_list = add_list(session)
    campaign = add_campaign(session, call_list, retry_gaps_min={"no_answer": 240})
    evening = datetime(2026, 6, 15, 22, tzinfo=UTC)  # 18:00 in New York, 00:00 in Berlin
    new_york = add_lead(session, call_list, "+12125550100")
    berlin = add_lead(session, call_list, "+4930123456", time_zone="Europe/Berlin")
    for lead in (new_york, berlin):
        attempt = add_attempt(session, campaign, lead, evening, outcome="no_answer")
        after_attempt(session, campaign, lead, attempt, evening)
    assert new_york.next_at == datetime(2026, 6, 16, 13, tzinfo=UTC)  # 09:00 EDT
    assert berlin.next_at == datetime(2026, 6, 16, 7, tzinfo=UTC)  # 09:00 CEST


def test_the_last_allowed_attempt_exhausts_the_lead(session: Session) -> None:
    call_list = add_list(session)
    campaign = add_campaign(session, call_list, max_attempts=3)
    lead = add_lead(session, call_list, "+12125550100")
    states = []
    for _ in range(3):
        attempt = add_attempt(session, campaign, lead, NOW, outcome="busy")
        after_attempt(session, campaign, lead, attempt, NOW)
        states.append(lead.state)
    assert states == ["open", "open", "exhausted"]
    assert (lead.attempts, lead.next_at, lead.closed_at) == (3, None, NOW)


def test_an_answered_lead_stays_with_the_agent_and_settled_leads_stay(session: Session) -> None:
    call_list = add_list(session)
    campaign = add_campaign(session, call_list)
    lead = add_lead(session, call_list, "+12125550100", owner="alice")
    attempt = add_attempt(session, campaign, lead, NOW, outcome="answered")
    after_attempt(session, campaign, lead, attempt, NOW)
    assert lead.state == "in_call"
    blocked = add_lead(session, call_list, "+12125550101", state="blocked")
    attempt = add_attempt(session, campaign, blocked, NOW, outcome="busy")
    after_attempt(session, campaign, blocked, attempt, NOW)
    assert (blocked.state, blocked.next_at) == ("blocked", None)


def test_a_preview_hold_ends_but_a_kept_call_back_keeps_its_agent(session: Session) -> None:
    call_list = add_list(session)
    campaign = add_campaign(session, call_list, mode="preview")
    preview = add_lead(session, call_list, "+12125550100", owner="alice")
    kept = add_lead(session, call_list, "+12125550101", owner="alice", disposition="callback")
    for lead in (preview, kept):
        attempt = add_attempt(session, campaign, lead, NOW, outcome="no_answer")
        after_attempt(session, campaign, lead, attempt, NOW)
    assert (preview.owner, kept.owner) == (None, "alice")


def test_a_disposition_saved_before_the_call_ended_is_kept(session: Session) -> None:
    from callcenter.campaigns.dispositions import dispose

    call_list = add_list(session)
    campaign = add_campaign(session, call_list)
    lead = add_lead(session, call_list, "+12125550100", state="in_call")
    attempt = add_attempt(session, campaign, lead, NOW)
    dispose(
        session,
        attempt.id,
        "callback",
        "alice",
        callback_local=datetime(2026, 6, 16, 11, 0),
        now=NOW,
    )
    attempt.outcome = "answered"
    after_attempt(session, campaign, lead, attempt, NOW)
    assert (lead.state, lead.next_at) == ("open", datetime(2026, 6, 16, 15, tzinfo=UTC))
