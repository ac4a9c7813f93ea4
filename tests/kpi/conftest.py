"""The hand-computed agent day of test_agent_report, stored (its CLI test reads it too)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import AgentState as S
from callcenter.calls.records import AgentStateRecord
from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_agent_states, store_calls
from callcenter.users.service import Role, create_user
from tests.kpi.calls import ROLLUPS, at, call, visit

#  username  team  member name  interface
PEOPLE = [
    ("ann", "red", "Ann", "PJSIP/1001"),
    ("bob", "red", "Bob", "PJSIP/1002"),
    ("cy", None, "Cy", "PJSIP/1003"),
]

#  agent name   from        to          state       reason   (Zed is no user: no team)
STATES = [
    ("Ann", "09:00:00", "09:05:00", S.AVAILABLE, None),
    ("Ann", "09:05:00", "09:05:10", S.RINGING, None),
    ("Ann", "09:05:10", "09:45:10", S.ON_CALL, None),  # 40 min across three boundaries
    ("Ann", "09:45:10", "09:46:10", S.WRAP_UP, None),
    ("Ann", "09:46:10", "10:00:00", S.PAUSED, "Lunch"),
    ("Ann", "10:00:00", "10:30:00", S.LOGGED_OUT, None),  # no row for 10:00 and 10:15
    ("Ann", "10:30:00", "10:40:00", S.AVAILABLE, None),
    ("Ann", "10:40:00", "10:41:00", S.ON_CALL, None),
    ("Ann", "10:41:00", "10:45:00", S.AVAILABLE, None),
    ("Bob", "09:00:00", "09:20:00", S.PAUSED, None),
    ("Bob", "09:20:00", "09:30:00", S.AVAILABLE, None),
    ("Zed", "09:00:00", "09:10:00", S.AVAILABLE, None),
    ("Dee", "09:00:00", "12:00:00", S.LOGGED_OUT, None),  # logged out all along: no row
]
# The same pause of Bob's, recorded once more for one queue: counted once.
PER_QUEUE_COPY = ("Bob", "09:00:00", "09:20:00", S.PAUSED, None, "billing")

#  agent as recorded   queue      entered     outcome        wait talk  hold
CALLS = [
    call("v1", visit("support", "09:04:58", V.ANSWERED, 12, 2390, 10, "Ann")),
    call("v2", visit("support", "10:39:55", V.TRANSFERRED, 5, 60, 0, "PJSIP/1001")),  # Ann
    call("v3", visit("billing", "09:20:00", V.ANSWERED, 5, 100, 0, "Cy")),
    call("v4", visit("support", "09:30:00", V.ABANDONED, 30)),  # no agent: in no row
]


# Every test runs on both: older trackers wrote a copy of a span per queue.
@pytest.fixture(params=["one row per span", "a copy per queue"])
def stored(
    request: pytest.FixtureRequest,
    sessions: sessionmaker[Session],
    fast_password_hashing: None,
) -> None:
    with sessions() as session, session.begin():
        for username, team, member, interface in PEOPLE:
            create_user(
                session, username, role=Role.AGENT, password="agent-password", team=team,
                member_name=member, interface=interface, display_name=member,
            )  # fmt: skip
        store_calls(session, CALLS, after_store=ROLLUPS)
        records = [
            AgentStateRecord("pbx", name, f"iface-{name}", state, at(a), at(b), reason)
            for name, a, b, state, reason in STATES
        ]
        if request.param == "a copy per queue":
            name, a, b, state, reason, queue = PER_QUEUE_COPY
            records.append(
                AgentStateRecord("pbx", name, f"iface-{name}", state, at(a), at(b), reason, queue)
            )
        store_agent_states(session, records)
