"""A campaign worked by the product's own dialer on the simulated PBX, at a scaled clock.

The whole app runs (CTI adapter, tracker, dialer, a SQLite database of its own) against a
simulated PBX over TCP AMI whose clock runs `speed` times real time. Its agents are simulated
queue members of the campaign's queue; its far end answers `answer_rate` of the dials after a
lognormal ring, the rest ring until the campaign's Timeout; people talk an exponential time.
Figures come from the PBX's own ground truth (`SimulatedPbx.campaign_calls`), in simulated
seconds: occupancy = (talk + wrap-up) / staffed time, abandon rate = abandoned / answered by a
person, wait between calls = an agent's idle seconds from free to the next connect.

The dialer keeps the PBX's clock (`Settings.pbx_clock_speed`): a round every simulated second,
ring and talk times and the abandon cap's rolling day in simulated seconds. The agents' after-
call work is the console's wrap-up pause (`wrap_s`, in real seconds `wrap_s / speed`), as on a
real floor; the queue itself has none, so it is not counted twice. The app's own work (AMI,
records, the database) still takes real time: at a speed the machine cannot keep up with, the
dialer reacts late and the figures are the worse for it (not the better).
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from callcenter.campaigns.enums import CampaignKind, CampaignMode, CampaignState, LeadState
from callcenter.campaigns.models import CallList, Campaign, Lead
from callcenter.db import make_engine, make_sessionmaker, transaction, upgrade
from callcenter.settings import Settings
from callcenter.users.models import User
from callcenter.users.service import Role, ensure_team, set_queues
from sim.pbx.pbx import PbxOptions, SimulatedPbx
from sim.pbx.truth import CampaignCallTruth
from sim.scenario_file import parse_scenario

SERVER = "benchpbx"
QUEUE = "campaign"
FIRST_EXTENSION = 2001  # the scenario's agents have no interface of their own: PJSIP/2001...


@dataclass(frozen=True, slots=True)
class PbxDay:
    """One mode's run: the campaign and far end, the clock's speed and the real seconds."""

    mode: CampaignMode
    agents: int
    answer_rate: float
    ring_s: float
    no_answer_s: float
    talk_s: float
    wrap_s: float
    cap: float
    speed: float
    real_s: float
    seed: int = 1


@dataclass(frozen=True, slots=True)
class PbxResult:
    """What the simulated PBX saw of one run (simulated seconds)."""

    mode: CampaignMode
    agents: int
    period_s: float
    dials: int
    connects: int
    abandoned: int
    no_answers: int
    busy_s: float
    wait_total_s: float
    final_ratio: float

    @property
    def staffed_s(self) -> float:
        return self.agents * self.period_s

    @property
    def occupancy(self) -> float:
        return self.busy_s / self.staffed_s if self.staffed_s else 0.0

    @property
    def answered(self) -> int:
        return self.connects + self.abandoned

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    @property
    def wait_between_calls_s(self) -> float:
        return self.wait_total_s / self.connects if self.connects else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "agents": self.agents,
            "simulated_s": self.period_s,
            "dials": self.dials,
            "connects": self.connects,
            "abandoned": self.abandoned,
            "no_answers": self.no_answers,
            "occupancy": self.occupancy,
            "abandon_rate": self.abandon_rate,
            "wait_between_calls_s": self.wait_between_calls_s,
            "final_ratio": self.final_ratio,
        }


def scenario_text(day: PbxDay) -> str:
    """The simulated PBX's scenario: one campaign queue, its agents, the far end."""
    return f"""
seed = {day.seed}
server = "{SERVER}"

[[queue]]
name = "{QUEUE}"
arrival_rate_per_hour = 0
wrap_up_s = 0
talk = {{ distribution = "exponential", mean_s = {day.talk_s} }}

[[agent]]
name = "agent"
count = {day.agents}
queues = ["{QUEUE}"]

[outbound]
answer_probability = {day.answer_rate}
machine_share = 0
ring = {{ distribution = "lognormal", mean_s = {day.ring_s}, cv = 0.5 }}
talk = {{ distribution = "exponential", mean_s = {day.talk_s} }}
message_s = 6
"""


def leads_needed(day: PbxDay) -> int:
    """More leads than the run can dial: one dial per lead (no retries within a run)."""
    simulated = day.speed * day.real_s
    per_agent_s = day.talk_s + day.wrap_s + day.ring_s
    dials = day.agents * simulated / per_agent_s / max(day.answer_rate, 0.01)
    return int(2 * dials) + 100


def seed_database(url: str, day: PbxDay) -> None:
    """The campaign's agents (no password: nobody signs in), its leads and the campaign."""
    upgrade(url)
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            team = ensure_team(session, "bench")
            for n in range(day.agents):
                user = User(
                    username=f"agent{n + 1}",
                    display_name=f"agent{n + 1}",
                    role=Role.AGENT.value,
                    password_hash="!",  # no password hashes to it
                    interface=f"PJSIP/{FIRST_EXTENSION + n}",
                    member_name=f"agent{n + 1}",
                    team=team,
                )
                session.add(user)
                session.flush()
                set_queues(session, user, [(QUEUE, 0)])
            call_list = CallList(name="bench", source="csv")
            session.add(call_list)
            session.flush()
            session.add_all(
                Lead(
                    list_id=call_list.id,
                    number=f"+1555{n:07d}",
                    time_zone="UTC",
                    state=LeadState.OPEN,
                    attempts=0,
                    origin="csv",
                )
                for n in range(leads_needed(day))
            )
            session.add(
                Campaign(
                    name=f"bench {day.mode.value}",
                    list_id=call_list.id,
                    kind=CampaignKind.OUTBOUND.value,
                    mode=day.mode.value,
                    state=CampaignState.RUNNING.value,
                    queue=QUEUE,
                    teams=["bench"],
                    hours_start_min=0,
                    hours_end_min=24 * 60,
                    weekdays=[1, 2, 3, 4, 5, 6, 7],
                    max_attempts=1,
                    ring_timeout_s=int(day.no_answer_s),
                    abandon_cap=day.cap,
                    caller_id="+15550100000",
                )
            )
    finally:
        engine.dispose()


def final_ratio(url: str, day: PbxDay) -> float:
    """The pacer's ratio as the dialer last stored it."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            ratio = session.scalar(
                select(Campaign.dial_ratio).where(Campaign.name == f"bench {day.mode.value}")
            )
            return float(ratio or 1.0)
    finally:
        engine.dispose()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The PBX at the end of the period: the calls over, and those with an agent still."""

    ended: list[CampaignCallTruth]
    talking: list[tuple[str, float]]  # (agent, connected at, epoch seconds)
    start_epoch: float
    period_s: float


async def run_app(settings: Settings, pbx: SimulatedPbx, real_s: float) -> Snapshot:
    """The app (its lifespan starts the CTI adapter and the dialer) for `real_s` seconds;
    what the PBX did meanwhile, taken at the end of the period before the app stops."""
    import uvicorn

    from callcenter.app import create_app

    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
        serving = asyncio.create_task(server.serve(sockets=[listening.dup()]))
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.02)
        started = pbx.clock.now()
        await asyncio.sleep(real_s)
        period = pbx.clock.now() - started
        talking = [
            (call.campaign.draft.agent or "?", pbx.clock.epoch(call.campaign.draft.connected_at))
            for call in pbx.board.calls.values()
            if call.campaign is not None and call.campaign.draft.connected_at is not None
        ]
        snapshot = Snapshot(list(pbx.campaign_calls), talking, pbx.clock.epoch(started), period)
        server.should_exit = True
        await serving
    return snapshot


def app_settings(url: str, pbx: SimulatedPbx, day: PbxDay) -> Settings:
    """The app's settings for a run: its database, the PBX's AMI port and clock, the agents'
    after-call work as the console's wrap-up pause (`wrap_s` of the PBX's seconds)."""
    return Settings(
        database_url=url,
        ami_url=f"ami://crm:crmsecret@127.0.0.1:{pbx.port}",
        pbx_name=SERVER,
        secret_key="bench-dialer-secret-of-at-least-32-chars",
        sla_check_interval_s=3600,
        pbx_clock_speed=day.speed,
        console_wrap_up_default_s=day.wrap_s / day.speed,
    )


async def run_on_pbx(day: PbxDay) -> PbxResult:
    """One run of `day.mode`'s campaign on a fresh simulated PBX and database."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        seed_database(url, day)
        scenario = parse_scenario(scenario_text(day), source="bench_dialer.toml")
        options = PbxOptions(speed=day.speed, auto_arrivals=False, hold_share=0)
        pbx = SimulatedPbx(scenario, options)
        await pbx.start("127.0.0.1", 0)
        try:
            settings = app_settings(url, pbx, day)
            snapshot = await run_app(settings, pbx, day.real_s)
        finally:
            await pbx.close()
        return figures(day, snapshot, final_ratio(url, day))


def figures(day: PbxDay, snapshot: Snapshot, ratio: float) -> PbxResult:
    """Occupancy, abandons and waits from the PBX's record of each campaign call, counted
    from the moment the app was up (calls still talking at the end count up to the end)."""
    start_epoch, period_s = snapshot.start_epoch, snapshot.period_s
    end = start_epoch + period_s
    busy = 0.0
    by_agent: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for agent, connected in snapshot.talking:
        busy += max(end - connected, 0.0)
        by_agent[agent].append((connected, end))
    connects = len(snapshot.talking)
    abandoned = no_answers = 0
    for call in snapshot.ended:
        outcome = str(call.outcome)
        if outcome == "abandoned":
            abandoned += 1
        elif outcome == "no_answer":
            no_answers += 1
        if call.connected_at is None:
            continue
        connects += 1
        connected = call.connected_at.timestamp()
        ended = min(call.ended_at.timestamp() + day.wrap_s, end)
        busy += max(ended - connected, 0.0)
        by_agent[call.agent or "?"].append((connected, ended))
    wait = 0.0
    for calls in by_agent.values():
        free = start_epoch
        for connected, ended in sorted(calls):
            wait += max(connected - free, 0.0)
            free = ended
    return PbxResult(
        mode=day.mode,
        agents=day.agents,
        period_s=period_s,
        dials=len(snapshot.ended),
        connects=connects,
        abandoned=abandoned,
        no_answers=no_answers,
        busy_s=busy,
        wait_total_s=wait,
        final_ratio=ratio,
    )
