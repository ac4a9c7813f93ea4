"""The product's dialer on a simulated PBX whose clock runs ten times real time: it keeps the
PBX's clock (stored times agree with the PBX's), and agents come back from their wrap-up in
the PBX's seconds for the next customer."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from callcenter.campaigns.enums import CampaignMode
from callcenter.campaigns.models import DialAttempt
from callcenter.db import make_engine, make_sessionmaker
from sim.outbound_pbx import PbxDay, app_settings, run_app, scenario_text, seed_database
from sim.pbx.pbx import PbxOptions, SimulatedPbx
from sim.scenario_file import parse_scenario

DAY = PbxDay(
    mode=CampaignMode.PROGRESSIVE,
    agents=3,
    answer_rate=0.7,
    ring_s=4,
    no_answer_s=12,
    talk_s=15,
    wrap_s=5,
    cap=0.03,
    speed=10,
    real_s=12,  # 120 of the PBX's seconds
    seed=3,
)
# The app reacts within a real second even on a busy machine: at 10x, ten PBX seconds.
AGREE_S = 10.0


def test_stored_times_follow_the_pbx_clock_and_agents_take_call_after_call(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'faster.db'}"
    seed_database(url, DAY)

    async def run() -> list:
        scenario = parse_scenario(scenario_text(DAY), source="faster.toml")
        pbx = SimulatedPbx(scenario, PbxOptions(speed=DAY.speed, auto_arrivals=False, hold_share=0))
        await pbx.start("127.0.0.1", 0)
        try:
            snapshot = await run_app(app_settings(url, pbx, DAY), pbx, DAY.real_s)
        finally:
            await pbx.close()
        return snapshot.ended

    ended = asyncio.run(run())
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            stored = {
                row.action_id: row
                for row in session.scalars(
                    select(DialAttempt).where(DialAttempt.ended_at.is_not(None))
                )
            }
    finally:
        engine.dispose()
    compared = [(truth, stored[truth.action_id]) for truth in ended if truth.action_id in stored]
    assert len(compared) >= 6, "too few attempts ended to compare"
    for truth, attempt in compared:
        assert attempt.dialed_at is not None and attempt.ended_at is not None
        # A dialer on the wall clock would be (speed - 1) x the real seconds behind: 9 s per
        # real second of the run.
        assert abs((attempt.dialed_at - truth.dialed_at).total_seconds()) < AGREE_S
        assert abs((attempt.ended_at - truth.ended_at).total_seconds()) < AGREE_S
        if truth.connected_at is not None:
            assert attempt.connected_at is not None
            assert abs((attempt.connected_at - truth.connected_at).total_seconds()) < AGREE_S
    # Each agent's wrap-up (5 PBX seconds) ends in PBX time: someone takes a second call.
    calls_per_agent = Counter(truth.agent for truth in ended if truth.connected_at is not None)
    assert calls_per_agent and max(calls_per_agent.values()) >= 2
