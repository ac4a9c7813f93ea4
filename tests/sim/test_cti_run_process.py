"""`callcenter cti run` as a real process against the simulated PBX, SIGTERM mid-traffic.

The process is stopped while callers talk and wait, then started again while the PBX goes
on: the stop writes a record (flagged data_gap) for each call in flight and saves them as
the checkpoint, the next process takes them back before its first resync and finishes them,
and every call of the PBX's ground truth the two runs could know has exactly one row.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import CallRecord
from callcenter.calls.service import list_calls
from callcenter.cti.checkpoint import Checkpoints
from sim.pbx.pbx import SimulatedPbx
from tests.sim.pbx_client import running_pbx
from tests.sim.test_pbx_adapter import SERVER
from tests.sim.test_pbx_faults import EDGE, assert_same_end, live, stored_linkedids
from tests.waiting import until

ROOT = Path(__file__).resolve().parents[2]
SPEED = 8.0
# Callers who wait little and talk long: records from those who give up come in fast, and a
# call answered just before the SIGTERM is still up when the next process has started.
LONG_TALKS = """
seed = 5
server = "simpbx"

[[queue]]
name = "support"
arrival_rate_per_hour = 900
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 0
member_timeout_s = 8
retry_s = 1
talk = { distribution = "uniform", low_s = 200, high_s = 400 }
patience = { distribution = "exponential", mean_s = 20 }

[[agent]]
name = "bot"
count = 4
queues = ["support"]
ring = { distribution = "uniform", low_s = 1, high_s = 3 }
"""
# A call answered this many PBX seconds ago or less talks on for 180 more, 22 s of wall time.
FRESH_S = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def cti_run(pbx: SimulatedPbx, database_url: str, log: Path) -> asyncio.subprocess.Process:
    """`python -m callcenter cti run` on this checkout's code, its log in `log`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLCENTER_")}
    env["PYTHONPATH"] = str(ROOT)
    url = f"ami://crm:crmsecret@127.0.0.1:{pbx.port}"
    with log.open("ab") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "callcenter",
            "cti",
            "run",
            "--ami",
            url,
            "--database",
            database_url,
            "--server",
            SERVER,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
            env=env,
            cwd=ROOT,
        )


async def poll(check: Callable[[], bool], timeout: float = 60) -> None:
    """Until `check()` holds (a process writes in its own time)."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


async def terminate(process: asyncio.subprocess.Process, log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(30):
        code = await process.wait()
    assert code == 0, log.read_text()


def just_answered(pbx: SimulatedPbx) -> list[str]:
    """The calls an agent answered in the last FRESH_S PBX seconds."""
    return [
        call.truth.linkedid
        for call in live(pbx)
        if call.agent_member is not None and pbx.now() - call.answered_at < FRESH_S
    ]


def pbx_now(pbx: SimulatedPbx) -> datetime:
    return datetime.fromtimestamp(pbx.clock.epoch_now(), UTC)


async def test_cti_run_stopped_by_sigterm_mid_traffic_and_started_again_keeps_one_record_each(
    database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    checkpoints = Checkpoints(sessions)
    log = tmp_path / "cti-run.log"

    def stored() -> dict[str, CallRecord]:
        with sessions() as session:
            return {call.linkedid: call for call in list_calls(session, server=SERVER)}

    def connections() -> int:
        return log.read_text().count("connected to the PBX at") if log.exists() else 0

    async with running_pbx(LONG_TALKS, speed=SPEED, auto_arrivals=True, hold_share=0.3) as pbx:
        first = await cti_run(pbx, database_url, log)
        await poll(lambda: connections() == 1)
        started_at = pbx_now(pbx)
        await poll(lambda: len(stored()) >= 3)
        # A caller hangs up: their agent takes the next caller, whose talk has just begun.
        pbx.hangup(next(c.caller.name for c in live(pbx) if c.agent_member is not None))
        await until(lambda: bool(just_answered(pbx)), timeout=60)
        in_flight = {call.truth.linkedid for call in live(pbx)}
        ended_before = {r.linkedid for r in pbx.records}
        stopped_at = pbx_now(pbx)
        await terminate(first, log)
        # Callers keep arriving while the process settles its stop: those are in flight too.
        in_flight |= {call.truth.linkedid for call in live(pbx)}
        in_flight |= {r.linkedid for r in pbx.records} - ended_before

        # The stop: one record per call in flight, flagged, and the checkpoint to resume.
        at_stop = stored()
        saved = checkpoints.load(SERVER)
        assert saved is not None
        resumed = {call["linkedid"] for call in saved["calls"]}
        assert resumed and resumed <= in_flight
        assert all(at_stop[linkedid].data_gap for linkedid in resumed)

        await asyncio.sleep(0.2)  # a second or two of PBX time while nobody listens
        second = await cti_run(pbx, database_url, log)
        await poll(lambda: connections() == 2)
        restarted_at = pbx_now(pbx)
        # Up when the second process logged in: it sees them end, whatever it resumed.
        followed = resumed & {call.truth.linkedid for call in live(pbx)}
        await poll(lambda: checkpoints.load(SERVER) is None)  # taken back, once
        await asyncio.sleep(0.3)
        for call in live(pbx):  # the callers still up from before the stop hang up now
            if call.truth.linkedid in followed:
                pbx.hangup(call.caller.name)
        await until(lambda: resumed <= {r.linkedid for r in pbx.records}, timeout=90)
        truth = list(pbx.records)
        gaps = [(datetime.fromtimestamp(0, UTC), started_at), (stopped_at, restarted_at)]
        wanted = {
            r.linkedid
            for r in truth
            if not any(
                start - EDGE < r.started_at and r.ended_at < end + EDGE for start, end in gaps
            )
        }
        by_truth = {r.linkedid: r for r in truth}
        await poll(lambda: wanted <= set(stored()))
        await poll(lambda: all(stored()[lid].ended_at != at_stop[lid].ended_at for lid in followed))
        await terminate(second, log)
        pbx_had = {r.linkedid for r in pbx.records} | {c.truth.linkedid for c in live(pbx)}

    rows = stored_linkedids(sessions)
    final = stored()
    # Every call either run could know has exactly one row; no row for a call the PBX never had.
    assert wanted <= set(rows)
    assert len(rows) == len(set(rows))
    assert set(rows) <= pbx_had
    # The calls in flight at the SIGTERM: one row each, flagged; those still up at the
    # restart finished as the truth says (the stop's record replaced).
    assert followed, (
        "calls in flight at the SIGTERM and still up at the restart",
        stopped_at,
        restarted_at,
        {lid: (by_truth[lid].started_at, by_truth[lid].ended_at) for lid in resumed},
        in_flight,
    )
    for linkedid in resumed:
        assert final[linkedid].data_gap, linkedid
    for linkedid in followed:
        assert final[linkedid].ended_at != at_stop[linkedid].ended_at, linkedid
        assert_same_end(final[linkedid], by_truth[linkedid])
