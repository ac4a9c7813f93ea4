"""The product routing calls, on real sockets in a background thread: the simulated PBX asks
the app's FastAGI routing server (CALLCENTER_AGI_LISTEN) over TCP, the app follows the PBX
over AMI, the console talks over a websocket.

Callers are sent in by the test (AMI Originate into `from-trunk` with the DID as exten, as a
SIP trunk's INVITE arrives), so nothing rings until the test says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future

from callcenter.cti import actions
from callcenter.cti.connection import AmiConnection
from callcenter.demo import free_loopback_port
from callcenter.settings import AmiTarget, Settings
from sim.pbx.pbx import PbxOptions, SimulatedPbx
from sim.scenario_file import parse_scenario
from tests.agent_ui.live_stack import LiveStack, WebApp, bound_socket, port_of
from tests.waiting import until

SUPPORT_DID = "4930123400"

# support (DID 4930123400): agent1 at the console (PJSIP/1001) and a simulated colleague,
# bot (PJSIP/1002), both at penalty 0; each answers after 1 s, bot talks 3 s.
ROUTED = f"""
seed = 5
server = "sim"

[[queue]]
name = "support"
numbers = ["{SUPPORT_DID}"]
strategy = "ringall"
arrival_rate_per_hour = 1
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 0
member_timeout_s = 15
retry_s = 1
timeout_s = 300
talk = {{ distribution = "deterministic", mean_s = 3 }}
patience = {{ distribution = "deterministic", mean_s = 600 }}

[[agent]]
name = "agent1"
interface = "PJSIP/1001"
human = true
queues = ["support"]
max_talk_s = 900
ring = {{ distribution = "deterministic", mean_s = 1 }}

[[agent]]
name = "bot"
interface = "PJSIP/1002"
queues = ["support"]
ring = {{ distribution = "deterministic", mean_s = 1 }}
"""


class RoutedStack(LiveStack):
    """The live stack whose PBX routes DID callers by the app's FastAGI server."""

    agi_url: str = ""

    def dial_did(self, number: str, name: str, did: str = SUPPORT_DID) -> None:
        """A caller dials `did` from the trunk: the PBX asks the routing server first."""
        self.run(
            actions.originate(
                self.ami,
                interface=f"PJSIP/{number}@trunk",
                number=did,
                context="from-trunk",
                caller_id=f'"{name}" <{number}>',
            )
        )

    def pause(self, interface: str, paused: bool) -> None:
        """Pause or unpause a member in every queue (QueuePause over AMI)."""
        act = actions.pause_member if paused else actions.unpause_member
        self.run(act(self.ami, interface=interface))

    def until_pbx(self, holds: Callable[[SimulatedPbx], bool]) -> None:
        """Wait, on the stack's loop, until the PBX's state satisfies `holds`."""
        self.run(until(lambda: holds(self.pbx)))


@contextlib.contextmanager
def routed_stack(database_url: str) -> Iterator[RoutedStack]:
    """Start the PBX (routing by the app), the app (routing server, CTI, console); stop all."""
    ready: Future[RoutedStack] = Future()
    listening = bound_socket()
    web_port = port_of(listening)

    async def main() -> None:
        agi_port = free_loopback_port()
        agi_url = f"agi://127.0.0.1:{agi_port}/route"
        scenario = parse_scenario(ROUTED, source="routed_stack.toml")
        options = PbxOptions(auto_arrivals=False, hold_share=0, agi_url=agi_url)
        pbx = SimulatedPbx(scenario, options)
        await pbx.start("127.0.0.1", 0)
        settings = Settings(
            database_url=database_url,
            ami_url=f"ami://crm:crmsecret@127.0.0.1:{pbx.port}",
            pbx_name="sim",
            secret_key="routed-stack-secret-of-at-least-32-chars",
            sla_check_interval_s=3600,
            agi_listen=f"127.0.0.1:{agi_port}",
        )
        web = await WebApp.start(settings, listening)
        ami = AmiConnection(
            AmiTarget(host="127.0.0.1", port=pbx.port, username="crm", secret="crmsecret")
        )
        await ami.start()
        loop = asyncio.get_running_loop()
        stack = RoutedStack(settings, f"http://127.0.0.1:{web_port}", loop, pbx, ami, web)
        stack.agi_url = agi_url
        ready.set_result(stack)
        await stack.stopped.wait()
        await ami.aclose()
        await stack.web.stop()
        await pbx.close()

    def thread_main() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    with listening:
        thread = threading.Thread(target=thread_main, name="routed-stack", daemon=True)
        thread.start()
        stack = ready.result(timeout=30)
        try:
            yield stack
        finally:
            stack.loop.call_soon_threadsafe(stack.stopped.set)
            thread.join(timeout=30)
