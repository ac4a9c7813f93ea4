"""A simulated PBX with outbound campaign queues and scripted far ends, and a campaign dial."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sim.pbx.pbx import PbxOptions, SimulatedPbx
from sim.scenario_file import parse_scenario
from tests.sim.pbx_client import AmiTestClient

CALLER_ID = '"Acme Renewals" <+15550009999>'
# renewals: Carol answers after 1 s; winback: Dave and Erin pick up after 5 s, later than the
# queue's 3 s member timeout (Dave, PJSIP/1003, answers a reserved agent's Dial after 5 s);
# Ivan (PJSIP/1009) would answer after 20 s, later than Dial's 10 s; Hana (PJSIP/1010) is a
# person at a console. Each scripted number's far
# end is fixed by [[outbound.number]]; others draw from [outbound].
CAMPAIGN_SCENARIO = """
seed = 3
server = "simpbx"

[[queue]]
name = "renewals"
arrival_rate_per_hour = 0
member_timeout_s = 15
talk = { distribution = "deterministic", mean_s = 60 }

[[queue]]
name = "winback"
arrival_rate_per_hour = 0
member_timeout_s = 3
talk = { distribution = "deterministic", mean_s = 60 }

[[agent]]
name = "Carol"
interface = "PJSIP/1002"
queues = ["renewals"]
ring = { distribution = "deterministic", mean_s = 1 }

[[agent]]
name = "Dave"
interface = "PJSIP/1003"
queues = ["winback"]
ring = { distribution = "deterministic", mean_s = 5 }

[[agent]]
name = "Erin"
interface = "PJSIP/1004"
queues = ["winback"]
ring = { distribution = "deterministic", mean_s = 5 }

[[queue]]
name = "spare"
arrival_rate_per_hour = 0
talk = { distribution = "deterministic", mean_s = 60 }

[[agent]]
name = "Ivan"
interface = "PJSIP/1009"
queues = ["spare"]
ring = { distribution = "deterministic", mean_s = 20 }

[[agent]]
name = "Hana"
interface = "PJSIP/1010"
queues = ["spare"]
human = true

[outbound]
answer_probability = 0.3
busy_share = 0.1
machine_share = 0.2
talk = { distribution = "deterministic", mean_s = 10 }
amd_person = { distribution = "deterministic", mean_s = 2.2 }
amd_machine = { distribution = "deterministic", mean_s = 3 }
message_s = 5

[[outbound.number]]
number = "+15550000017"
outcome = "busy"

[[outbound.number]]
number = "+15550000034"
outcome = "congestion"

[[outbound.number]]
number = "+15550000001"
outcome = "failed"

[[outbound.number]]
number = "+15550000021"
outcome = "rejected"

[[outbound.number]]
number = "+15550000019"
outcome = "no_answer"

[[outbound.number]]
number = "+15550000099"
outcome = "machine"
ring_s = 2

[[outbound.number]]
number = "+15550000100"
outcome = "person"
ring_s = 2
talk_s = 10
"""
PERSON = "+15550000100"


@asynccontextmanager
async def campaign_pbx(
    *, speed: float = 50.0, dialplan_events: bool = False, text: str = CAMPAIGN_SCENARIO
) -> AsyncIterator[SimulatedPbx]:
    """The campaign scenario's PBX on a free port (no random arrivals)."""
    scenario = parse_scenario(text, source="campaign.toml")
    options = PbxOptions(
        speed=speed, auto_arrivals=False, hold_share=0.0, dialplan_events=dialplan_events
    )
    pbx = SimulatedPbx(scenario, options)
    await pbx.start("127.0.0.1", 0)
    try:
        yield pbx
    finally:
        await pbx.close()


def dial_customer(
    client: AmiTestClient,
    number: str,
    *,
    attempt: str = "41",
    queue: str = "renewals",
    agent: str = "",
    amd: bool = False,
    timeout_ms: int = 20000,
    channel: str | None = None,
) -> str:
    """The dialer's Originate: the customer first, into [campaign-dial]; returns the ActionID."""
    return client.send(
        "Originate",
        ("Channel", channel or f"PJSIP/{number}@trunk"),
        ("Context", "campaign-dial"),
        ("Exten", "s"),
        ("Priority", "1"),
        ("Timeout", str(timeout_ms)),
        ("CallerID", CALLER_ID),
        ("Async", "true"),
        ("Variable", f"CC_ATTEMPT={attempt}"),
        ("Variable", "CC_LEAD=7"),
        ("Variable", "CC_CAMPAIGN=3"),
        ("Variable", f"CC_QUEUE={queue}"),
        ("Variable", f"CC_AGENT={agent}"),
        ("Variable", f"CC_AMD={1 if amd else 0}"),
    )
