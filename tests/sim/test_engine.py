"""The event engine on scripted calls: what happens, in order, and the records it writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from callcenter.calls.records import CallOutcome, Direction, VisitOutcome
from sim.engine import Engine
from sim.scenario_file import load_scenario
from tests.sim.scripted import center

ONE_AGENT = """\
start = 2026-01-05T08:00:00Z
[[queue]]
name = "support"
short_abandon_s = 0
talk = { distribution = "deterministic", mean_s = 60 }
patience = { distribution = "deterministic", mean_s = 8 }
[[agent]]
name = "Alice"
interface = "PJSIP/1001"
queues = ["support"]
ring = { distribution = "deterministic", mean_s = 2 }
"""
START = datetime(2026, 1, 5, 8, tzinfo=UTC)


def test_an_answered_call_rings_then_talks_then_ends() -> None:
    engine, seen = center(ONE_AGENT)
    call = engine.inject_call("support", "+15551230001", "Ann Customer")
    engine.run_until(1000)
    assert seen.calls() == [
        (0.0, "arrived", 0),
        (0.0, "joined", 0, "support", 1),
        (0.0, "ringing", 0, "Alice"),
        (2.0, "answered", 0, "Alice"),
        (62.0, "ended", 0, "caller"),
    ]
    (record,) = seen.records
    assert (record.outcome, record.agent, record.talk_s) == (CallOutcome.ANSWERED, "Alice", 60.0)
    assert (record.caller_number, record.caller_name) == ("+15551230001", "Ann Customer")
    assert record.started_at == START and record.answered_at == START + timedelta(seconds=2)
    (visit,) = record.queue_visits
    assert (visit.queue, visit.outcome, visit.agent) == ("support", VisitOutcome.ANSWERED, "Alice")
    assert (visit.wait_s, visit.ring_s, visit.talk_s, visit.hangup_by) == (2.0, 2.0, 60.0, "caller")
    assert visit.uniqueid == record.linkedid == call.linkedid


def test_agent_states_follow_the_call() -> None:
    engine, seen = center(ONE_AGENT.replace('name = "support"', 'name = "support"\nwrap_up_s = 5'))
    engine.inject_call("support")
    engine.run_until(1000)
    states = [(row[0], row[3]) for row in seen.rows if row[1] == "state"]
    assert states == [
        (0.0, "available"),  # logged in at the start
        (0.0, "ringing"),
        (2.0, "on_call"),
        (62.0, "wrap_up"),
        (67.0, "available"),
    ]


def test_a_second_caller_abandons_while_the_only_agent_is_busy() -> None:
    engine, seen = center(ONE_AGENT)
    engine.inject_call("support")
    engine.run_until(10.0)
    engine.inject_call("support")
    engine.run_until(1000)
    assert seen.calls("abandoned") == [(18.0, "abandoned", 1, "support")]
    abandoned = seen.records[0]
    assert abandoned.outcome is CallOutcome.ABANDONED and abandoned.agent is None
    (visit,) = abandoned.queue_visits
    assert (visit.outcome, visit.wait_s, visit.position, visit.exit_position) == (
        VisitOutcome.ABANDONED, 8.0, 1, 1,
    )  # fmt: skip
    assert visit.hangup_by == "caller"


def test_the_queue_times_out_when_nobody_answers() -> None:
    text = ONE_AGENT.replace("patience = ", "timeout_s = 12\nmember_timeout_s = 8\nretry_s = 1\n#")
    text = text.replace(
        'queues = ["support"]', 'queues = ["support"]\nring_no_answer_probability = 1'
    )
    engine, seen = center(text)
    engine.inject_call("support")
    engine.run_until(1000)
    assert seen.calls() == [
        (0.0, "arrived", 0),
        (0.0, "joined", 0, "support", 1),
        (0.0, "ringing", 0, "Alice"),
        (8.0, "ring-no-answer", 0, "Alice"),
        (9.0, "ringing", 0, "Alice"),
        (12.0, "timeout", 0, "support"),
        (12.0, "ring-cancelled", 0, "Alice"),
        (12.0, "ended", 0, None),
    ]
    (visit,) = seen.records[0].queue_visits
    assert (visit.outcome, visit.wait_s, visit.ring_no_answer) == (VisitOutcome.TIMEOUT, 12.0, 1)
    assert seen.records[0].outcome is CallOutcome.TIMEOUT


RING_NO_ANSWER = """\
[[queue]]
name = "support"
strategy = "rrmemory"
member_timeout_s = 8
retry_s = 1
talk = { distribution = "deterministic", mean_s = 5 }
[[agent]]
name = "Alice"
queues = ["support"]
ring_no_answer_probability = 1
[[agent]]
name = "Bob"
queues = ["support"]
ring = { distribution = "deterministic", mean_s = 2 }
"""


def test_after_ring_no_answer_the_next_member_gets_the_call() -> None:
    engine, seen = center(RING_NO_ANSWER)
    engine.inject_call("support")
    engine.run_until(100)
    assert seen.calls("ringing", "ring-no-answer", "answered") == [
        (0.0, "ringing", 0, "Alice"),
        (8.0, "ring-no-answer", 0, "Alice"),
        (9.0, "ringing", 0, "Bob"),
        (11.0, "answered", 0, "Bob"),
    ]
    (visit,) = seen.records[0].queue_visits
    assert (visit.agent, visit.wait_s, visit.ring_s, visit.ring_no_answer) == ("Bob", 11, 2, 1)


def test_ringall_rings_everyone_and_the_fastest_answers() -> None:
    text = RING_NO_ANSWER.replace("rrmemory", "ringall").replace(
        "ring_no_answer_probability = 1", 'ring = { distribution = "deterministic", mean_s = 3 }'
    )
    engine, seen = center(text)
    engine.inject_call("support")
    engine.run_until(100)
    assert seen.calls("ringing", "ring-cancelled", "answered") == [
        (0.0, "ringing", 0, "Alice"),
        (0.0, "ringing", 0, "Bob"),
        (2.0, "answered", 0, "Bob"),
        (2.0, "ring-cancelled", 0, "Alice"),
    ]


TRANSFER = """\
[[queue]]
name = "support"
talk = { distribution = "deterministic", mean_s = 30 }
transfer = { probability = 1, queue = "billing" }
[[queue]]
name = "billing"
talk = { distribution = "deterministic", mean_s = 20 }
[[agent]]
name = "Alice"
queues = ["support"]
[[agent]]
name = "Ivan"
queues = ["billing"]
"""


def test_a_blind_transfer_gives_one_visit_per_queue() -> None:
    engine, seen = center(TRANSFER)
    engine.inject_call("support")
    engine.run_until(100)
    assert seen.calls("answered", "transferred", "joined", "ended") == [
        (0.0, "joined", 0, "support", 1),
        (0.0, "answered", 0, "Alice"),
        (30.0, "transferred", 0, "billing@queues"),
        (30.0, "joined", 0, "billing", 1),
        (30.0, "answered", 0, "Ivan"),
        (50.0, "ended", 0, "caller"),
    ]
    (record,) = seen.records
    first, second = record.queue_visits
    assert (first.outcome, first.agent, first.talk_s) == (VisitOutcome.TRANSFERRED, "Alice", 30)
    assert (first.transfer_target, first.hangup_by) == ("billing@queues", None)
    assert (second.outcome, second.agent, second.talk_s) == (VisitOutcome.ANSWERED, "Ivan", 20)
    assert (record.outcome, record.agent, record.talk_s) == (CallOutcome.ANSWERED, "Ivan", 50)
    assert record.transfer_target == "billing@queues"


PAUSES_AND_SHIFTS = """\
start = 2026-01-05T08:00:00Z
[[queue]]
name = "support"
talk = { distribution = "deterministic", mean_s = 60 }
[[agent]]
name = "Alice"
queues = ["support"]
pauses = [{ reason = "Break", at = "08:00", duration_s = 300 }]
[[agent]]
name = "Bob"
queues = ["support"]
shift = { start = "08:10", end = "09:00" }
"""


def test_a_paused_agent_gets_no_call_until_the_pause_ends() -> None:
    engine, seen = center(PAUSES_AND_SHIFTS)
    engine.inject_call("support")
    engine.run_until(1000)
    assert (0.0, "paused", "Alice", "support", "Break") in seen.rows
    assert (0.0, "state", "Alice", "paused", "Break") in seen.rows
    assert seen.calls("answered") == [(300.0, "answered", 0, "Alice")]


def test_a_daily_pause_starts_at_its_clock_time_and_lasts_its_duration() -> None:
    engine, seen = center(PAUSES_AND_SHIFTS.replace('at = "08:00"', 'at = "08:30"'))
    engine.run_until(3 * 3600)
    pauses = [row for row in seen.rows if row[1] in ("paused", "unpaused")]
    assert pauses == [
        (1800.0, "paused", "Alice", "support", "Break"),
        (2100.0, "unpaused", "Alice", "support", None),
    ]


def test_an_agent_logs_in_at_the_start_of_their_shift_and_out_at_its_end() -> None:
    engine, seen = center(PAUSES_AND_SHIFTS)
    engine.run_until(2 * 3600)
    logins = [row for row in seen.rows if row[1] in ("added", "removed") and row[2] == "Bob"]
    assert logins == [(600.0, "added", "Bob", "support", 0), (3600.0, "removed", "Bob", "support")]


HUMAN = """\
[[queue]]
name = "support"
talk = { distribution = "deterministic", mean_s = 60 }
[[agent]]
name = "agent1"
interface = "PJSIP/1001"
human = true
queues = ["support"]
max_talk_s = 600
"""


def test_a_human_call_lasts_until_the_console_hangs_up() -> None:
    engine, seen = center(HUMAN, live_humans=True)
    engine.inject_call("support")
    engine.run_until(500)
    assert seen.calls("answered") == [(2.0, "answered", 0, "agent1")]
    assert not seen.records  # no planned end: still talking
    engine.agent_hangup("agent1")
    (record,) = seen.records
    assert (record.talk_s, record.queue_visits[0].hangup_by) == (498.0, "agent")


def test_a_human_call_nobody_hangs_up_ends_with_the_callers_patience() -> None:
    engine, seen = center(HUMAN, live_humans=True)
    engine.inject_call("support")
    engine.run_until(5000)
    assert seen.calls("ended") == [(602.0, "ended", 0, "caller")]


def test_in_fast_mode_a_human_agent_talks_like_a_bot() -> None:
    engine, seen = center(HUMAN, live_humans=False)
    engine.inject_call("support")
    engine.run_until(5000)
    assert seen.calls("ended") == [(62.0, "ended", 0, "caller")]


def test_console_pause_login_and_logout_change_who_gets_calls() -> None:
    engine, seen = center(HUMAN)
    engine.pause("agent1", "Lunch")
    engine.inject_call("support")
    engine.run_until(10)
    assert not seen.calls("ringing")
    engine.unpause("PJSIP/1001")
    assert seen.calls("ringing") == [(10.0, "ringing", 0, "agent1")]
    engine.run_until(100)
    engine.logout("agent1", "support")
    engine.inject_call("support")
    engine.run_until(200)
    assert len(seen.calls("ringing")) == 1
    engine.login("agent1", "support")
    assert seen.calls("ringing")[-1] == (200.0, "ringing", 1, "agent1")
    states = [(row[0], row[3], row[4]) for row in seen.rows if row[1] == "state"]
    assert (0.0, "paused", "Lunch") in states and (100.0, "logged_out", None) in states


def test_a_console_blind_transfer_to_a_number_ends_the_call_as_transferred() -> None:
    engine, seen = center(HUMAN, live_humans=True)
    call = engine.inject_call("support")
    engine.run_until(30)
    engine.blind_transfer(call.linkedid, "+15559990000")
    (record,) = seen.records
    assert (record.outcome, record.transfer_target) == (CallOutcome.TRANSFERRED, "+15559990000")
    visit = record.queue_visits[0]
    assert (visit.outcome, visit.talk_s) == (VisitOutcome.TRANSFERRED, 28.0)


def test_an_agent_can_call_a_customer() -> None:
    engine, seen = center(HUMAN, live_humans=True)
    call = engine.originate("agent1", "+15558285660", answer_after_s=3)
    engine.run_until(50)
    engine.hangup(call, by="agent")
    (record,) = seen.records
    assert (record.direction, record.outcome, record.agent) == (
        Direction.OUTBOUND, CallOutcome.ANSWERED, "agent1",
    )  # fmt: skip
    assert (record.dialed_number, record.talk_s, record.queue_visits) == ("+15558285660", 47.0, ())


def test_stepping_handles_only_what_is_due() -> None:
    engine, seen = center(ONE_AGENT)
    engine.inject_call("support")
    assert engine.next_event_time() == 2.0
    engine.run_until(1.5)
    assert engine.now == 1.5 and not seen.calls("answered")
    engine.run_until(2.0)
    assert seen.calls("answered") == [(2.0, "answered", 0, "Alice")]
    assert engine.next_event_time() == 62.0


def _run(seed: int) -> list[tuple[object, ...]]:
    done: list[tuple[object, ...]] = []
    scenario = load_scenario("demo")
    engine = Engine(scenario, np.random.default_rng(seed), on_call_end=done.append)
    engine.run(hours=4)
    return done


def test_the_same_seed_gives_the_same_calls() -> None:
    first, again, other = _run(11), _run(11), _run(12)
    assert first == again
    assert first != other


def test_fast_runs_drain_every_call_and_count_agent_time() -> None:
    scenario = load_scenario("intraday_peak")
    engine = Engine(scenario, np.random.default_rng(3))
    engine.run(calls=500)
    assert engine.finished == 500 and not engine.calls
    for queue in engine.queues.values():
        assert queue.busy_s > 0 and queue.idle_s > 0
