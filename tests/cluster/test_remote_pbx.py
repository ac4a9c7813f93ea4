"""The console's PBX commands from a process without the AMI connection: PbxControl on
RemoteAmi/RemoteCalls, served over a real Redis by the adapter's own connection to the
simulated PBX (real TCP), confirmed by the PBX's events as in one process."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from agent_ui.member_watch import memberships
from agent_ui.pbx import ConsoleError, PbxControl
from agent_ui.supervisor import member_control
from callcenter.bus import Bus
from callcenter.cti import actions
from callcenter.cti.adapter import PipelineFeed
from callcenter.cti.connection import AmiConnection
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.protocol import ActionRefused, AmiAction, NotConnected
from callcenter.cti.remote import (
    RemoteAmi,
    RemoteCalls,
    pbx_client,
    serving_pbx,
)
from callcenter.redis_link import async_client
from callcenter.settings import AmiTarget
from sim.pbx.pbx import SimulatedPbx
from tests.sim.pbx_client import logged_in, running_pbx, scripted_scenario, send_caller

SERVER = "simpbx"
ALICE, BOB = "PJSIP/1001", "PJSIP/1002"


@dataclass
class Link:
    """Both ends: the PBX process's connection and the web process's control."""

    local: PbxControl
    remote: PbxControl
    connection: AmiConnection
    pipeline: Pipeline
    pbx: SimulatedPbx


@asynccontextmanager
async def pbx_process(
    pbx: SimulatedPbx, redis_url: str
) -> AsyncIterator[tuple[AmiConnection, Pipeline]]:
    """What the active `cti run` holds: the adapter's connection, its tracker, the service."""
    pipeline = Pipeline(server=SERVER, bus=Bus())
    target = AmiTarget(host="127.0.0.1", port=pbx.port, username="crm", secret="crmsecret")
    connection = AmiConnection(
        target, PipelineFeed(pipeline), first_retry=0.05, rng=random.Random(3)
    )
    await connection.start()
    try:
        async with serving_pbx(redis_url, SERVER, connection, pipeline.tracker) as service:
            while not await service.client.exists(f"cc:rpc:alive:pbx:{SERVER}"):
                await asyncio.sleep(0.02)
            yield connection, pipeline
    finally:
        await connection.aclose()
        pipeline.close()


@asynccontextmanager
async def web_process(redis_url: str) -> AsyncIterator[tuple[RemoteAmi, RemoteCalls]]:
    client = async_client(redis_url, command_timeout_s=None)
    rpc = pbx_client(client, SERVER)
    try:
        ami = RemoteAmi(rpc.call, label=SERVER)
        yield ami, RemoteCalls(rpc.call)
        await ami.aclose()
    finally:
        await client.aclose()


@pytest.fixture
async def link(redis_url: str) -> AsyncIterator[Link]:
    scenario = scripted_scenario(bob_human=True)
    async with (
        running_pbx(scenario, speed=10.0) as pbx,
        pbx_process(pbx, redis_url) as (connection, pipeline),
        web_process(redis_url) as (ami, calls),
    ):
        remote = PbxControl(ami, "queues", calls, transfer_confirm_s=5.0)
        local = PbxControl(connection, "queues", pipeline.tracker, transfer_confirm_s=5.0)
        yield Link(local, remote, connection, pipeline, pbx)


async def test_a_pause_and_unpause_from_another_process_are_confirmed(link: Link) -> None:
    assert await member_control.pause(link.remote, ALICE, "Training") == ["support"]
    (support,) = await memberships(link.local, ALICE)
    assert (support.paused, support.paused_reason) == (True, "Training")
    assert await member_control.unpause(link.remote, ALICE) == ["support"]
    (support,) = await memberships(link.remote, ALICE)
    assert support.paused is False


async def test_two_agents_paused_at_once_each_get_their_own_confirmation(link: Link) -> None:
    both = await asyncio.gather(
        member_control.pause(link.remote, ALICE, "Lunch"),
        member_control.pause(link.remote, BOB, "Training"),
    )
    assert both == [["support"], ["support"]]
    alice = await memberships(link.local, ALICE)
    bob = await memberships(link.local, BOB)
    assert [(m.paused, m.paused_reason) for m in (*alice, *bob)] == [
        (True, "Lunch"),
        (True, "Training"),
    ]


async def test_a_refusal_keeps_the_pbx_sentence(link: Link) -> None:
    with pytest.raises(ConsoleError) as here:
        await link.local.pause("PJSIP/9999", "Break")
    with pytest.raises(ConsoleError) as there:
        await link.remote.pause("PJSIP/9999", "Break")
    assert str(there.value) == str(here.value)
    assert str(there.value) == "could not pause: Asterisk refused QueuePause: Interface not found"
    assert isinstance(there.value.__cause__, ActionRefused)
    assert there.value.__cause__.reason == "Interface not found"


async def test_hang_up_finds_the_agents_leg_in_the_pbx_process(link: Link) -> None:
    await member_control.pause(link.remote, ALICE, "Break")
    async with logged_in(link.pbx) as client:
        send_caller(client, "15551230002", "Ben Customer")
        connect = await client.event("AgentConnect")
        await wait_for(lambda: link.pipeline.tracker.agent_channel(BOB, None) is not None)
        await link.remote.hangup(BOB, connect["Linkedid"])
        complete = await client.event("AgentComplete")
    assert complete["Reason"] == "agent"


async def test_a_blind_transfer_is_confirmed_by_the_callers_next_steps(link: Link) -> None:
    await member_control.pause(link.remote, ALICE, "Break")
    async with logged_in(link.pbx) as client:
        send_caller(client, "15551230007", "Gina Customer")
        connect = await client.event("AgentConnect")
        await wait_for(lambda: link.pipeline.tracker.agent_channel(BOB, None) is not None)
        with pytest.raises(ConsoleError, match="no extension nowhere in the dial context queues"):
            await link.remote.blind_transfer(BOB, "nowhere")
        assert await link.remote.blind_transfer(BOB, "sales", connect["Linkedid"]) is True
        await client.event("QueueCallerJoin", Queue="sales")


async def test_a_click_to_dial_outcome_follows_its_action(link: Link) -> None:
    ami = link.remote.connection
    assert isinstance(ami, RemoteAmi)
    result = await actions.originate(
        ami,
        interface=BOB,
        number="15551230009",
        context="outbound",
        wait_for_outcome=True,
        ring_timeout_s=10,
    )
    assert result.answered is True
    assert result.channel is not None and result.channel.startswith(BOB)


async def test_nobody_serving_the_pbx_is_a_sentence_and_nothing_is_sent(redis_url: str) -> None:
    async with web_process(redis_url) as (ami, calls):
        control = PbxControl(ami, "queues", calls)
        with pytest.raises(ConsoleError) as paused:
            await control.pause(ALICE, "Break")
        with pytest.raises(ConsoleError) as hung_up:
            await control.hangup(BOB)
        with pytest.raises(NotConnected):
            await ami.call(AmiAction({"Action": "Ping"}))
    assert str(paused.value) == (
        "could not pause: the PBX link (simpbx) is not answering: no process serves it; "
        "QueuePause was not sent"
    )
    assert "the PBX link (simpbx) is not answering" in str(hung_up.value)


async def test_a_pbx_gone_from_its_process_is_the_pbx_processes_sentence(
    redis_url: str,
) -> None:
    async with (
        running_pbx(scripted_scenario(), speed=10.0) as pbx,
        pbx_process(pbx, redis_url) as (connection, _),
        web_process(redis_url) as (ami, calls),
    ):
        port = pbx.port
        await pbx.close()
        await wait_for(lambda: not connection.connected.is_set())
        remote = PbxControl(ami, "queues", calls)
        with pytest.raises(ConsoleError) as there:
            await remote.pause(ALICE, "Break")
        connection.action_timeout = 1.0
        with pytest.raises(ConsoleError) as here:
            await PbxControl(connection, "queues").pause(ALICE, "Break")
    # The PBX process's own sentence; the web side waits less for a PBX link to come back
    # (RemoteAmi.connect_wait, 2 s) than a console in that process (its action timeout, 1 s).
    sentence = "could not pause: not connected to the PBX at 127.0.0.1:{} within {} s; "
    assert str(there.value) == sentence.format(port, 2) + "nothing was sent"
    assert str(here.value) == sentence.format(port, 1) + "nothing was sent"
    assert type(there.value.__cause__) is NotConnected


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_the_consoles_handlers_cannot_shadow_the_pbx_links(redis_url: str) -> None:
    async def impostor() -> None: ...

    with pytest.raises(ValueError, match=r"served twice: ami\.call"):
        async with serving_pbx(redis_url, SERVER, None, None, {"ami.call": impostor}):  # type: ignore[arg-type]
            pass
