"""The dialer's check after an agent's hold, asked of the simulated PBX over TCP AMI: a phone a
queue call rings, or that is on one, is taken; an idle one, or an unknown interface, is not."""

from __future__ import annotations

from callcenter.campaigns.agent_hold import phone_taken
from callcenter.cti.connection import AmiConnection
from callcenter.settings import AmiTarget
from sim.pbx.options import PbxOptions
from sim.pbx.pbx import SimulatedPbx
from sim.scenario_file import parse_scenario
from tests.waiting import until

SCENARIO = """
seed = 3
server = "pbx1"

[[queue]]
name = "support"
arrival_rate_per_hour = 0
wrap_up_s = 0
talk = { distribution = "deterministic", mean_s = 4 }

[[agent]]
name = "rob"
interface = "PJSIP/2001"
queues = ["support"]
ring = { distribution = "deterministic", mean_s = 2 }
"""


async def test_a_phone_a_queue_call_rings_or_holds_is_taken_until_the_call_is_over() -> None:
    pbx = SimulatedPbx(
        parse_scenario(SCENARIO, "hold_check.toml"), PbxOptions(auto_arrivals=False, hold_share=0)
    )
    await pbx.start("127.0.0.1", 0)
    link = AmiConnection(
        AmiTarget(host="127.0.0.1", port=pbx.port, username="crm", secret="crmsecret")
    )
    await link.start()
    try:
        assert not await phone_taken(link, "PJSIP/2001")
        assert not await phone_taken(link, "PJSIP/9999")  # in no queue: nothing to say
        pbx.originate("Local/+15551230077@customer/n", "support", "queues", "Ann", None)
        device = pbx.board.devices["rob"]
        await until(lambda: device.status != 1, 10)  # the queue rings rob
        assert await phone_taken(link, "PJSIP/2001")
        await until(lambda: pbx.board.queues["support"].members["rob"].in_call, 10)
        assert await phone_taken(link, "PJSIP/2001")  # answered: on the call
        await until(
            lambda: (
                device.status == 1
                and not any(m.in_call for m in pbx.board.queues["support"].members.values())
            ),
            20,
        )
        assert not await phone_taken(link, "PJSIP/2001")
    finally:
        await link.aclose()
        await pbx.close()
