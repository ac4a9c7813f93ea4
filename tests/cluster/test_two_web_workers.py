"""Two web workers and one adapter, real processes on a real Redis: the pop reaches the agent's
console on worker A, the console moves to worker B and resumes with no frame lost or
repeated, and two supervisors' wallboards on A and B agree; then Redis dies for 10 s."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import make_engine, make_sessionmaker
from tests.cluster.floor_processes import (
    ConsoleTab,
    Wallboard,
    comparable,
    floor_of_processes,
    seed_people,
    until,
)
from tests.redis_server import RedisServer
from tests.sim.test_pbx_faults import live


@pytest.fixture(params=["sqlite", "postgresql"])
def floor_database(request: pytest.FixtureRequest) -> str:
    """The store of the floor: SQLite (one machine), and PostgreSQL as several machines use."""
    name = "database_url" if request.param == "sqlite" else "pg_database_url"
    return str(request.getfixturevalue(name))


async def test_a_console_moves_between_workers_without_losing_or_repeating_a_frame(
    redis_url: str, floor_database: str, tmp_path: Path, fast_password_hashing: None
) -> None:
    engine = make_engine(floor_database)
    sessions = make_sessionmaker(engine)
    people = seed_people(sessions)
    database_url = floor_database
    async with floor_of_processes(redis_url, database_url, tmp_path) as floor:
        boards = [await Wallboard.open(port, people["sue"]) for port in floor.web_ports]
        on_a = await ConsoleTab.open(floor.web_ports[0], people["agent1"])
        assert on_a.hello["resync"] is True

        floor.call_in("+15551230001", "Ann Caller")
        await until(lambda: len(on_a.pops()) == 1)
        await until(lambda: len(floor.pbx.records) == 1)
        await asyncio.sleep(0.5)  # the call's last frames (ended, state) reach the tab
        await on_a.close()
        seen = on_a.last_seq()

        # A call while the console is away: its frames wait in Redis.
        floor.call_in("+15551230002", "Ben Caller")
        await until(lambda: len(floor.pbx.records) == 2)

        on_b = await ConsoleTab.open(floor.web_ports[1], people["agent1"], since=seen)
        assert on_b.hello["resync"] is False, on_b.hello
        floor.call_in("+15551230003", "Cara Caller")
        await until(lambda: len(on_b.pops()) == 2, timeout=30)

        sequence = [frame["seq"] for frame in on_a.frames + on_b.frames]
        assert sequence == list(range(sequence[0], sequence[0] + len(sequence))), sequence
        pops = on_a.pops() + on_b.pops()
        truth = [record.linkedid for record in floor.pbx.records] + [
            call.truth.linkedid for call in live(floor.pbx)
        ]
        assert len(pops) == len(set(pops)) == 3
        assert set(pops) <= set(truth)

        # Both supervisors see the same board (what the sender's clock adds aside).
        await until(lambda: len(floor.pbx.records) == 3)

        def agree() -> bool:
            a, b = (board.latest for board in boards)
            return (
                a is not None
                and b is not None
                and a["queues"]["support"]["today"]["answered"] == 3
                and comparable(a) == comparable(b)
            )

        with contextlib.suppress(TimeoutError):
            await until(agree, timeout=20)
        latest, other = (board.latest for board in boards)
        assert latest is not None and other is not None
        assert comparable(latest) == comparable(other)
        assert latest["queues"]["support"]["today"]["answered"] == 3, latest["queues"]
        await on_b.close()
        for board in boards:
            await board.close()
    assert floor.stored(sessions) == {record.linkedid for record in floor.pbx.records}
    engine.dispose()


async def test_redis_down_for_ten_seconds_the_floor_recovers_on_its_own_and_flags_the_gap(
    redis_server: RedisServer,
    database_url: str,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    fast_password_hashing: None,
) -> None:
    people = seed_people(sessions)
    async with floor_of_processes(redis_server.url, database_url, tmp_path) as floor:
        board = await Wallboard.open(floor.web_ports[0], people["sue"])
        tab = await ConsoleTab.open(floor.web_ports[0], people["agent1"])
        floor.call_in("+15551230001", "Ann Caller")
        await until(lambda: len(tab.pops()) == 1)

        redis_server.stop()
        floor.call_in("+15551230002", "Ben Caller")  # while Redis is away
        await until(lambda: tab.reader is not None and tab.reader.done(), timeout=20)
        await until(lambda: _link_state(board.latest) == "bus_down", timeout=20)
        await asyncio.sleep(5)
        floor.call_in("+15551230004", "Dan Caller")  # rings, talks and ends in the outage
        await asyncio.sleep(5)
        redis_server.start()

        # The console comes back by itself: the page reconnects with its last sequence
        # whenever its socket closes, and resumes, or resyncs when what it missed went down
        # with Redis, never a silent hole. A tab that resynced before the PBX's process
        # wrote what it had queued in the outage sees that hole and reconnects once more.
        async def reopened(since: int) -> ConsoleTab:
            while True:
                try:
                    again = await ConsoleTab.open(floor.web_ports[1], people["agent1"], since=since)
                except Exception:  # refused (1013) until the relay follows Redis again
                    await asyncio.sleep(0.5)
                    continue
                if not again.hello["resync"]:
                    assert again.frames == [] or again.frames[0]["seq"] == since + 1
                return again

        back = await asyncio.wait_for(reopened(tab.last_seq()), timeout=30)
        floor.call_in("+15551230003", "Cara Caller")

        async def shown_the_call() -> None:
            nonlocal back
            while not _calls_shown(back):
                if back.reader is not None and back.reader.done():
                    back = await reopened(back.last_seq())
                await asyncio.sleep(0.05)

        await asyncio.wait_for(shown_the_call(), timeout=30)
        # The board flagged the gap and clears it once the floor is known again.
        await until(lambda: _link_state(board.latest) == "up", timeout=30)
        await until(lambda: len(floor.pbx.records) == 4)
        await back.close()
        await board.close()
        await until(lambda: floor.stored(sessions) >= {r.linkedid for r in floor.pbx.records})
    # Records never depended on Redis: every call has its one row.
    assert floor.stored(sessions) == {record.linkedid for record in floor.pbx.records}


def _link_state(snapshot: dict[str, object] | None) -> str | None:
    if snapshot is None:
        return None
    link = snapshot.get("pbx_link")
    return str(link.get("state")) if isinstance(link, dict) else None


def _calls_shown(tab: ConsoleTab) -> list[str]:
    """The calls a console showed: its pops, and the call of the snapshot it resynced to."""
    snapshot = tab.hello.get("snapshot") or {}
    call = snapshot.get("call") or {}
    return tab.pops() + ([call["linkedid"]] if call.get("linkedid") else [])
