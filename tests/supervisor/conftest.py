"""The agent-report day the report's API, page and browser tests read, stored."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import AgentState as S
from callcenter.calls.records import AgentStateRecord
from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_agent_states, store_calls
from tests.kpi.calls import ROLLUPS, at, call, visit

# agent1 and agent2 are in team red, agent3 in blue; "Stranger" is no user at all.
#  call  agent as the PBX named them      entered     talk
CALLS = [
    call("c1", visit("support", "09:00:00", V.ANSWERED, 5, 600, 0, "Agent 1")),  # member name
    call("c2", visit("support", "09:20:00", V.TRANSFERRED, 5, 60, 0, "PJSIP/1002")),  # agent2
    call("c3", visit("support", "09:40:00", V.ANSWERED, 5, 300, 0, "agent3")),  # username
    call("c4", visit("support", "10:00:00", V.ANSWERED, 5, 120, 0, "Stranger")),
]
#  agent        from        to          state
STATES = [
    ("Agent 1", "09:00:00", "09:10:00", S.ON_CALL),
    ("Agent 1", "09:10:00", "09:30:00", S.AVAILABLE),
    ("Agent 2", "09:00:00", "09:30:00", S.AVAILABLE),
    ("Agent 3", "09:30:00", "10:00:00", S.PAUSED),
    ("Stranger", "10:00:00", "10:05:00", S.ON_CALL),
]


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_calls(session, CALLS, after_store=ROLLUPS)
        store_agent_states(
            session,
            [
                AgentStateRecord("pbx", name, "PJSIP/x", state, at(a), at(b))
                for name, a, b, state in STATES
            ],
        )
