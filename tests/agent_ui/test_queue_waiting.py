"""Callers waiting on the consoles: new figures only, unsequenced, one encoding per queue set."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from agent_ui import queue_waiting
from agent_ui.console_state import AgentConsole
from agent_ui.hub import ConsoleFrame, PopHub
from agent_ui.queue_waiting import QueueWaiting
from callcenter.calls.records import AgentState
from callcenter.events import AgentStateChanged, CallAnswered, CallQueued
from callcenter.queues.presence import Presence
from callcenter.queues.wrap_up import WrapUp

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _agent(presence: Presence, number: int, queues: list[str]) -> AgentConsole:
    name = f"agent{number}"
    presence.on_agent_state(
        AgentStateChanged(
            at=T0, server="pbx", agent=name, interface=f"PJSIP/{number}",
            state=AgentState.AVAILABLE, reason=None, queue=None, queues=tuple(queues),
        )
    )  # fmt: skip
    screen = AgentConsole(number, name, f"PJSIP/{number}", WrapUp(name, "Wrap-up"))
    screen.presence = presence.of_interface(f"PJSIP/{number}")
    return screen


def _queued(presence: Presence, linkedid: str, queue: str, after_s: float) -> None:
    at = T0 + timedelta(seconds=after_s)
    presence.on_queued(
        CallQueued(
            at=at, server="pbx", linkedid=linkedid, uniqueid=linkedid, queue=queue,
            position=1, caller_number=None, caller_name=None,
        )
    )  # fmt: skip


def _answered(presence: Presence, linkedid: str, queue: str) -> None:
    presence.on_answered(
        CallAnswered(
            at=T0, server="pbx", linkedid=linkedid, queue=queue, agent="agent1",
            interface="PJSIP/1", wait_s=1.0,
        )
    )  # fmt: skip


async def _frames(
    hub: PopHub, user_id: int, since: int | None = None
) -> asyncio.Queue[ConsoleFrame | None]:
    return (await hub.attach(user_id, since)).tab.queue


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_members_get_new_figures_once_without_a_sequence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(queue_waiting, "WAITING_PUSH_S", 0.0)
    hub, presence = PopHub(), Presence()
    screens = [_agent(presence, 1, ["billing", "support"]), _agent(presence, 2, ["support"])]
    waiting = QueueWaiting(hub, presence, lambda: screens)
    presence.listen(queue=waiting.changed)
    first, second = await _frames(hub, 1), await _frames(hub, 2)
    await _settle()
    while not first.empty():  # the queues appearing with nobody in them
        first.get_nowait()
    while not second.empty():
        second.get_nowait()

    _queued(presence, "c1", "support", 5)
    await _settle()
    frame = first.get_nowait()
    assert frame is not None and frame.seq == 0
    assert json.loads(frame.text) == {
        "type": "waiting",
        "waiting": [
            {"queue": "billing", "callers": 0, "oldest": None},
            {"queue": "support", "callers": 1, "oldest": (T0 + timedelta(seconds=5)).isoformat()},
        ],
    }
    other = second.get_nowait()
    assert other is not None
    assert json.loads(other.text)["waiting"] == [
        {"queue": "support", "callers": 1, "oldest": (T0 + timedelta(seconds=5)).isoformat()}
    ]
    assert hub.last_seq(1) == 0  # not numbered: a pop's replay log is not filled with these

    # A caller who came and went within the push interval changes nothing on screen.
    _queued(presence, "c2", "support", 6)
    _answered(presence, "c2", "support")
    await _settle()
    assert first.empty() and second.empty()

    _answered(presence, "c1", "support")
    await _settle()
    frame = first.get_nowait()
    assert frame is not None
    assert json.loads(frame.text)["waiting"][1] == {
        "queue": "support",
        "callers": 0,
        "oldest": None,
    }


async def test_a_pop_after_waiting_updates_replays_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_waiting, "WAITING_PUSH_S", 0.0)
    hub, presence = PopHub(replay_frames=4), Presence()
    screens = [_agent(presence, 1, ["support"])]
    waiting = QueueWaiting(hub, presence, lambda: screens)
    presence.listen(queue=waiting.changed)
    pop = hub.publish(1, "pop", {"call": {"linkedid": "c0"}})
    for number in range(10):
        _queued(presence, f"c{number + 1}", "support", number)
        await _settle()
    # A tab that reconnects after the pop still gets it replayed, not a resync.
    attachment = await hub.attach(1, pop.seq - 1)
    assert not attachment.resync
    assert [frame.seq for frame in attachment.replay] == [pop.seq]


async def test_a_big_queue_gets_its_figures_in_slices_the_newest_replacing_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(queue_waiting, "WAITING_PUSH_S", 0.05)
    monkeypatch.setattr(queue_waiting, "WAITING_SLICE", 2)
    hub, presence = PopHub(), Presence()
    screens = [_agent(presence, number, ["support"]) for number in range(1, 7)]
    waiting = QueueWaiting(hub, presence, lambda: screens)
    tabs = [await _frames(hub, screen.user_id) for screen in screens]

    def callers(tab: asyncio.Queue[ConsoleFrame | None]) -> list[int]:
        shown = []
        while not tab.empty():
            frame = tab.get_nowait()
            assert frame is not None
            shown.append(json.loads(frame.text)["waiting"][0]["callers"])
        return shown

    _queued(presence, "c1", "support", 1)
    waiting._publish("support")  # the push interval is over
    # The first slice at once, the others after the loop ran a while.
    assert [callers(tab) for tab in tabs] == [[1], [1], [], [], [], []]
    await asyncio.sleep(0)
    assert all(tab.empty() for tab in tabs[2:])

    # New figures before the last slice: its members get the new ones only.
    while tabs[3].empty():
        await asyncio.sleep(0.005)
    assert [callers(tab) for tab in tabs[2:4]] == [[1], [1]]
    _queued(presence, "c2", "support", 2)
    waiting._publish("support")
    assert [callers(tab) for tab in tabs[:2]] == [[2], [2]]
    while tabs[5].empty():
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.05)  # a late slice of the old figures would have come by now
    assert [callers(tab) for tab in tabs] == [[], [], [2], [2], [2], [2]]

    waiting.stop()
