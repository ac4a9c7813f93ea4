"""The PBX bench's figures: occupancy, abandons and waits read from the PBX's campaign calls."""

from __future__ import annotations

from datetime import UTC, datetime

from callcenter.campaigns.enums import CampaignMode, Outcome
from sim.outbound_pbx import PbxDay, Snapshot, figures, leads_needed, scenario_text
from sim.pbx.truth import CampaignCallTruth
from sim.scenario_file import parse_scenario

START = 1_800_000_000.0
DAY = PbxDay(
    mode=CampaignMode.PREDICTIVE,
    agents=2,
    answer_rate=0.3,
    ring_s=12,
    no_answer_s=30,
    talk_s=120,
    wrap_s=10,
    cap=0.03,
    speed=10,
    real_s=60,
)


def call(
    outcome: Outcome, at: float, *, connected: float | None = None, ended: float
) -> CampaignCallTruth:
    def stamp(t: float) -> datetime:
        return datetime.fromtimestamp(START + t, UTC)

    return CampaignCallTruth(
        attempt="1",
        lead="1",
        campaign="1",
        queue="campaign",
        agent_interface="",
        amd=False,
        number="+15550000001",
        action_id=None,
        outcome=outcome,
        reason=None,
        hangup_cause=None,
        channel=None,
        uniqueid=None,
        linkedid=None,
        amd_status=None,
        amd_cause=None,
        dialed_at=stamp(at),
        answered_at=None,
        connected_at=stamp(connected) if connected is not None else None,
        abandoned_at=None,
        ended_at=stamp(ended),
        agent="agent1" if connected is not None else None,
        talk_s=None,
        hangup_by=None,
    )


def test_occupancy_counts_talk_and_wrap_up_and_calls_still_talking_up_to_the_end() -> None:
    ended = [
        call(Outcome.ANSWERED, 0, connected=20, ended=140),  # busy 20..150 with wrap-up
        call(Outcome.NO_ANSWER, 0, ended=30),
        call(Outcome.ABANDONED, 50, ended=70),
    ]
    talking = [("agent1", START + 170), ("agent2", START + 250)]  # until the end, 300
    result = figures(DAY, Snapshot(ended, talking, START, 300.0), ratio=1.4)
    assert (result.dials, result.connects, result.abandoned, result.no_answers) == (3, 3, 1, 1)
    assert result.busy_s == 130 + 130 + 50
    assert result.occupancy == (130 + 130 + 50) / 600
    assert result.abandon_rate == 1 / 4
    # agent1 idle 0..20 and 150..170, agent2 idle 0..250.
    assert result.wait_between_calls_s == (20 + 20 + 250) / 3
    assert result.final_ratio == 1.4


def test_the_scenario_has_the_campaign_queue_its_agents_and_far_end() -> None:
    scenario = parse_scenario(scenario_text(DAY), source="bench.toml")
    assert [a.interface for a in scenario.agents] == ["PJSIP/2001", "PJSIP/2002"]
    assert scenario.outbound.answer_probability == 0.3
    assert leads_needed(DAY) > 2 * 600 * 2 / (120 + 10 + 12) / 0.3
