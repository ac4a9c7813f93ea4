"""Agent-state intervals from the agent_states capture, against its queue_log."""

from __future__ import annotations

import pytest

from callcenter.calls.records import AgentState
from callcenter.events import AgentStateChanged
from tests.cti.captures import replay_capture
from tests.cti.tables import table

# Times are queue_log's (whole seconds): ADDMEMBER, PAUSE/PAUSEALL, UNPAUSE, REMOVEMEMBER.
# Alice is first seen in the opening QueueStatus answer, so her first interval's start is
# only when the adapter learnt of it: flagged.
INTERVALS = table(
    """
    agent | state     | reason   | start      | end        | data_gap
    Alice | available |          | 1795441341 | 1795441345 | yes
    Carol | available |          | 1795441342 | 1795441344 | no
    Carol | paused    | Lunch    | 1795441344 | 1795441350 | no
    Alice | paused    | Training | 1795441345 | 1795441351 | no
    Carol | available |          | 1795441350 | 1795441354 | no
    Carol | paused    | NotReady | 1795441354 | 1795441356 | no
    """
)


def _closed_in_stream() -> list[tuple[str, str, str, int, int, str]]:
    replayed = replay_capture("agent_states")
    last_event = max(s.ended_at for s in replayed.states)
    return [
        (
            s.agent,
            s.state.value,
            s.reason or "",
            int(s.started_at.timestamp()),
            int(s.ended_at.timestamp()),
            "yes" if s.data_gap else "no",
        )
        for s in replayed.states
        if not (s.data_gap and s.ended_at == last_event)  # cut by the end of the capture
    ]


def test_intervals_follow_queue_log() -> None:
    expected = [
        (r["agent"], r["state"], r["reason"], int(r["start"]), int(r["end"]), r["data_gap"])
        for r in INTERVALS
    ]
    assert sorted(_closed_in_stream()) == sorted(expected)


def test_intervals_cut_by_the_end_of_the_capture_are_flagged() -> None:
    replayed = replay_capture("agent_states")
    last_event = max(s.ended_at for s in replayed.states)
    # Carol's last interval ends with her removal, the capture's last timed event.
    cut = [s for s in replayed.states if s.ended_at == last_event and s.agent != "Carol"]
    assert len(cut) == 11  # every member the final QueueStatus lists
    assert all(s.data_gap for s in cut)


def test_carol_ends_logged_out_after_leaving_both_queues() -> None:
    changes = [
        e
        for e in replay_capture("agent_states").events
        if isinstance(e, AgentStateChanged) and e.agent == "Carol"
    ]
    # A membership change alone (Carol joins sales) is published too, with the same state.
    assert [(c.state, c.queues) for c in changes] == [
        (AgentState.AVAILABLE, ("support",)),
        (AgentState.PAUSED, ("support",)),
        (AgentState.AVAILABLE, ("support",)),
        (AgentState.AVAILABLE, ("sales", "support")),
        (AgentState.PAUSED, ("sales",)),
        (AgentState.LOGGED_OUT, ()),
    ]
    assert changes[-1].at.timestamp() == pytest.approx(1795441356.33, abs=0.01)


RINGING = table(
    """
    scenario       | agent | states
    answered       | Alice | ringing on_call available
    ring_no_answer | Alice | ringing available
    ring_no_answer | Bob   | ringing on_call available
    queue_timeout  | Bob   | ringing available
    outbound       | Alice | on_call available
    """
)


@pytest.mark.parametrize("row", RINGING, ids=lambda r: f"{r['scenario']}-{r['agent']}")
def test_ringing_and_on_call_follow_the_queue_calls(row: dict[str, str]) -> None:
    changes = [
        e.state.value
        for e in replay_capture(row["scenario"]).events
        if isinstance(e, AgentStateChanged) and e.agent == row["agent"]
    ]
    assert " ".join(changes) == row["states"]
