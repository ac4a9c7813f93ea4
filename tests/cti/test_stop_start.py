"""Stopping the adapter loses nothing in flight; the next start finishes it (issue 12, item 4).

Real AMI bytes over TCP: the in-test PBX streams the `abandon` capture. Cara talks with Alice
and Dan waits in support when the adapter is stopped (SIGTERM, `serve` or `cti run` shutting
down). While it is down Dan gives up; the next start resumes both calls from what the stop
saved in the database, its resync finds Dan's channels gone, and the stream goes on until
Cara hangs up.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.models import CallsInFlight
from callcenter.calls.service import list_agent_states, list_calls
from callcenter.cti.adapter import LiveAdapter
from callcenter.cti.checkpoint import Checkpoints
from callcenter.events import AgentStateClosed, CallEnded
from callcenter.settings import Settings
from callcenter.wiring import wire_consumers
from tests.conftest import FIXTURES
from tests.cti.amiserver import AmiServer
from tests.cti.pbxstate import split_capture
from tests.cti.test_connection_resync import CARA, DAN, cut_points, replayed
from tests.waiting import until

CAPTURE = FIXTURES / "ami" / "abandon" / "ami.raw"


async def test_calls_in_flight_at_a_stop_get_one_record_each_finished_by_the_next_start(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _, body = split_capture(CAPTURE.read_bytes())
    _, stop, resume = cut_points(body)  # Dan has just joined the queue; Cara talks
    checkpoints = Checkpoints(sessions)
    bus = Bus()
    ended: list[CallEnded] = []
    closed: list[AgentStateClosed] = []
    bus.subscribe(CallEnded, ended.append)
    bus.subscribe(AgentStateClosed, closed.append)
    consumers = wire_consumers(bus, sessions, Settings(), live=True)
    await consumers.start()
    async with AmiServer() as pbx:
        pbx.stamp_logins = True
        first = LiveAdapter(pbx.target, server="pbx-test", bus=bus, checkpoints=checkpoints)
        await first.start()
        await until(lambda: first.feed.resyncs == 1)
        await pbx.stream(body[:stop])
        await first.connection.request({"Action": "Ping"})  # every streamed frame handled
        open_states = len(closed)
        await first.stop()

        # The stop wrote both calls (flagged) and cut the agents' open intervals.
        assert Counter(e.record.linkedid for e in ended) == {CARA: 1, DAN: 1}
        assert all(e.record.data_gap for e in ended)
        assert len(closed) > open_states
        assert all(e.record.data_gap for e in closed[open_states:])

        pbx.advance(body[stop:resume])  # Dan hangs up while no adapter runs
        second = LiveAdapter(pbx.target, server="pbx-test", bus=bus, checkpoints=checkpoints)
        await second.start()
        await until(lambda: second.feed.resyncs == 1)
        await pbx.stream(body[resume:])
        await second.connection.request({"Action": "Ping"})
        await second.stop()
    await consumers.stop()

    with sessions() as session:
        stored = {call.linkedid: call for call in list_calls(session, server="pbx-test")}
        states = list_agent_states(session)
    # | call | at the stop         | while down    | stored (one record each)            |
    # | Cara | talking with Alice | talks on      | answered by Alice, as the bytes say |
    # | Dan  | waiting in support | hangs up      | exited from support at the stop     |
    assert set(stored) == {CARA, DAN}
    cara, dan = stored[CARA], stored[DAN]
    assert replace(cara, data_gap=False) == replayed(body)[CARA]
    assert cara.data_gap
    assert (dan.outcome, dan.agent, dan.data_gap) == ("exited", None, True)
    [visit] = dan.queue_visits
    assert (visit.queue, visit.position) == ("support", 1)
    assert any(state.data_gap for state in states)


def test_saved_calls_in_flight_are_kept_per_pbx_and_a_damaged_row_is_ignored(
    sessions: sessionmaker[Session],
) -> None:
    store = Checkpoints(sessions)
    saved = {"format": 1, "server": "pbx-a", "stopped_at": 1_700_000_000.5, "calls": [],
             "channels": []}  # fmt: skip
    store.save(saved)
    store.save({**saved, "server": "pbx-b"})
    store.save({**saved, "stopped_at": 1_700_000_100.0})  # a later stop replaces the earlier
    assert store.load("pbx-a") == {**saved, "stopped_at": 1_700_000_100.0}
    store.clear("pbx-a")
    assert store.load("pbx-a") is None
    assert store.load("pbx-b") == {**saved, "server": "pbx-b"}
    with sessions() as session, session.begin():
        session.get_one(CallsInFlight, "pbx-b").document = "{not json"
    assert store.load("pbx-b") is None  # logged and ignored: the resync adopts instead
