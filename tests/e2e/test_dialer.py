"""The dialer over a real TCP AMI conversation: progressive lines for free agents only,
do-not-call at dial time, the abandon cap under a burst of answers, and a restart mid-campaign."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.models import Call
from callcenter.calls.records import AgentState
from callcenter.campaigns import dial_wiring
from callcenter.campaigns import dialer as dialer_module
from callcenter.campaigns.abandon_cap import abandon_count
from callcenter.campaigns.dial_wiring import (
    RemoteDialer,
    active_dialer,
    dialer_handlers,
    running_dialer,
)
from callcenter.campaigns.dialer import Dialer, DialRefused
from callcenter.campaigns.enums import Outcome
from callcenter.campaigns.models import Campaign, DialAttempt, DncEntry, Lead
from callcenter.campaigns.picking import reserve
from callcenter.cti.connection import AmiConnection
from callcenter.events import (
    AgentStateChanged,
    CallAnswered,
    CampaignLeadOffered,
    DialAttemptEnded,
    DomainEvent,
)
from callcenter.local_bus import Bus
from callcenter.pbx_active import ActivePbx
from callcenter.queues.presence import Presence
from callcenter.redis_link import async_client
from callcenter.rpc import RpcClient, serving
from callcenter.settings import AmiTarget, Settings
from callcenter.users.models import User
from tests.campaigns.dialer_data import NOON, agents, campaign
from tests.e2e.dialer_pbx import DialPbx
from tests.waiting import until

SERVER = "pbx1"


@pytest.fixture
async def pbx() -> AsyncIterator[DialPbx]:
    server = DialPbx()
    await server.start()
    yield server
    await server.stop()


class Floor:
    """The bus, the presence the dialer reads, and every event published."""

    def __init__(self) -> None:
        self.bus = Bus()
        self.presence = Presence()
        self.presence.subscribe(self.bus)
        self.events: list[DomainEvent] = []
        self.bus.subscribe(DomainEvent, self.events.append)

    def available(self, *names: str, queue: str = "sales") -> None:
        for name in names:
            self.state(name, AgentState.AVAILABLE, queue=queue)

    def state(
        self, name: str, state: AgentState, reason: str | None = None, queue: str = "sales"
    ) -> None:
        """The PBX reports agent `name` (phone PJSIP/<name>) in `state`."""
        self.bus.publish(
            AgentStateChanged(
                at=NOON,
                server=SERVER,
                agent=name,
                interface=f"PJSIP/{name}",
                state=state,
                reason=reason,
                queue=queue,
                queues=(queue,),
            )
        )

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


class Greedy:
    """Pacing that always asks for three lines per free agent: whatever a pacer says, the
    dialer's own hard cap decides how many lines go out."""

    def __init__(self, *, ratio: float = 1.0, **_: Any) -> None:
        self.ratio = ratio

    def lines_to_dial(self, *, free_agents: int, lines_in_progress: int, **_: Any) -> int:
        return max(3 * free_agents - lines_in_progress, 0)

    def record_dial(self, now: float) -> None: ...

    def record_outcome(self, outcome: Outcome, now: float, **_: Any) -> None: ...

    def record_talk(self, talk_s: float, now: float, **_: Any) -> None: ...


@contextlib.asynccontextmanager
async def dialer(
    sessions: sessionmaker[Session],
    pbx: DialPbx,
    floor: Floor,
    action_timeout: float = 10.0,
    server: str = SERVER,
    **options: Any,
) -> AsyncIterator[Dialer]:
    assert pbx.server is not None
    port = pbx.server.sockets[0].getsockname()[1]
    connection = AmiConnection(
        AmiTarget(host="127.0.0.1", port=port, username="u", secret="s"),
        action_timeout=action_timeout,
    )
    await connection.start()
    running = Dialer(
        pbx=connection,
        sessions=sessions,
        bus=floor.bus,
        presence=floor.presence,
        server=server,
        tick_s=0.01,
        clock=lambda: NOON,
        **options,
    )
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        await connection.aclose()


def attempt(sessions: sessionmaker[Session], attempt_id: int) -> DialAttempt:
    with sessions() as session:
        row = session.get(DialAttempt, attempt_id)
        assert row is not None
        session.expunge(row)
        return row


def ended(sessions: sessionmaker[Session], attempt_ids: list[int]) -> bool:
    return all(attempt(sessions, i).state == "ended" for i in attempt_ids)


def lead_of(sessions: sessionmaker[Session], attempt_id: int) -> Lead:
    with sessions() as session:
        row = session.get(DialAttempt, attempt_id)
        assert row is not None
        lead = session.get(Lead, row.lead_id)
        assert lead is not None
        session.expunge(lead)
        return lead


async def test_progressive_dials_one_line_per_free_agent_and_never_abandons(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann", "bob")
    cid = campaign(sessions, 5, caller_id="+4930999", detect_machines=True)
    floor = Floor()
    floor.available("ann", "bob")
    async with dialer(sessions, pbx, floor) as running:
        await until(lambda: len(pbx.originated) == 2)
        first, second = pbx.originated
        assert {first.variables["CC_AGENT"], second.variables["CC_AGENT"]} == {
            "PJSIP/ann",
            "PJSIP/bob",
        }
        assert first.headers["Context"] == "campaign-dial" and first.headers["Exten"] == "s"
        assert first.channel.startswith("PJSIP/+49301") and first.channel.endswith("@trunk")
        assert first.headers["CallerID"] == "+4930999"
        assert first.variables["CC_CAMPAIGN"] == str(cid)
        assert (first.variables["CC_QUEUE"], first.variables["CC_AMD"]) == ("sales", "1")
        assert first.action_id == attempt(sessions, first.attempt).action_id
        assert first.headers["ChannelId"] == first.action_id  # the call's Linkedid
        assert attempt(sessions, first.attempt).linkedid == first.action_id
        # Both agents are held by their calls: no third line while they are.
        await running.tick()
        assert len(pbx.originated) == 2

        # The first customer answers and is bridged with the reserved agent.
        name, uniqueid = pbx.answer(first)
        agent = first.variables["CC_AGENT"]
        pbx.bridge_agent(uniqueid, agent)
        await until(lambda: len(floor.of(CampaignLeadOffered)) == 1)
        assert attempt(sessions, first.attempt).state == "connected"
        offered = floor.of(CampaignLeadOffered)
        assert [(o.agent, o.attempt_id) for o in offered] == [(agent[6:], first.attempt)]
        assert lead_of(sessions, first.attempt).state == "in_call"

        # The second line is busy: its agent is free again and gets the next lead.
        # Over a PJSIP trunk a busy number says Reason 0: its hangup cause names it.
        pbx.fail(second, reason=0, cause=17)
        await until(lambda: attempt(sessions, second.attempt).state == "ended")
        busy = attempt(sessions, second.attempt)
        assert (busy.outcome, busy.reason, busy.hangup_cause) == ("busy", 0, 17)
        retried = lead_of(sessions, second.attempt)
        assert (retried.state, retried.next_at) == ("open", NOON + timedelta(minutes=10))
        await until(lambda: len(pbx.originated) == 3)
        assert pbx.originated[2].variables["CC_AGENT"] == second.variables["CC_AGENT"]

        pbx.hangup(name, uniqueid)
        await until(lambda: attempt(sessions, first.attempt).state == "ended")
        answered = attempt(sessions, first.attempt)
        assert answered.outcome == "answered" and answered.agent == agent[6:]
        assert answered.linkedid == uniqueid == first.action_id and answered.server == SERVER
    ended = floor.of(DialAttemptEnded)
    assert {e.outcome for e in ended} <= {"answered", "busy"}
    assert all(call.variables["CC_AGENT"] for call in pbx.originated)  # never to the queue
    with sessions() as session:
        outcomes = session.scalars(select(DialAttempt.outcome)).all()
        assert "abandoned" not in outcomes


def holds(pbx: DialPbx) -> list[tuple[str, str, str]]:
    """The QueuePause actions sent, in order: (interface, Paused, Reason)."""
    return [
        (a["Interface"], a["Paused"], a.get("Reason", ""))
        for a in pbx.actions
        if a["Action"] == "QueuePause"
    ]


async def test_the_reserved_agent_is_held_from_the_dial_until_put_through_or_the_end(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    """While their customer rings, the agent's phone is paused in their queues (an inbound
    call could take them, and the answered customer would find them busy); the pause is lifted
    once the customer is put through, or when the attempt ends without them."""
    agents(sessions, "ann", "bob")
    campaign(sessions, 4)
    floor = Floor()
    floor.available("ann", "bob")
    async with dialer(sessions, pbx, floor):
        await until(lambda: len(pbx.originated) == 2)
        first, second = sorted(pbx.originated, key=lambda c: c.variables["CC_AGENT"])
        for call in (first, second):
            interface = call.variables["CC_AGENT"]
            pause = pbx.actions.index(
                next(a for a in pbx.actions if a.get("Interface") == interface)
            )
            assert pbx.actions[pause] | {"ActionID": ""} == {
                "Action": "QueuePause",
                "Interface": interface,
                "Paused": "true",
                "Reason": "Campaign call",
                "ActionID": "",
            }
            assert "Queue" not in pbx.actions[pause]  # in every queue of theirs
            originate = next(
                i
                for i, a in enumerate(pbx.actions)
                if a["Action"] == "Originate" and a["ActionID"] == call.action_id
            )
            assert pause < originate
        # ann's customer answers and is put through: ann's hold is lifted.
        name, uniqueid = pbx.answer(first)
        pbx.bridge_agent(uniqueid, "PJSIP/ann")
        await until(lambda: ("PJSIP/ann", "false", "") in holds(pbx))
        await until(lambda: attempt(sessions, first.attempt).state == "connected")
        # bob's number is busy: bob's hold is lifted with the attempt's end.
        pbx.fail(second, reason=5, cause=17)
        await until(lambda: ("PJSIP/bob", "false", "") in holds(pbx))
        assert attempt(sessions, second.attempt).outcome == "busy"
        pbx.hangup(name, uniqueid)
        await until(lambda: attempt(sessions, first.attempt).state == "ended")
    assert holds(pbx).count(("PJSIP/ann", "false", "")) == 1  # not again at the end


async def test_an_agent_paused_by_themselves_meanwhile_stays_paused(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann")
    campaign(sessions, 2)
    floor = Floor()
    floor.available("ann")
    async with dialer(sessions, pbx, floor):
        await until(lambda: len(pbx.originated) == 1)
        (call,) = pbx.originated
        floor.state("ann", AgentState.PAUSED, "Lunch")
        pbx.fail(call, reason=3, cause=19)
        await until(lambda: attempt(sessions, call.attempt).state == "ended")
        await asyncio.sleep(0.1)
    assert holds(pbx) == [("PJSIP/ann", "true", "Campaign call")]


async def test_an_agent_in_no_queue_is_dialled_for_without_a_hold(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann")
    campaign(sessions, 2)
    floor = Floor()
    floor.available("ann")
    pbx.not_members.add("PJSIP/ann")
    async with dialer(sessions, pbx, floor):
        await until(lambda: len(pbx.originated) == 1)
        (call,) = pbx.originated
        pbx.fail(call, reason=3, cause=19)
        await until(lambda: attempt(sessions, call.attempt).state == "ended")
        await asyncio.sleep(0.1)
    # Refused (each lead's try asks again); nothing to lift.
    assert set(holds(pbx)) == {("PJSIP/ann", "true", "Campaign call")}


def leads(sessions: sessionmaker[Session]) -> list[tuple[str, int, str | None]]:
    """(state, attempts, owner) of every lead, by id."""
    with sessions() as session:
        rows = session.scalars(select(Lead).order_by(Lead.id))
        return [(lead.state, lead.attempts, lead.owner) for lead in rows]


async def test_an_agent_rung_by_a_queue_call_before_the_hold_is_not_dialled_for(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    """A queue call may ring the agent between the dialer reading them free and the PBX
    confirming their hold (a pause does not stop a ring under way). Their customer is then not
    dialled: the hold is lifted, the attempt given back untouched, and the lead dialled for
    them once their phone is free again."""
    agents(sessions, "ann")
    campaign(sessions, 2)
    floor = Floor()
    pbx.device_states["PJSIP/ann"] = 6  # RINGING: a support call reached her first
    floor.available("ann")  # her presence has not heard of it yet
    async with dialer(sessions, pbx, floor, taken_backoff_s=0.3) as running:
        await until(lambda: ("PJSIP/ann", "false", "") in holds(pbx))
        assert pbx.originated == [] and running.live == {}
        with sessions() as session:
            assert session.scalars(select(DialAttempt)).all() == []
        assert leads(sessions) == [("open", 0, None), ("open", 0, None)]
        # Passed over for a while: no hold after hold while her presence catches up.
        await asyncio.sleep(0.1)
        assert holds(pbx) == [("PJSIP/ann", "true", "Campaign call"), ("PJSIP/ann", "false", "")]
        # She took that call and is free again: her customer is dialled, as attempt 1.
        pbx.device_states.pop("PJSIP/ann")
        await until(lambda: len(pbx.originated) == 1)
        (call,) = pbx.originated
        assert attempt(sessions, call.attempt).number == 1
        assert sorted(leads(sessions)) == [("dialing", 1, None), ("open", 0, None)]


async def test_a_preview_call_refused_while_the_agents_phone_rings_keeps_the_lead_for_them(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann")
    campaign(sessions, 1, mode="preview")
    floor = Floor()
    floor.available("ann")
    async with dialer(sessions, pbx, floor) as running:
        offer = await running.preview_next("ann")
        assert offer is not None
        pbx.device_states["PJSIP/ann"] = 2  # INUSE: on a queue call already
        with pytest.raises(DialRefused, match="took another call first"):
            await running.dial_preview("ann", offer.lead_id)
        assert pbx.originated == []
        assert holds(pbx) == [("PJSIP/ann", "true", "Campaign call"), ("PJSIP/ann", "false", "")]
        assert leads(sessions) == [("reserved", 0, "ann")]
        assert await running.preview_next("ann") == offer  # still hers, after a reload too
        pbx.device_states.clear()
        attempt_id = await running.dial_preview("ann", offer.lead_id)
        await until(lambda: len(pbx.originated) == 1)
        assert pbx.originated[0].attempt == attempt_id
        assert attempt(sessions, attempt_id).number == 1


async def test_a_hold_left_by_a_run_that_ended_mid_attempt_is_lifted(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann")
    campaign(sessions, 0)
    floor = Floor()
    floor.state("ann", AgentState.PAUSED, "Campaign call")
    async with dialer(sessions, pbx, floor, sweep_every_s=0.1):
        await until(lambda: holds(pbx) == [("PJSIP/ann", "false", "")])


async def test_an_attempt_adopted_after_a_restart_keeps_its_agent_held_until_put_through(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann")
    campaign(sessions, 1)
    floor = Floor()
    floor.available("ann")
    async with dialer(sessions, pbx, floor):
        await until(lambda: len(pbx.originated) == 1)
        (call,) = pbx.originated
        channel = pbx.channel_up(call)  # ringing when the run ends
        await until(lambda: attempt(sessions, call.attempt).linkedid is not None)
    assert holds(pbx) == [("PJSIP/ann", "true", "Campaign call")]
    floor2 = Floor()
    floor2.state("ann", AgentState.PAUSED, "Campaign call")
    async with dialer(sessions, pbx, floor2, sweep_every_s=0.05) as second:
        assert call.attempt in second.live  # adopted: the PBX still has its call
        await asyncio.sleep(0.3)  # sweeps: ann is held for an attempt still live
        assert holds(pbx) == [("PJSIP/ann", "true", "Campaign call")]
        _, uniqueid = pbx.answer(call, channel=channel)
        pbx.bridge_agent(uniqueid, "PJSIP/ann")
        await until(lambda: ("PJSIP/ann", "false", "") in holds(pbx))
        await until(lambda: attempt(sessions, call.attempt).state == "connected")


async def test_a_number_put_on_do_not_call_after_import_is_never_originated(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann", "bob")
    cid = campaign(sessions, 3)
    with sessions() as session:
        session.add(DncEntry(number="+4930100000", campaign_id=None, reason="asked"))
        session.add(DncEntry(number="+4930100001", campaign_id=cid, reason="asked"))
        session.commit()
    floor = Floor()
    floor.available("ann", "bob")
    async with dialer(sessions, pbx, floor) as running:
        await until(lambda: len(pbx.originated) == 1)
        await running.tick()
        assert [c.channel for c in pbx.originated] == ["PJSIP/+4930100002@trunk"]
        # Listed between the pick and the Originate: the Originate path itself refuses.
        with sessions() as session:
            row = session.get(Campaign, cid)
            assert row is not None
            lead = session.scalars(select(Lead).where(Lead.number == "+4930100002")).one()
            lead.state, lead.attempts = "open", 1
            session.query(DialAttempt).update({"state": "ended", "outcome": "busy"})
            session.commit()
            (late,) = reserve(session, row, [None], NOON)
            session.add(DncEntry(number="+4930100002", campaign_id=None, reason="asked"))
            session.commit()
            session.expunge(row)
        assert (
            await running._dial(row, late)
            == "this number is on a do-not-call list; it may not be dialled"
        )
        assert len(pbx.originated) == 1
    with sessions() as session:
        assert set(session.scalars(select(Lead.state))) == {"blocked"}


async def test_a_database_error_before_the_originate_ends_the_attempt_and_frees_its_line(
    sessions: sessionmaker[Session], pbx: DialPbx, monkeypatch: pytest.MonkeyPatch
) -> None:
    agents(sessions, "ann")
    cid = campaign(sessions, 2, retry_gaps_min={"unknown": 0})
    floor = Floor()  # nobody free: the dialer dials only what the test hands it
    async with dialer(sessions, pbx, floor) as running:
        with sessions() as session:
            row = session.get(Campaign, cid)
            assert row is not None
            (reservation,) = reserve(session, row, [None], NOON)
            session.expunge(row)

        def lost(*_: Any, **__: Any) -> None:
            raise OperationalError("UPDATE dial_attempts", {}, Exception("connection lost"))

        monkeypatch.setattr(dialer_module, "_mark_dialing", lost)
        assert await running._dial(row, reservation) == "the PBX did not accept the call"
        await until(lambda: attempt(sessions, reservation.attempt_id).state == "ended")
        await until(lambda: running.live == {})  # no line counted in progress, no agent held
        assert attempt(sessions, reservation.attempt_id).outcome == "unknown"
        assert lead_of(sessions, reservation.attempt_id).state == "open"  # dialled again later
        assert pbx.originated == []


async def test_an_end_that_could_not_be_stored_is_stored_on_a_later_try(
    sessions: sessionmaker[Session], pbx: DialPbx, monkeypatch: pytest.MonkeyPatch
) -> None:
    agents(sessions, "ann")
    campaign(sessions, 1)
    floor = Floor()
    floor.available("ann")
    monkeypatch.setattr(dialer_module, "END_RETRY_S", 0.05)
    close = dialer_module._close
    failures: list[int] = []

    def flaky(session: Session, **values: Any) -> None:
        if not failures:
            failures.append(values["attempt_id"])
            raise OperationalError("UPDATE dial_attempts", {}, Exception("connection lost"))
        close(session, **values)

    monkeypatch.setattr(dialer_module, "_close", flaky)
    async with dialer(sessions, pbx, floor) as running:
        await until(lambda: len(pbx.originated) == 1)
        (call,) = pbx.originated
        pbx.fail(call, reason=5, cause=None)  # busy
        await until(lambda: attempt(sessions, call.attempt).state == "ended")
        assert failures == [call.attempt]
        assert attempt(sessions, call.attempt).outcome == "busy"
        await until(lambda: call.attempt not in running.live)  # ann is free again


async def test_a_campaign_paused_during_a_round_stays_paused_and_is_not_dialled(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann")
    cid = campaign(sessions, 2)
    floor = Floor()
    async with dialer(sessions, pbx, floor) as running:
        async with running._lock:  # the round, step by step
            (read,) = await running._db(dialer_module._running_campaigns)
            with sessions() as session:  # the supervisor pauses it meanwhile
                row = session.get(Campaign, cid)
                assert row is not None
                row.state = "paused"
                session.commit()
            floor.available("ann")
            await running._progressive(read, await running._free_seats())
        assert pbx.originated == []
        with sessions() as session:
            assert session.scalar(select(Campaign.state).where(Campaign.id == cid)) == "paused"
            assert session.scalars(select(DialAttempt)).all() == []


async def test_a_preview_is_held_then_dialled_for_the_agent_and_refused_when_blocked(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann")
    campaign(sessions, 2, mode="preview")
    floor = Floor()
    async with dialer(sessions, pbx, floor) as running:
        assert await running.preview_next("ann") is None  # not signed in to its queue
        floor.available("ann")
        offer = await running.preview_next("ann")
        assert offer is not None
        again = await running.preview_next("ann")  # a reload shows the same lead
        assert again == offer
        await running.skip_preview("ann", offer.lead_id)
        other = await running.preview_next("ann")
        assert other is not None and other.lead_id != offer.lead_id
        attempt_id = await running.dial_preview("ann", other.lead_id)
        await until(lambda: len(pbx.originated) == 1)
        assert pbx.originated[0].attempt == attempt_id
        assert pbx.originated[0].variables["CC_AGENT"] == "PJSIP/ann"
        # The skipped lead is listed as do-not-call before the agent calls it.
        with sessions() as session:
            session.add(DncEntry(number=offer.number, campaign_id=None, reason="asked"))
            session.commit()
        pbx.fail(pbx.originated[0], reason=3, cause=19)
        await until(lambda: attempt(sessions, attempt_id).outcome == "no_answer")
        # The blocked lead is never offered again, and cannot be dialled by its id.
        assert await running.preview_next("ann") is None
        with pytest.raises(DialRefused, match="not held"):
            await running.dial_preview("ann", offer.lead_id)
    with sessions() as session:
        assert session.get(Lead, offer.lead_id).state == "blocked"  # type: ignore[union-attr]
    assert len(pbx.originated) == 1


async def test_the_abandon_cap_holds_under_a_burst_of_answers(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann", "bob")
    cid = campaign(sessions, 200, mode="predictive", dial_ratio=3.0, abandon_cap=0.03)
    # Earlier today: 100 answered calls, none abandoned.
    with sessions() as session:
        filler = session.scalars(select(Lead).limit(100)).all()
        for lead in filler:
            lead.state, lead.attempts = "done", 1
            session.add(
                DialAttempt(
                    campaign_id=cid,
                    lead_id=lead.id,
                    number=1,
                    mode="predictive",
                    state="ended",
                    outcome="answered",
                    dialed_number=lead.number,
                    reserved_at=NOON - timedelta(hours=2),
                    dialed_at=NOON - timedelta(hours=2),
                    answered_at=NOON - timedelta(hours=2) + timedelta(seconds=10),
                    connected_at=NOON - timedelta(hours=2) + timedelta(seconds=11),
                    ended_at=NOON - timedelta(hours=2) + timedelta(seconds=131),
                    talk_s=120.0,
                )
            )
        session.commit()
    floor = Floor()
    floor.available("ann", "bob")
    abandoned = 0
    async with dialer(sessions, pbx, floor, pacer_factory=Greedy) as running:
        for _ in range(6):
            await until(lambda: len(pbx.originated) > 0 and not running._frames.qsize())
            await running.tick()
            burst = [c for c in pbx.originated if c.attempt in running.live]
            # Every line answers at once: two reach the agents, the rest are abandoned.
            calls = [(call, pbx.answer(call)) for call in burst]
            for n, (call, (name, uniqueid)) in enumerate(calls):
                if n < 2:
                    pbx.bridge_agent(uniqueid, ("PJSIP/ann", "PJSIP/bob")[n])
                else:
                    pbx.user_event(call, name, uniqueid, "abandoned")
                    abandoned += 1
            for _, (name, uniqueid) in calls:
                pbx.hangup(name, uniqueid)
            ids = [call.attempt for call in burst]
            await until(partial(ended, sessions, ids))
            with sessions() as session:
                count = abandon_count(session, cid, NOON)
            assert count.rate <= 0.03, count
    assert abandoned > 0  # it did dial more lines than agents while the cap allowed it
    assert count.abandoned == abandoned


async def test_a_restart_mid_campaign_never_dials_an_attempt_twice(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann", "bob")
    cid = campaign(sessions, 6, retry_gaps_min={"unknown": 0})
    paced = campaign(sessions, 0, name="paced", mode="predictive", dial_ratio=2.5)
    floor = Floor()
    floor.available("ann", "bob")
    async with dialer(sessions, pbx, floor) as first:
        assert first.pacers[paced].ratio == 2.5  # as stored, before its first decision
        await until(lambda: len(pbx.originated) == 2)
        talking, ringing = pbx.originated
        name, uniqueid = pbx.answer(talking)
        pbx.bridge_agent(uniqueid, talking.variables["CC_AGENT"])
        ring_channel = pbx.channel_up(ringing)
        await until(lambda: attempt(sessions, talking.attempt).state == "connected")
        await until(lambda: attempt(sessions, ringing.attempt).linkedid is not None)
        with sessions() as session:  # the ratio the pacer reached, as stored
            session.get(Campaign, paced).dial_ratio = 1.75  # type: ignore[union-attr]
            session.commit()
    # While the dialer was down the ringing call ended; a reserved attempt was never sent.
    pbx.channels.pop(ring_channel[1])
    with sessions() as session:
        row = session.get(Campaign, cid)
        assert row is not None
        (unsent,) = reserve(session, row, [None], NOON)
    sent_before = len(pbx.originated)
    floor2 = Floor()
    floor2.available("ann", "bob")
    async with dialer(sessions, pbx, floor2) as second:
        assert second.pacers[paced].ratio == 1.75  # resumed as stored
        assert talking.attempt in second.live  # adopted: the PBX still has its call
        assert attempt(sessions, ringing.attempt).outcome == "unknown"
        assert attempt(sessions, unsent.attempt_id).outcome == "unknown"
        # The agent of the adopted call stays held; the other gets a new attempt.
        await until(lambda: len(pbx.originated) == sent_before + 1)
        await second.tick()
        assert len(pbx.originated) == sent_before + 1
        pbx.hangup(name, uniqueid)
        await until(lambda: attempt(sessions, talking.attempt).state == "ended")
    assert attempt(sessions, talking.attempt).outcome == "answered"
    assert lead_of(sessions, talking.attempt).state == "in_call"  # awaiting its disposition
    sent = [call.attempt for call in pbx.originated]
    assert len(sent) == len(set(sent))  # no attempt originated twice
    assert len({call.action_id for call in pbx.originated}) == len(sent)
    with sessions() as session:
        rows = session.execute(select(DialAttempt.lead_id, DialAttempt.number)).all()
        assert len(rows) == len(set(rows))
        assert unsent.attempt_id not in sent


async def test_a_dialer_starting_for_another_pbx_leaves_this_pbxs_calls_alone(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    """Two PBXs' dialers share the database: one that starts (or restarts) settles its own
    PBX's open attempts only, never a call still ringing on the other PBX."""
    agents(sessions, "ann")
    campaign(sessions, 1)
    floor = Floor()
    floor.available("ann")
    other = DialPbx()
    await other.start()
    try:
        async with dialer(sessions, pbx, floor):
            await until(lambda: len(pbx.originated) == 1)
            (call,) = pbx.originated
            channel = pbx.channel_up(call)  # ringing on this PBX
            await until(lambda: attempt(sessions, call.attempt).linkedid is not None)
            async with dialer(sessions, other, Floor(), server="pbx2"):
                ringing = attempt(sessions, call.attempt)
                assert (ringing.state, ringing.outcome, ringing.server) == ("dialing", None, SERVER)
            name, uniqueid = pbx.answer(call, channel=channel)
            pbx.bridge_agent(uniqueid, "PJSIP/ann")
            await until(lambda: attempt(sessions, call.attempt).state == "connected")
            pbx.hangup(name, uniqueid)
            await until(lambda: attempt(sessions, call.attempt).state == "ended")
    finally:
        await other.stop()
    assert attempt(sessions, call.attempt).outcome == "answered"
    assert other.originated == []  # the other PBX's dialer had no free agent of its own


async def test_an_attempt_without_a_channel_gets_its_own_call_record(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann")
    cid = campaign(sessions, 1, max_attempts=1)
    floor = Floor()
    floor.available("ann")
    async with dialer(sessions, pbx, floor):
        await until(lambda: len(pbx.originated) == 1)
        (call,) = pbx.originated
        pbx.fail(call, reason=8, cause=None, channel=False)
        await until(lambda: attempt(sessions, call.attempt).state == "ended")
    with sessions() as session:
        record = session.scalars(select(Call)).one()
        # The record reads back as a call that reached nobody; the attempt keeps the reason.
        assert (record.direction, record.campaign_id, record.outcome) == ("outbound", cid, "failed")
        assert attempt(sessions, call.attempt).outcome == "congestion"
        assert record.dialed_number == "+4930100000"
        assert record.linkedid == call.action_id
        assert session.scalars(select(Lead.state)).one() == "exhausted"


@pytest.mark.parametrize(
    ("reason", "cause", "local", "outcome"),
    [
        (0, 17, True, "busy"),  # Local trunk: the response first, the cause on `;2` after
        (0, 34, False, "congestion"),
        (0, 21, True, "failed"),  # rejected
        (3, 19, True, "no_answer"),
        (0, None, False, "failed"),  # no cause ever comes: failed, once it is clear
    ],
)
async def test_a_failed_originate_is_named_by_its_reason_and_hangup_cause(
    sessions: sessionmaker[Session],
    pbx: DialPbx,
    reason: int,
    cause: int | None,
    local: bool,
    outcome: str,
) -> None:
    agents(sessions, "ann")
    campaign(sessions, 1)
    floor = Floor()
    floor.available("ann")
    async with dialer(sessions, pbx, floor):
        await until(lambda: len(pbx.originated) == 1)
        (call,) = pbx.originated
        pbx.fail(call, reason=reason, cause=cause, local=local, channel=cause is not None)
        await until(lambda: len(floor.of(DialAttemptEnded)) == 1)
        await until(lambda: attempt(sessions, call.attempt).hangup_cause == cause)
    ended = attempt(sessions, call.attempt)
    assert (ended.outcome, ended.reason, ended.hangup_cause) == (outcome, reason, cause)
    (event,) = floor.of(DialAttemptEnded)
    assert (event.outcome, event.attempt_id) == (outcome, call.attempt)


async def test_a_console_in_another_process_previews_and_dials_through_the_rpc(
    sessions: sessionmaker[Session], pbx: DialPbx, redis_url: str
) -> None:
    agents(sessions, "ann")
    campaign(sessions, 2, mode="preview")
    floor = Floor()
    floor.available("ann")
    client = async_client(redis_url)
    async with dialer(sessions, pbx, floor) as running:
        dial_wiring._RUNNING[SERVER] = running
        try:
            async with serving(redis_url, "pbx:pbx1", dialer_handlers(SERVER)):
                rpc = RpcClient(client, "pbx:pbx1")
                remote = RemoteDialer(rpc.call)
                offer = await remote.preview_next("ann")
                assert offer is not None and offer == await remote.preview_next("ann")
                attempt_id = await remote.dial_preview("ann", offer.lead_id)
                await until(lambda: len(pbx.originated) == 1)
                assert pbx.originated[0].attempt == attempt_id
                with pytest.raises(DialRefused, match="not held"):
                    await remote.dial_preview("ann", offer.lead_id)
        finally:
            dial_wiring._RUNNING.pop(SERVER, None)
            await client.aclose()


async def test_the_active_cti_run_starts_its_dialer_once_the_pbx_is_connected(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann")
    # This dialer reads the real clock: calling hours all day, every day.
    campaign(sessions, 1, hours_start_min=0, hours_end_min=24 * 60, weekdays=list(range(1, 8)))
    floor = Floor()
    floor.available("ann")
    assert pbx.server is not None
    port = pbx.server.sockets[0].getsockname()[1]
    connection = AmiConnection(AmiTarget(host="127.0.0.1", port=port, username="u", secret="s"))
    active = ActivePbx(
        SERVER,
        SimpleNamespace(connection=connection),  # type: ignore[arg-type]  # the link alone
        floor.bus,
        floor.presence,
        sessions,
        Settings(_env_file=None, dial_trunk="PJSIP/{number}@carrier"),
        asyncio.Event(),
    )
    async with active_dialer(active):
        assert running_dialer(SERVER) is None  # entered before the adapter connects
        await connection.start()
        await until(lambda: len(pbx.originated) == 1)
        assert running_dialer(SERVER) is not None
        assert pbx.originated[0].channel == "PJSIP/+4930100000@carrier"
    assert running_dialer(SERVER) is None
    await connection.aclose()


async def test_a_lost_ami_session_is_reconciled_when_the_link_comes_back(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann")
    campaign(sessions, 2)
    floor = Floor()
    floor.available("ann")
    async with dialer(sessions, pbx, floor):
        await until(lambda: len(pbx.originated) == 1)
        (call,) = pbx.originated
        _, uniqueid = pbx.answer(call)
        pbx.bridge_agent(uniqueid, "PJSIP/ann")
        await until(lambda: attempt(sessions, call.attempt).state == "connected")
        # The link drops; the call ends meanwhile (its Hangup never reaches the dialer).
        pbx.channels.clear()
        for writer in [*pbx.writers]:
            writer.close()
        await until(lambda: attempt(sessions, call.attempt).state == "ended")
        assert attempt(sessions, call.attempt).outcome == "answered"
        # On the new session the agent is free again and the next lead is followed as before.
        await until(lambda: len(pbx.originated) == 2)
        pbx.fail(pbx.originated[1], reason=0, cause=17)
        await until(lambda: attempt(sessions, pbx.originated[1].attempt).outcome == "busy")


async def test_an_attempt_whose_answer_and_frames_were_lost_frees_its_agent_after_its_timeout(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    """Both Originates get no answer; the PBX made bob's call and lost ann's. Once their ring
    timeout and the margin are over, ann's attempt ends `unknown` and ann gets the next lead;
    bob's call, which the PBX still has, is left to its frames."""
    agents(sessions, "ann", "bob")
    campaign(sessions, 4, ring_timeout_s=1)
    floor = Floor()
    floor.available("ann", "bob")
    pbx.silent_originate = True
    options = {"action_timeout": 0.5, "sweep_every_s": 0.1, "stale_after_s": 0.5}
    async with dialer(sessions, pbx, floor, **options) as running:
        await until(lambda: len(pbx.originated) == 2)
        pbx.silent_originate = False
        lost, made = sorted(pbx.originated, key=lambda c: c.variables["CC_AGENT"])
        assert (lost.variables["CC_AGENT"], made.variables["CC_AGENT"]) == (
            "PJSIP/ann",
            "PJSIP/bob",
        )
        pbx.channel_up(made)
        await until(lambda: attempt(sessions, lost.attempt).state == "ended")
        assert attempt(sessions, lost.attempt).outcome == "unknown"
        assert lead_of(sessions, lost.attempt).state == "open"  # tried again later
        await until(lambda: len(pbx.originated) == 3)
        assert pbx.originated[2].variables["CC_AGENT"] == "PJSIP/ann"
        await asyncio.sleep(1.0)  # sweeps go on: bob's call is on the PBX
        assert made.attempt in running.live
        assert attempt(sessions, made.attempt).state == "dialing"


async def test_a_predictive_call_answered_in_the_queue_is_offered_to_the_agent_who_took_it(
    sessions: sessionmaker[Session], pbx: DialPbx
) -> None:
    agents(sessions, "ann")
    with sessions() as session:
        session.scalars(select(User)).one().member_name = "Ann Smith"
        session.commit()
    campaign(sessions, 1, mode="predictive")
    floor = Floor()
    floor.available("ann")
    async with dialer(sessions, pbx, floor):
        await until(lambda: len(pbx.originated) == 1)
        (call,) = pbx.originated
        assert call.variables["CC_AGENT"] == ""  # into the campaign's queue
        _, uniqueid = pbx.answer(call)
        # The tracker reports the queue's answer by member name, on the bus.
        floor.bus.publish(
            CallAnswered(
                at=NOON,
                server=SERVER,
                linkedid=uniqueid,
                queue="sales",
                agent="Ann Smith",
                interface="PJSIP/ann",
                wait_s=1.0,
            )
        )
        await until(lambda: len(floor.of(CampaignLeadOffered)) == 1)
    (offered,) = floor.of(CampaignLeadOffered)
    assert (offered.agent, offered.attempt_id, offered.mode) == ("ann", call.attempt, "predictive")
    assert attempt(sessions, call.attempt).agent == "ann"
