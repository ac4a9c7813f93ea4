"""A hand-counted outbound day: campaigns, their lists and leads, and one line per attempt,
stored as the dialer stores them (the outbound tests' shared data)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from callcenter.calls.models import Call
from callcenter.campaigns.models import CallList, Campaign, DialAttempt, Lead
from tests.kpi.calls import DAY, at

DISPOSITIONS = [
    {"code": "sale", "label": "Sale", "final": True, "success": True},
    {"code": "not_interested", "label": "Not interested", "final": True},
]
#  name        state      mode           queue       cap    list
CAMPAIGNS = [
    ("renewals", "running", "predictive", "renewals", 0.03, "renewals list"),
    ("survey", "stopped", "progressive", "survey", 0.02, "survey list"),
    ("callbacks", "running", "preview", "callbacks", 0.03, "callback list"),
]
#  lead  list            state       attempts
LEADS = [
    ("L1", "renewals list", "done", 1),
    ("L2", "renewals list", "done", 2),
    ("L3", "renewals list", "done", 2),
    ("L4", "renewals list", "dialing", 2),
    ("L5", "renewals list", "open", 1),
    ("L6", "renewals list", "open", 1),
    ("L7", "renewals list", "done", 2),
    ("L8", "renewals list", "open", 0),
    ("L9", "renewals list", "reserved", 0),
    ("S1", "survey list", "open", 0),
]


def yesterday(clock: str) -> datetime:
    return at(clock) - timedelta(days=1)


#  campaign  lead  n  reserved              outcome      talk  disposition   agent  dialled
ATTEMPTS = [
    ("renewals", "L7", 1, yesterday("12:00:00"), "abandoned", None, None, None, True),
    ("renewals", "L7", 2, yesterday("12:30:00"), "answered", 100, "not_interested", "bob", True),
    ("renewals", "L1", 1, at("09:00:10"), "answered", 120, "sale", "ann", True),
    ("renewals", "L2", 1, at("09:05:00"), "no_answer", None, None, None, True),
    ("renewals", "L3", 1, at("09:10:00"), "abandoned", None, None, None, True),
    ("renewals", "L4", 1, at("09:14:59"), "busy", None, None, None, True),  # 09:00's quarter
    ("renewals", "L2", 2, at("09:20:00"), "answered", 60, "not_interested", "bob", True),
    ("renewals", "L5", 1, at("09:25:00"), "machine", None, None, None, True),
    ("renewals", "L3", 2, at("09:40:00"), "answered", 30, "sale", "ann", True),
    ("renewals", "L6", 1, at("09:50:00"), "unknown", None, None, None, False),  # no dial
    ("renewals", "L4", 2, at("10:05:00"), None, None, None, None, True),  # under way
]
# The figures of renewals over the test day (00:00-24:00 UTC), counted by hand.
RENEWALS_DAY = {
    "attempts": 9,
    "dials": 8,
    "connects": 4,  # 3 answered + 1 abandoned
    "contact_rate": 0.5,
    "answered": 3,
    "abandons": 1,
    "abandon_rate": 0.25,
    "abandon_rate_24h": 0.25,  # the day's 24 hours exactly
    "abandon_cap": 0.03,
    "abandon_level": "bad",
    "talk_s": 210.0,
    "avg_talk_s": 70.0,
    "conversions": 2,
    "conversion_rate": 0.5,
    "first_tries": 6,
    "outcome_busy": 1,
    "outcome_no_answer": 1,
    "outcome_machine": 1,
    "outcome_congestion": 0,
    "outcome_failed": 0,
    "outcome_unknown": 1,
    "pending": 1,
    "dispositions": {"not_interested": 1, "sale": 2},
    "leads": 9,
    "leads_tried": 7,
    "leads_left": 4,  # L5, L6, L8 open; L9 reserved
    "list_penetration": 7 / 9,
}


def store_outbound_day(session: Session, day: datetime = DAY) -> dict[str, int]:
    """The campaigns, leads and attempts above (shifted to `day`), with a call record for
    each answered attempt; the attempts' ids by (lead, number)."""
    shift = day - DAY
    lists = {}
    for *_, list_name in CAMPAIGNS:
        lists[list_name] = CallList(name=list_name, source="csv")
        session.add(lists[list_name])
    session.flush()
    campaigns = {}
    for name, state, mode, queue, cap, list_name in CAMPAIGNS:
        campaigns[name] = Campaign(
            name=name, list_id=lists[list_name].id, mode=mode, state=state, queue=queue,
            abandon_cap=cap, dispositions=DISPOSITIONS,
        )  # fmt: skip
        session.add(campaigns[name])
    leads = {}
    for number, (key, list_name, state, attempts) in enumerate(LEADS):
        leads[key] = Lead(
            list_id=lists[list_name].id, number=f"+3120000{number:04d}", time_zone="UTC",
            state=state, attempts=attempts, origin="csv",
        )  # fmt: skip
        session.add(leads[key])
    session.flush()
    ids = {}
    for name, lead, n, reserved, outcome, talk, disposition, agent, dialled in ATTEMPTS:
        when = reserved + shift
        attempt = DialAttempt(
            campaign_id=campaigns[name].id, lead_id=leads[lead].id, number=n,
            mode=campaigns[name].mode, state="ended" if outcome else "dialing",
            agent=agent, dialed_number=leads[lead].number, reserved_at=when,
            dialed_at=when + timedelta(seconds=1) if dialled else None,
            outcome=outcome, talk_s=talk, disposition=disposition,
            linkedid=f"{lead}-{n}" if dialled else None, server="pbx" if dialled else None,
        )  # fmt: skip
        session.add(attempt)
        if dialled and outcome is not None:
            call = Call(
                server="pbx", linkedid=f"{lead}-{n}", direction="outbound",
                dialed_number=leads[lead].number, started_at=when,
                answered_at=when + timedelta(seconds=10) if talk else None,
                ended_at=when + timedelta(seconds=20 + (talk or 0)), talk_s=talk,
                outcome=outcome if outcome in ("answered", "abandoned") else "failed",
                agent=agent, campaign_id=campaigns[name].id, lead_id=leads[lead].id,
            )  # fmt: skip
            session.add(call)
        session.flush()
        ids[f"{lead}-{n}"] = attempt.id
    return ids
