"""Two real `callcenter cti run` processes for one simulated PBX on one Redis: one active, one
standby. The active is SIGKILLed mid-traffic; the standby is active within 5 s, its resync
adopts the calls in progress (flagged data_gap, finished as the PBX's truth says), and the
`calls` table holds the PBX's ground truth: nothing lost that a process could know, nothing
doubled, nothing invented.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import CallRecord
from callcenter.calls.service import list_calls
from callcenter.cti.checkpoint import Checkpoints
from callcenter.lease import lease_key
from callcenter.redis_link import sync_client
from sim.pbx.actions import ActionHandler
from sim.pbx.pbx import SimulatedPbx
from tests.sim.pbx_client import running_pbx
from tests.sim.test_cti_run_process import LONG_TALKS, SPEED, pbx_now, poll
from tests.sim.test_pbx_adapter import SERVER, assert_same_calls
from tests.sim.test_pbx_faults import EDGE, assert_same_end, live, stored_linkedids, talking
from tests.waiting import until

ROOT = Path(__file__).resolve().parents[2]
ACTIVE = f"active for PBX {SERVER}"
STANDBY = f"standby for PBX {SERVER}"
# A record is handed to the writer once a second: those of calls that ended this long (wall
# time) before a SIGKILL may still have been in the killed process's memory.
UNFLUSHED_S = 1.5


async def cti_run(
    pbx: SimulatedPbx, database_url: str, redis_url: str, log: Path
) -> asyncio.subprocess.Process:
    """`python -m callcenter cti run` with CALLCENTER_BUS_URL, its log in `log`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLCENTER_")}
    env["PYTHONPATH"] = str(ROOT)
    env["CALLCENTER_BUS_URL"] = redis_url
    with log.open("ab") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "callcenter",
            "cti",
            "run",
            "--ami",
            f"ami://crm:crmsecret@127.0.0.1:{pbx.port}",
            "--database",
            database_url,
            "--server",
            SERVER,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
            env=env,
            cwd=ROOT,
        )


def resyncs_of(pbx: SimulatedPbx, monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The PBX's time at each CoreShowChannels it answers: the moment an adapter's resync
    sees the calls in progress (a call that ended before, unfollowed, cannot be known)."""
    answered: list[datetime] = []
    original = ActionHandler._action_coreshowchannels

    def answer(handler: ActionHandler, *args: Any) -> Iterator[bytes]:
        answered.append(pbx_now(pbx))
        return original(handler, *args)

    monkeypatch.setattr(ActionHandler, "_action_coreshowchannels", answer)
    return answered


def said(log: Path, text: str) -> int:
    return log.read_text().count(text) if log.exists() else 0


async def test_the_standby_takes_over_a_killed_active_and_the_records_match_the_pbx(
    database_url: str,
    redis_url: str,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"

    def stored() -> dict[str, CallRecord]:
        with sessions() as session:
            return {call.linkedid: call for call in list_calls(session, server=SERVER)}

    async with running_pbx(LONG_TALKS, speed=SPEED, auto_arrivals=True, hold_share=0.3) as pbx:
        snapshots = resyncs_of(pbx, monkeypatch)
        first = await cti_run(pbx, database_url, redis_url, first_log)
        second: asyncio.subprocess.Process | None = None
        try:
            await poll(lambda: said(first_log, ACTIVE) == 1)
            await poll(lambda: len(snapshots) == 1)
            started_at = snapshots[0]
            second = await cti_run(pbx, database_url, redis_url, second_log)
            await poll(lambda: said(second_log, STANDBY) == 1)
            await poll(lambda: len(stored()) >= 3)
            await until(lambda: len(talking(pbx)) >= 2, timeout=60)
            assert said(second_log, ACTIVE) == 0

            first.kill()  # SIGKILL: nothing written for the calls in flight, no release
            killed, killed_at = time.monotonic(), pbx_now(pbx)
            await poll(lambda: said(second_log, ACTIVE) == 1, timeout=5.0)
            took = time.monotonic() - killed
            print(f"the standby was active {took:.2f} s after the SIGKILL")
            await poll(lambda: len(snapshots) == 2)
            restarted_at = snapshots[1]
            up_at_restart = {c.truth.linkedid for c in live(pbx)}
            records_at_restart = len(pbx.records)

            # The callers who talked through the handover hang up now; traffic goes on.
            await asyncio.sleep(1.0)
            for call in live(pbx):
                if call.truth.linkedid in up_at_restart and call.agent_member is not None:
                    pbx.hangup(call.caller.name)
            await until(lambda: len(pbx.records) >= records_at_restart + 20, timeout=90)
            truth = list(pbx.records)
            # | call                                       | could not be known        |
            # | over before the first process was active  | nobody listened           |
            # | ended after the kill, before the takeover | nobody listened           |
            # | ended just before the kill                 | its record was still in   |
            # |                                            |   the killed one's memory |
            blind_from = killed_at - timedelta(seconds=UNFLUSHED_S * SPEED) - EDGE
            unseen = {
                r.linkedid
                for r in truth
                if r.ended_at < started_at + EDGE or blind_from < r.ended_at < restarted_at + EDGE
            }
            wanted = {r.linkedid for r in truth} - unseen
            with contextlib.suppress(TimeoutError):
                await poll(lambda: wanted <= set(stored()))
            by_truth = {r.linkedid: r for r in truth}
            missing = {
                lid: (by_truth[lid].started_at, by_truth[lid].ended_at, by_truth[lid].outcome)
                for lid in wanted - set(stored())
            }
            assert not missing, (started_at, killed_at, restarted_at, missing)
            assert second.returncode is None
            second.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                assert await second.wait() == 0, second_log.read_text()
            pbx_had = {r.linkedid for r in pbx.records} | {c.truth.linkedid for c in live(pbx)}
        finally:
            for process in (first, second):
                if process is not None and process.returncode is None:
                    process.kill()
                    await process.wait()

    assert took < 5.0
    final = stored()
    rows = stored_linkedids(sessions)
    # Nothing lost that a process could know, nothing doubled, nothing invented.
    assert wanted <= set(rows)
    assert len(rows) == len(set(rows))
    assert set(rows) <= pbx_had
    # Calls up through the handover: adopted by the new active's resync, flagged, and
    # finished as the truth says.
    adopted = {
        lid
        for lid in wanted & up_at_restart
        if by_truth[lid].started_at < killed_at - EDGE
        and by_truth[lid].ended_at > restarted_at + EDGE
    }
    assert adopted, "calls up through the handover"
    for linkedid in adopted:
        assert final[linkedid].data_gap, linkedid
        assert_same_end(final[linkedid], by_truth[linkedid])
    # Those either process saw whole equal the truth.
    clean = [final[lid] for lid in wanted if not final[lid].data_gap]
    assert len(clean) >= 10
    assert {r.linkedid for r in clean}.isdisjoint(adopted)
    assert_same_calls([by_truth[r.linkedid] for r in clean], clean)


async def test_an_active_that_loses_its_lease_drops_the_pbx_at_once_and_waits_again(
    database_url: str, redis_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    log = tmp_path / "cti-run.log"
    checkpoints = Checkpoints(sessions)
    redis = sync_client(redis_url)
    async with running_pbx(LONG_TALKS, speed=SPEED, auto_arrivals=True, hold_share=0.3) as pbx:
        process = await cti_run(pbx, database_url, redis_url, log)
        try:
            await poll(lambda: said(log, ACTIVE) == 1)
            await until(lambda: bool(talking(pbx)), timeout=60)
            # Another holder, as after a pause longer than the ttl: the next renewal sees it.
            redis.set(lease_key("pbx", SERVER), b"another process", px=2500)
            stolen = time.monotonic()
            await poll(lambda: said(log, "lost the lease of PBX") == 1, timeout=5.0)
            assert time.monotonic() - stolen < 1.5
            await poll(lambda: said(log, STANDBY) == 2, timeout=5.0)
            # Dropped, not stopped: nothing saved for the calls in flight (the other holder's
            # resync adopts them).
            assert checkpoints.load(SERVER) is None
            await poll(lambda: said(log, ACTIVE) == 2, timeout=10.0)
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                assert await process.wait() == 0, log.read_text()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            redis.close()
    rows = stored_linkedids(sessions)
    assert rows and len(rows) == len(set(rows))
