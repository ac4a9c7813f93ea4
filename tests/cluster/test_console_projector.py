"""The consoles as the active PBX process runs them: on the adapter's own AMI link and call
tracker, against the simulated PBX, asked only through the remote facade's JSON."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from agent_ui.console_ops import RemoteConsoleOps
from agent_ui.hub import ConsoleFrame, PopHub
from agent_ui.projector import console_projector
from callcenter.bus import Bus
from callcenter.cti import actions
from callcenter.cti.adapter import LiveAdapter
from callcenter.cti.checkpoint import Checkpoints
from callcenter.db import make_engine
from callcenter.queues.presence import Presence
from callcenter.services import Services
from callcenter.settings import Settings
from callcenter.users.session_key import session_keys
from sim.pbx.pbx import PbxOptions, SimulatedPbx
from sim.scenario_file import parse_scenario
from tests.agent_ui.live_console import add_agent1
from tests.agent_ui.live_stack import ONE_AGENT
from tests.cluster.console_loopback import loopback

Frames = asyncio.Queue[ConsoleFrame | None]


async def until(frames: Frames, kind: str, **fields: Any) -> dict[str, Any]:
    """The next frame of `kind` whose fields have these values."""
    while True:
        frame = await asyncio.wait_for(frames.get(), 30)
        assert frame is not None
        payload: dict[str, Any] = json.loads(frame.text)
        if frame.kind == kind and all(payload.get(k) == v for k, v in fields.items()):
            return payload


async def pbx_says(pbx: SimulatedPbx, holds: Callable[[Any], bool]) -> None:
    """Wait until agent1's membership of support in the PBX satisfies `holds`."""
    deadline = time.monotonic() + 20
    while not holds(pbx.board.queues["support"].members.get("agent1")):
        assert time.monotonic() < deadline, "the PBX never got there"
        await asyncio.sleep(0.02)


async def test_a_wrap_up_runs_in_the_pbx_process_and_ends_when_a_web_worker_asks(
    database_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    with sessions() as session, session.begin():
        add_agent1(session)
    pbx = SimulatedPbx(
        parse_scenario(ONE_AGENT, source="live_stack.toml"),
        PbxOptions(speed=1.0, auto_arrivals=False, hold_share=0),
    )
    await pbx.start("127.0.0.1", 0)
    settings = Settings(
        database_url=database_url,
        ami_url=f"ami://crm:crmsecret@127.0.0.1:{pbx.port}",
        pbx_name="sim",
        secret_key="projector-secret-of-at-least-32-chars",
    )
    assert settings.ami is not None
    engine = make_engine(database_url)
    services = Services(settings, engine, sessions, Bus(), session_keys(settings))
    presence = Presence()
    presence.subscribe(services.bus)
    hub = PopHub(settings.console_replay_frames)
    adapter = LiveAdapter(
        settings.ami,
        server="sim",
        bus=services.bus,
        wrap_up_reason=settings.wrap_up_reason,
        checkpoints=Checkpoints(sessions),
    )
    try:
        projector = console_projector(
            services, presence, adapter.connection, adapter.pipeline.tracker, hub
        )
        async with projector as (consoles, handlers):
            await adapter.start()
            remote = RemoteConsoleOps(loopback(handlers))
            agent1 = consoles.users.seat_of("PJSIP/1001")
            assert agent1 is not None
            frames = (await hub.attach(agent1[0], None)).tab.queue
            await actions.originate(
                adapter.connection,
                interface="Local/+15551230001@customer/n",
                number="support",
                context="queues",
                caller_id='"Ann Customer" <+15551230001>',
            )
            await until(frames, "state", state="on_call")
            linkedid = await remote.call_on_screen(agent1[0])
            assert linkedid is not None
            # A web worker's hangup names the call on screen; the PBX process's link hangs up.
            await consoles.pbx.hangup("PJSIP/1001", linkedid)
            await until(frames, "state", state="wrap_up")
            await pbx_says(pbx, lambda m: (m.paused, m.paused_reason) == (True, "Wrap-up"))
            assert await remote.in_wrap_up(agent1[0]) is True
            await remote.finish_wrap_up(agent1[0])
            await until(frames, "state", state="available")
            await pbx_says(pbx, lambda m: m.paused is False)
            assert (await remote.call_of(agent1[0], linkedid)) is not None
    finally:
        await adapter.stop()
        await pbx.close()
        engine.dispose()
