"""The consoles asked from another process: the remote facade, over a call that goes through
JSON both ways, answers exactly as the local one, errors included (class, status, sentence)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.console_ops import (
    ConsoleOps,
    LocalConsoleOps,
    RemoteConsoleOps,
    console_handlers,
)
from agent_ui.console_state import card_of
from agent_ui.console_wire import ConsolesUnreachable, RemoteConsoleFailure
from agent_ui.consoles import Consoles
from agent_ui.hub import ConsoleFrame, PopHub
from agent_ui.pbx import ConsoleError, NoPbx, UnknownTarget
from agent_ui.projector import console_projector
from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.cti.connection import AmiConnection
from callcenter.db import make_engine, make_sessionmaker
from callcenter.queues.presence import Presence
from callcenter.services import Services
from callcenter.settings import AmiTarget, Settings
from callcenter.users.session_key import session_keys
from crm.exceptions import CrmError, Forbidden, InvalidInput, NotFound
from tests.cluster.console_loopback import loopback
from tests.console_app import Staff, answered, ringing, sign_in_as, state

AGENT1 = "PJSIP/1001"
NOBODY = 999_999


@dataclass
class Floor:
    """The consoles as the PBX's process runs them, the bus feeding them, both facades."""

    bus: Bus
    hub: PopHub
    consoles: Consoles
    local: LocalConsoleOps
    remote: RemoteConsoleOps
    frames: asyncio.Queue[ConsoleFrame | None]
    sessions: sessionmaker[Session]

    async def frame(self, kind: str) -> dict[str, Any]:
        """The next frame of that kind on agent1's console (others skipped)."""
        while True:
            frame = await asyncio.wait_for(self.frames.get(), 10)
            assert frame is not None
            if frame.kind == kind:
                payload: dict[str, Any] = json.loads(frame.text)
                return payload

    async def both(self, ask: Callable[[ConsoleOps], Any]) -> Any:
        """The local and remote answers to the same question, which must be equal."""
        here, there = await ask(self.local), await ask(self.remote)
        assert there == here
        return here


@pytest.fixture
async def floor(settings: Settings, staff: Staff) -> AsyncIterator[Floor]:
    engine = make_engine(settings.database_url)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        bus=Bus(),
        session_keys=session_keys(settings),
    )
    presence = Presence()
    presence.subscribe(services.bus)
    hub = PopHub(settings.console_replay_frames)
    # A link to no PBX (never started): wrap-up pauses are refused, as with the PBX down.
    connection = AmiConnection(AmiTarget(host="127.0.0.1", port=9, username="u", secret="s"))
    async with console_projector(services, presence, connection, None, hub) as (consoles, calls):
        frames = (await hub.attach(staff.ids["agent1"], None)).tab.queue
        yield Floor(
            services.bus,
            hub,
            consoles,
            LocalConsoleOps(consoles),
            RemoteConsoleOps(loopback(calls)),
            frames,
            services.sessions,
        )
    engine.dispose()


async def on_a_call(floor: Floor, linkedid: str) -> None:
    """agent1 rings (a known caller), the card comes, they answer and talk."""
    floor.bus.publish(state(AGENT1, AgentState.AVAILABLE))
    floor.bus.publish(ringing(AGENT1, linkedid))
    floor.bus.publish(state(AGENT1, AgentState.RINGING))
    await floor.frame("card")
    floor.bus.publish(answered(AGENT1, linkedid))
    floor.bus.publish(state(AGENT1, AgentState.ON_CALL))
    while (await floor.frame("state"))["state"] != "on_call":
        pass


async def test_the_remote_answers_are_the_local_ones_during_a_call(
    floor: Floor, staff: Staff, ann: int
) -> None:
    agent1, agent2 = staff.ids["agent1"], staff.ids["agent2"]
    await on_a_call(floor, "c1")
    snapshot = await floor.both(lambda ops: ops.snapshot(agent1))
    assert (snapshot["state"], snapshot["call"]["linkedid"]) == ("on_call", "c1")
    assert snapshot["pop_html"] and snapshot["waiting"] == [
        {"queue": "support", "callers": 0, "oldest": None}
    ]
    assert (await floor.both(lambda ops: ops.snapshot(NOBODY)))["state"] == "logged_out"
    every = await floor.both(lambda ops: ops.snapshots([agent1, agent2, NOBODY]))
    assert list(every) == [agent1, agent2, NOBODY] and every[agent1] == snapshot
    assert await floor.both(lambda ops: ops.call_on_screen(agent1)) == "c1"
    assert await floor.both(lambda ops: ops.call_on_screen(agent2)) is None
    assert await floor.both(lambda ops: ops.in_wrap_up(agent1)) is False
    call = await floor.both(lambda ops: ops.call_of(agent1, "c1"))
    assert (call.customer_id, call.caller_number, call.answered_at is not None) == (
        ann, "+15551230001", True
    )  # fmt: skip
    assert call.rang_at.tzinfo is not None
    assert await floor.both(lambda ops: ops.call_of(agent1, "other")) is None
    assert await floor.both(lambda ops: ops.call_of(agent2, "c1")) is None


async def test_changes_asked_remotely_reach_the_console(
    floor: Floor, staff: Staff, ann: int
) -> None:
    agent1 = staff.ids["agent1"]
    await on_a_call(floor, "c2")
    await floor.remote.consulting(agent1, "agent2")
    assert (await floor.frame("call"))["call"]["consulting"] == "agent2"
    await floor.remote.consulting(agent1, None)
    assert (await floor.frame("call"))["call"]["consulting"] is None
    chosen = await floor.remote.choose_customer(agent1, "c2", ann)
    assert chosen == await floor.local.call_of(agent1, "c2")
    declined = await floor.remote.decline_offer(agent1, "c2")
    assert declined is not None and declined.link_on_answer is False
    assert declined == await floor.local.call_of(agent1, "c2")
    assert await floor.remote.decline_offer(agent1, "gone") is None
    with floor.sessions() as session:
        found = card_of(session, "US", declined)
    assert await floor.remote.show_card(agent1, "c2", found) is True
    card = await floor.frame("card")
    assert (card["linkedid"], card["html"]) == ("c2", found.html)
    assert await floor.local.snapshot(agent1) == await floor.remote.snapshot(agent1)
    assert (await floor.local.snapshot(agent1))["pop_html"] == found.pop_html
    assert await floor.both(lambda ops: ops.show_card(agent1, "other", found)) is False


async def test_a_wrap_up_ends_when_asked_remotely(floor: Floor, staff: Staff, ann: int) -> None:
    agent1 = staff.ids["agent1"]
    await on_a_call(floor, "c3")
    floor.bus.publish(state(AGENT1, AgentState.AVAILABLE))
    assert (await floor.frame("state"))["state"] == "wrap_up"
    assert await floor.both(lambda ops: ops.in_wrap_up(agent1)) is True
    await floor.remote.finish_wrap_up(agent1)
    shown = await floor.frame("state")
    assert (shown["state"], shown["call"]) == ("available", None)
    assert await floor.both(lambda ops: ops.in_wrap_up(agent1)) is False
    # The call stays reachable for notes written after the wrap-up.
    assert (await floor.both(lambda ops: ops.call_of(agent1, "c3"))).linkedid == "c3"


async def test_the_consoles_refusals_keep_class_status_and_sentence(
    floor: Floor, staff: Staff
) -> None:
    agent1 = staff.ids["agent1"]
    for ops in (floor.local, floor.remote):
        with pytest.raises(ConsoleError) as not_in_wrap_up:
            await ops.finish_wrap_up(agent1)
        assert type(not_in_wrap_up.value) is ConsoleError
        assert (not_in_wrap_up.value.status_code, str(not_in_wrap_up.value)) == (
            409, "you are not in wrap-up"
        )  # fmt: skip
        with pytest.raises(ConsoleError, match=r"^that call is no longer on your screen$"):
            await ops.choose_customer(agent1, "gone", 1)


@pytest.mark.parametrize(
    "raised",
    [
        NoPbx("no PBX is connected to this console server"),
        UnknownTarget("the PBX has no extension 77 in context agents"),
        CrmError("that will not do"),
        NotFound("customer", 7),
        InvalidInput("customer_id", "must be a number"),
        Forbidden("agent1 may not change ticket T-1"),
    ],
)
async def test_errors_come_back_as_their_own_class(
    floor: Floor, staff: Staff, monkeypatch: pytest.MonkeyPatch, raised: Exception
) -> None:
    async def refuse(user_id: int) -> None:
        raise raised

    monkeypatch.setattr(floor.consoles, "finish_wrap_up", refuse)
    with pytest.raises(type(raised)) as back:
        await floor.remote.finish_wrap_up(staff.ids["agent1"])
    error = back.value
    assert type(error) is type(raised)
    assert (str(error), getattr(error, "status_code")) == (str(raised), raised.status_code)  # noqa: B009
    # Their parts too (field and message; kind and key, as text).
    assert {k: str(v) for k, v in vars(error).items()} == {
        k: str(v) for k, v in vars(raised).items()
    }


async def test_an_unknown_failure_or_nobody_answering_says_so(
    floor: Floor, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(user_id: int) -> None:
        raise KeyError(user_id)

    monkeypatch.setattr(floor.consoles, "finish_wrap_up", crash)
    with pytest.raises(RemoteConsoleFailure, match=r"^KeyError: "):
        await floor.remote.finish_wrap_up(staff.ids["agent1"])

    async def nobody(method: str, **args: Any) -> Any:
        raise TimeoutError(method)

    with pytest.raises(ConsolesUnreachable) as unreachable:
        await RemoteConsoleOps(nobody).snapshot(staff.ids["agent1"])
    assert unreachable.value.status_code == 503
    assert "not reachable" in str(unreachable.value)


def test_the_console_pages_work_on_the_remote_facade(
    client: TestClient, staff: Staff, ann: int
) -> None:
    """The app's routes, sync and async, with their consoles reached only through JSON."""
    runtime = client.app.state.callcenter.console  # type: ignore[attr-defined]
    runtime.ops = RemoteConsoleOps(loopback(console_handlers(runtime.consoles)))
    bus = client.app.state.callcenter.bus  # type: ignore[attr-defined]
    csrf = sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        assert ws.receive_json()["snapshot"]["state"] == "logged_out"
        bus.publish(state(AGENT1, AgentState.RINGING))
        bus.publish(ringing(AGENT1, "w1", number="+15559870000", name="New Caller"))
        while ws.receive_json()["type"] != "card":
            pass
        made = client.post(
            "/console/customers",
            data={"number": "+15559870000", "name": "New Caller", "linkedid": "w1"},
            headers={"X-CSRF-Token": csrf},
        )
        assert made.status_code == 200, made.text
        while (card := ws.receive_json())["type"] != "card":
            pass
        assert card["call"]["customer_id"] not in (None, ann)
        assert "New Caller" in card["html"]
    done = client.post("/console/wrapup/done", headers={"X-CSRF-Token": csrf})
    assert (done.status_code, done.json()["detail"]) == (409, "you are not in wrap-up")
    page = client.get("/console")
    assert page.status_code == 200 and "New Caller" in page.text
    sign_in_as(client, staff, "admin")
    agents = {a["username"]: a["state"] for a in client.get("/api/agents").json()}
    assert agents["agent1"] == "ringing" and agents["agent3"] == "logged_out"
