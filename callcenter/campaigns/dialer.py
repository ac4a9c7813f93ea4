"""The dialer: works each running campaign over the PBX link (Originate to the customer into
`campaign-dial`), follows every attempt to its outcome from AMI frames and the bus, and keeps
the attempts, leads and call records straight across restarts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.campaigns import dial_records
from callcenter.campaigns.abandon_cap import WINDOW, AbandonCount, abandon_count, lines_within_cap
from callcenter.campaigns.agent_hold import phone_taken, withdraw
from callcenter.campaigns.dnc import DialBlocked, ensure_dialable
from callcenter.campaigns.enums import AttemptState, CampaignMode, CampaignState, LeadState, Outcome
from callcenter.campaigns.models import Campaign, DialAttempt, Lead
from callcenter.campaigns.outcomes import (
    ATTEMPT_VARIABLE,
    USER_EVENT,
    Stage,
    attempt_of_varset,
    hangup_cause,
    originate_report,
    refine_failure,
    stage_outcome,
    stage_report,
)
from callcenter.campaigns.pacing import Pacer
from callcenter.campaigns.pbx_clock import PbxClock
from callcenter.campaigns.picking import Reservation, Seat, candidates, dialable, reserve
from callcenter.campaigns.picking import reserve_lead as reserve_chosen
from callcenter.campaigns.retry import after_attempt
from callcenter.cti.actions import pause_member, unpause_member
from callcenter.cti.ami_commands import AmiCommands
from callcenter.cti.frames import Frame, Wants
from callcenter.cti.protocol import (
    ActionRefused,
    AmiAction,
    AmiMessage,
    CommandError,
    NotConnected,
)
from callcenter.events import CallAnswered, CampaignLeadOffered, DialAttemptEnded
from callcenter.queues.presence import Presence
from callcenter.users.models import User

log = logging.getLogger(__name__)

DIAL_CONTEXT = "campaign-dial"
# How long an unanswered attempt whose channel hung up waits for its OriginateResponse, and
# a failed one (Reason 0) for the hangup cause that names the failure.
ORIGINATE_GRACE_S = 5.0
CAUSE_GRACE_S = 1.0
# How soon an attempt whose end could not be stored (a database error) is ended again.
END_RETRY_S = 5.0
RECENT_KEPT = 1000
# Attempts whose frames may have been lost (an Originate whose answer never came, a hangup
# missed): every SWEEP_EVERY_S the PBX is asked for its channels, and an attempt dialled more
# than its ring timeout + STALE_AFTER_S ago whose call it no longer has is ended. PBX seconds.
SWEEP_EVERY_S = 30.0
STALE_AFTER_S = 30.0
# The pause that holds an agent's phone for the customer a campaign dials for them (progressive
# and preview): no queue call rings them meanwhile. A queue pause does not stop the dialplan's
# Dial() of their phone; it is lifted once the customer is put through or the attempt ends.
HOLD_REASON = "Campaign call"
# How long an agent found on another call after their hold is passed over (PBX seconds): their
# presence says so by then, and a queue call lasts longer than this anyway.
TAKEN_BACKOFF_S = 5.0

# The events the dialer follows its calls by; of the busiest (VarSet, UserEvent) only its own.
FOLLOWED_EVENTS: Wants = {
    "OriginateResponse": None,
    "UserEvent": f"\r\nUserEvent: {USER_EVENT}\r\n".encode(),
    "VarSet": f"\r\nVariable: {ATTEMPT_VARIABLE}\r\n".encode(),
    "Hangup": None,
    "BridgeEnter": None,
    "AgentConnect": None,
}
# Why `_dial` sent nothing (or nothing the PBX took), in the agent's words.
NOT_ACCEPTED = "the PBX did not accept the call"
AGENT_TAKEN = "your phone took another call first; call this lead again when you are free"
# The channel variables every campaign Originate sets (the `[campaign-dial]` dialplan reads them).
CAMPAIGN_VARIABLES = ("CC_ATTEMPT", "CC_LEAD", "CC_CAMPAIGN", "CC_QUEUE", "CC_AGENT", "CC_AMD")
OPEN_STATES = (
    AttemptState.RESERVED,
    AttemptState.DIALING,
    AttemptState.ANSWERED,
    AttemptState.CONNECTED,
)


class DialRefused(Exception):
    """A dial the agent asked for could not be made (the sentence says why)."""


@dataclass(frozen=True, slots=True)
class LeadOffer:
    """A lead shown to an agent before they press Call."""

    campaign_id: int
    lead_id: int
    number: str
    name: str | None
    customer_id: int | None
    time_zone: str
    attempts: int


@dataclass(slots=True)
class LiveAttempt:
    """An attempt the PBX is working on, as the frames tell it."""

    attempt_id: int
    action_id: str
    campaign_id: int
    lead_id: int
    mode: str
    agent: str | None
    interface: str | None
    uniqueid: str | None = None
    linkedid: str | None = None
    channel: str | None = None
    answered: bool = False
    stage_answered: bool = False
    connected: bool = False
    outcome: Outcome | None = None
    cause: int | None = None
    dialled_at: float = field(default_factory=time.time)  # epoch seconds (the pacer's clock)
    connected_at: float | None = None
    ending: bool = False
    reason: int | None = None
    awaiting_cause: bool = False
    ring_s: float | None = None  # Originate to the customer's answer
    ring_timeout_s: float = 0.0  # the Originate's Timeout
    held: bool = False  # the agent's phone paused for this attempt (HOLD_REASON)


Work = Callable[[Session], Any]


class Dialer:
    """One PBX's dialer: ticks over the running campaigns and follows the live attempts."""

    def __init__(
        self,
        *,
        pbx: AmiCommands,
        sessions: sessionmaker[Session],
        bus: Bus,
        presence: Presence,
        server: str,
        dial_trunk: str = "PJSIP/{number}@trunk",
        tick_s: float = 1.0,
        clock: Callable[[], datetime] | None = None,
        pbx_clock: PbxClock | None = None,
        pacer_factory: Callable[..., Pacer] = Pacer,
        sweep_every_s: float = SWEEP_EVERY_S,
        stale_after_s: float = STALE_AFTER_S,
        taken_backoff_s: float = TAKEN_BACKOFF_S,
    ) -> None:
        self.pbx = pbx
        self.sessions = sessions
        self.bus = bus
        self.presence = presence
        self.server = server
        self.dial_trunk = dial_trunk
        self.tick_s = tick_s  # the PBX's seconds between rounds
        # The PBX's time: rounds, rolling windows, ring and talk times and stored times.
        self.pbx_clock = pbx_clock or PbxClock()
        self.clock = clock or self.pbx_clock.now
        self._seconds = self.pbx_clock.seconds
        self.pacer_factory = pacer_factory
        self.sweep_every_s = sweep_every_s
        self.stale_after_s = stale_after_s
        self.taken_backoff_s = taken_backoff_s
        # Agents whose phone was found taken after their hold: username -> PBX second until
        # which no line is dialled for them (the queue call's AgentCalled is on its way).
        self._taken: dict[str, float] = {}
        self._next_sweep = 0.0
        self.live: dict[int, LiveAttempt] = {}
        self._by_action: dict[str, LiveAttempt] = {}
        self._by_linkedid: dict[str, LiveAttempt] = {}
        # Each predictive campaign's pacer, its ratio restored from campaigns.dial_ratio.
        self.pacers: dict[int, Pacer] = {}
        self._frames: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._settling: set[asyncio.Task[None]] = set()
        # Calls of attempts just ended, by linkedid: a hangup cause may follow the outcome.
        self._recent: dict[str, int] = {}
        self._watch = contextlib.ExitStack()
        self._watched: object = None
        self._lock = asyncio.Lock()
        self._unsubscribe: Callable[[], None] | None = None

    # life

    async def start(self) -> None:
        """Reconcile what a previous run left, then follow frames and work the campaigns."""
        self._unsubscribe = self.bus.subscribe(CallAnswered, self._on_answered)
        self._ensure_watching()
        await self._set_clock()
        await self.reconcile()
        # Paced campaigns resume where they were: the stored ratio and the day's attempts.
        for campaign in await self._db(_running_campaigns):
            if campaign.mode == CampaignMode.PREDICTIVE:
                await self._pacer(campaign)
        self._tasks = [
            asyncio.create_task(self._follow(), name="dialer outcomes"),
            asyncio.create_task(self._run(), name="dialer"),
        ]

    async def stop(self) -> None:
        """Stop dialling; attempts in flight stay stored for the next start to reconcile."""
        for task in [*self._tasks, *self._settling]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._settling, return_exceptions=True)
        self._tasks = []
        self._watch.close()
        self._watched = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def _run(self) -> None:
        while True:
            try:
                if self._ensure_watching():  # a new AMI session: frames may be lost
                    async with self._lock:
                        await self._set_clock()
                        await self.reconcile()
                await self.tick()
                if self._seconds() >= self._next_sweep:
                    self._next_sweep = self._seconds() + self.sweep_every_s
                    await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the dialer's round failed; it goes on")
            await self.pbx_clock.sleep(self.tick_s)

    async def _set_clock(self) -> None:
        """A PBX whose clock runs faster than the wall's is asked its time (a Ping's answer
        carries its Timestamp) before anything is dialled or stored."""
        if not self.pbx_clock.follows_pbx:
            return
        try:
            answer = await self.pbx.request({"Action": "Ping"}, timeout=5.0)
        except (CommandError, TimeoutError) as exc:
            log.warning("the PBX's time is not known yet (%s); its next event tells it", exc)
            return
        self.pbx_clock.heard(answer.get("Timestamp"))

    def _ensure_watching(self) -> bool:
        """Watch the current AMI session's frames; True when it is a new session (frames may
        have been missed while there was none)."""
        protocol = getattr(self.pbx, "protocol", self.pbx)
        if protocol is self._watched and protocol is not None:
            return False
        self._watch.close()
        self._watch = contextlib.ExitStack()
        self._watch.enter_context(self.pbx.watching(self._on_frame, FOLLOWED_EVENTS))
        fresh = self._watched is not None
        self._watched = protocol
        return fresh

    async def _db(self, work: Work) -> Any:
        def run() -> Any:
            with self.sessions() as session:
                return work(session)

        return await asyncio.to_thread(run)

    # the campaigns

    async def tick(self) -> None:
        """One round: each running campaign gets the lines its mode calls for."""
        async with self._lock:
            campaigns = await self._db(_running_campaigns)
            if not campaigns:
                return
            seats = await self._free_seats()
            for campaign in campaigns:
                if campaign.mode == CampaignMode.PROGRESSIVE:
                    await self._progressive(campaign, seats)
                elif campaign.mode == CampaignMode.PREDICTIVE:
                    await self._predictive(campaign, seats)

    async def _free_seats(self) -> dict[str, tuple[Seat, frozenset[str], str | None]]:
        """Agents free now (available, not held by an attempt): username -> (seat, queues,
        team)."""
        available = {
            agent.interface: agent
            for agent in self.presence.agents.values()
            if agent.state is AgentState.AVAILABLE and agent.queues
        }
        if not available:
            return {}
        rows = await self._db(lambda s: _users_of(s, list(available)))
        held = {live.agent for live in self.live.values() if live.agent}
        now = self._seconds()
        self._taken = {name: until for name, until in self._taken.items() if until > now}
        free = {}
        for username, interface, team in rows:
            if username in held or username in self._taken:
                continue
            free[username] = (Seat(username, interface), available[interface].queues, team)
        return free

    def _seats_for(
        self, campaign: Campaign, seats: dict[str, tuple[Seat, frozenset[str], str | None]]
    ) -> list[Seat]:
        return [
            seat
            for username, (seat, queues, team) in sorted(seats.items())
            if campaign.queue in queues
            and (username in (campaign.agents or []) or (team and team in (campaign.teams or [])))
        ]

    async def _progressive(
        self, campaign: Campaign, seats: dict[str, tuple[Seat, frozenset[str], str | None]]
    ) -> None:
        wanted = self._seats_for(campaign, seats)
        if not wanted:
            return
        now = self.clock()
        reserved = await self._db(
            lambda s: _reserve_running(s, campaign.id, wanted, now, self.server)
        )
        for reservation in reserved:
            seats.pop(reservation.agent or "", None)
            await self._dial(campaign, reservation)

    async def _predictive(
        self, campaign: Campaign, seats: dict[str, tuple[Seat, frozenset[str], str | None]]
    ) -> None:
        free = len(self._seats_for(campaign, seats))
        pacer = await self._pacer(campaign)
        # The live lines first, then the stored counts: an attempt leaves `live` only once
        # its outcome is stored, so none is missed (one may count twice: the safe side).
        mine = [live for live in self.live.values() if live.campaign_id == campaign.id]
        # Answered with no agent: abandoned already, whatever agent becomes free.
        dropped = sum(1 for live in mine if live.outcome == Outcome.ABANDONED)
        # Ringing, or answered and seeking an agent: each may still need a free agent.
        in_progress = sum(
            1 for live in mine if not live.connected and live.agent is None and live.outcome is None
        )
        clock = self._seconds()
        try:
            wanted = pacer.lines_to_dial(
                free_agents=free,
                lines_in_progress=in_progress,
                now=clock,
                busy_elapsed_s=[
                    clock - live.connected_at for live in mine if live.connected_at is not None
                ],
                ringing_elapsed_s=[
                    clock - live.dialled_at
                    for live in mine
                    if not live.answered and live.outcome is None
                ],
            )
        except (ArithmeticError, ValueError):  # a pacing estimate failed: progressive
            log.exception("the pacer of campaign %d failed; one line per free agent", campaign.id)
            wanted = max(free - in_progress, 0)
        now = self.clock()
        stored = await self._db(lambda s: abandon_count(s, campaign.id, now))
        count = AbandonCount(stored.answered + dropped, stored.abandoned + dropped)
        lines = lines_within_cap(
            count,
            campaign.abandon_cap,
            wanted=wanted,
            free_agents=free,
            lines_in_progress=in_progress,
        )
        if lines > 0:
            reserved = await self._db(
                lambda s: _reserve_running(s, campaign.id, [None] * lines, now, self.server)
            )
            for reservation in reserved:
                pacer.record_dial(self._seconds())
                await self._dial(campaign, reservation)
        if abs(pacer.ratio - campaign.dial_ratio) > 1e-6:
            ratio = pacer.ratio
            await self._db(lambda s: _store_ratio(s, campaign.id, ratio))
            campaign.dial_ratio = ratio

    async def _pacer(self, campaign: Campaign) -> Pacer:
        """The campaign's pacer: on first use its stored ratio, then the rolling day's
        ended attempts replayed, so a restart resumes where the campaign was."""
        pacer = self.pacers.get(campaign.id)
        if pacer is None:
            pacer = self.pacer_factory(
                mode=CampaignMode(campaign.mode),
                abandon_cap=campaign.abandon_cap,
                ratio=campaign.dial_ratio or 1.0,
            )
            since = self.clock() - WINDOW
            for row in await self._db(lambda s: _day_of_attempts(s, campaign.id, since)):
                outcome, dialed_at, answered_at, connected_at, ended_at, talk_s = row
                ended = ended_at.timestamp()
                pacer.record_dial((dialed_at or ended_at).timestamp())
                ring_s = (
                    (answered_at - dialed_at).total_seconds()
                    if answered_at is not None and dialed_at is not None
                    else None
                )
                pacer.record_outcome(
                    Outcome(outcome),
                    (connected_at or ended_at).timestamp(),
                    ring_s=ring_s,
                )
                if talk_s is not None and connected_at is not None:
                    pacer.record_talk(talk_s, ended)
            self.pacers[campaign.id] = pacer
        return pacer

    # dialling

    async def _dial(
        self, campaign: Campaign, reservation: Reservation, *, owner: str | None = None
    ) -> str | None:
        """Send the Originate of a stored attempt; None once the PBX accepted it, else why
        not (a preview's lead given back stays held for `owner`)."""
        live = LiveAttempt(
            attempt_id=reservation.attempt_id,
            action_id=reservation.action_id,
            campaign_id=campaign.id,
            lead_id=reservation.lead_id,
            mode=campaign.mode,
            agent=reservation.agent,
            interface=reservation.interface,
            # The Originate's ChannelId: the customer channel's Uniqueid and the call's
            # Linkedid (every later frame of the call names it; the call record's key).
            uniqueid=reservation.action_id,
            linkedid=reservation.action_id,
            dialled_at=self._seconds(),
            ring_timeout_s=campaign.ring_timeout_s,
        )
        self._track(live)
        try:
            await self._db(
                lambda s: ensure_dialable(
                    s, reservation.dialed_number, campaign.id, reservation.customer_id
                )
            )
            now = self.clock()
            await self._db(
                lambda s: _mark_dialing(
                    s, reservation.attempt_id, self.server, reservation.action_id, now
                )
            )
        except DialBlocked as exc:
            log.info("attempt %d not dialled: %s", reservation.attempt_id, exc)
            self._forget(live)
            await self._db(lambda s: _blocked(s, reservation.attempt_id, self.clock()))
            return "this number is on a do-not-call list; it may not be dialled"
        except Exception:
            # Nothing was sent: the attempt ends (its number used), its line and agent free.
            log.exception("attempt %d not dialled", reservation.attempt_id)
            live.outcome = Outcome.UNKNOWN
            self._frames.put_nowait(("end", live))
            return NOT_ACCEPTED
        if not await self._hold(live):
            live.outcome = Outcome.UNKNOWN
            self._frames.put_nowait(("end", live))
            return NOT_ACCEPTED
        if live.held and live.interface and await phone_taken(self.pbx, live.interface):
            return await self._give_back(live, owner)
        action = AmiAction(
            {
                "Action": "Originate",
                "ActionID": reservation.action_id,
                "Channel": self.dial_trunk.format(number=reservation.dialed_number),
                "Context": DIAL_CONTEXT,
                "Exten": "s",
                "Priority": "1",
                "Async": "true",
                "ChannelId": reservation.action_id,
                "Timeout": str(int(campaign.ring_timeout_s * 1000)),
                **({"CallerID": campaign.caller_id} if campaign.caller_id else {}),
                "Variable": [
                    f"{ATTEMPT_VARIABLE}={reservation.attempt_id}",
                    f"CC_LEAD={reservation.lead_id}",
                    f"CC_CAMPAIGN={campaign.id}",
                    f"CC_QUEUE={campaign.queue}",
                    f"CC_AGENT={reservation.interface or ''}",
                    f"CC_AMD={1 if campaign.detect_machines else 0}",
                ],
            }
        )
        try:
            answer = await self.pbx.call(action)
        except NotConnected as exc:  # nothing was sent: the attempt ends, its number used
            log.warning("attempt %d not dialled: %s", reservation.attempt_id, exc)
            live.outcome = Outcome.UNKNOWN
            self._frames.put_nowait(("end", live))
            return NOT_ACCEPTED
        except CommandError as exc:
            # Not re-sent: the PBX may have it (a lost answer); the frames or the next
            # reconcile settle it.
            log.warning("Originate of attempt %d: %s", reservation.attempt_id, exc)
            return NOT_ACCEPTED
        assert isinstance(answer, AmiMessage)
        if answer.frame.get("Response") != "Success":
            message = answer.frame.get("Message") or "no reason given"
            log.warning("the PBX refused attempt %d: %s", reservation.attempt_id, message)
            if live.outcome is None:
                live.outcome = Outcome.FAILED
                self._frames.put_nowait(("end", live))
            return NOT_ACCEPTED
        return None

    async def _give_back(self, live: LiveAttempt, owner: str | None) -> str:
        """The held agent's phone was taken before the hold: nothing is dialled, the hold is
        lifted and the attempt given back as if never reserved (the lead is dialled again
        once an agent is free)."""
        log.info(
            "attempt %d not dialled: %s took another call before the hold",
            live.attempt_id,
            live.agent,
        )
        try:
            await self._db(lambda s: withdraw(s, live.attempt_id, owner))
        except Exception:
            log.exception("attempt %d could not be given back", live.attempt_id)
            live.outcome = Outcome.UNKNOWN
            self._frames.put_nowait(("end", live))
            return AGENT_TAKEN
        self._forget(live)
        await self._release(live)
        if live.agent:
            self._taken[live.agent] = self._seconds() + self.taken_backoff_s
        return AGENT_TAKEN

    async def _hold(self, live: LiveAttempt) -> bool:
        """Pause the reserved agent in their queues while their customer is dialled; False
        when there is no PBX to ask (nothing is dialled then)."""
        if not live.interface:
            return True
        live.held = True  # from here on the attempt's end lifts it, whatever the answer
        try:
            await pause_member(self.pbx, interface=live.interface, reason=HOLD_REASON)
        except NotConnected as exc:
            log.warning("attempt %d not dialled: %s", live.attempt_id, exc)
            return False
        except ActionRefused as exc:  # not a member of any queue: no queue call can ring them
            live.held = False
            log.info("attempt %d: %s's phone not held: %s", live.attempt_id, live.agent, exc)
        except CommandError as exc:  # the answer lost: the PBX may hold them; lifted at the end
            log.warning("attempt %d: hold of %s unconfirmed: %s", live.attempt_id, live.agent, exc)
        return True

    async def _release(self, live: LiveAttempt) -> None:
        """Lift the attempt's hold of its agent, unless the agent paused for a reason of their
        own meanwhile."""
        if not live.held or not live.interface:
            return
        live.held = False
        now = self.presence.of_interface(live.interface)
        if now is not None and now.state is AgentState.PAUSED and now.reason != HOLD_REASON:
            return
        try:
            await unpause_member(self.pbx, interface=live.interface)
        except CommandError as exc:
            log.warning(
                "hold of %s for attempt %d not lifted: %s", live.agent, live.attempt_id, exc
            )

    def _track(self, live: LiveAttempt) -> None:
        self.live[live.attempt_id] = live
        self._by_action[live.action_id] = live
        if live.linkedid:
            self._by_linkedid[live.linkedid] = live

    def _forget(self, live: LiveAttempt) -> None:
        self.live.pop(live.attempt_id, None)
        self._by_action.pop(live.action_id, None)
        if live.linkedid:
            self._by_linkedid.pop(live.linkedid, None)

    # preview

    async def preview_next(self, agent: str) -> LeadOffer | None:
        """The lead held for `agent` to read before calling (the same one again until they
        call or skip it), or a new one reserved from a running preview campaign they work."""
        now = self.clock()
        # Only the campaigns whose queue the agent is signed in to (as the PBX reports it).
        interface = await self._db(partial(_interface_of, agent=agent))
        seat = self.presence.of_interface(interface) if interface else None
        signed_in = seat.queues if seat is not None else frozenset()
        offer = await self._db(lambda s: _preview_next(s, agent, now, signed_in))
        if offer is not None:
            self.bus.publish(
                CampaignLeadOffered(
                    at=now,
                    server=self.server,
                    agent=agent,
                    campaign_id=offer.campaign_id,
                    lead_id=offer.lead_id,
                    attempt_id=None,
                    mode=CampaignMode.PREVIEW,
                )
            )
        return offer

    async def skip_preview(self, agent: str, lead_id: int) -> None:
        """Give the lead back to the list (it is dialled later, by anyone)."""
        now = self.clock()
        await self._db(lambda s: _skip_preview(s, agent, lead_id, now))

    async def dial_preview(self, agent: str, lead_id: int) -> int:
        """Dial the lead held for `agent`; the attempt's id once the PBX accepted the
        Originate, DialRefused otherwise."""
        interface = await self._db(
            lambda s: s.scalar(select(User.interface).where(User.username == agent))
        )
        if not interface:
            raise DialRefused(f"the user {agent!r} has no phone to take the call")
        now = self.clock()
        found = await self._db(
            lambda s: _reserve_preview(s, agent, lead_id, interface, now, self.server)
        )
        if isinstance(found, str):
            raise DialRefused(found)
        campaign, reservation = found
        async with self._lock:
            refused = await self._dial(campaign, reservation, owner=agent)
        if refused is not None:
            raise DialRefused(refused)
        return reservation.attempt_id

    # following the frames

    def _on_frame(self, frame: Frame) -> None:
        self.pbx_clock.heard(frame.get("Timestamp"))
        name = frame.get("Event")
        if name in FOLLOWED_EVENTS:
            self._frames.put_nowait(("frame", frame))

    def _on_answered(self, event: CallAnswered) -> None:
        live = self._by_linkedid.get(event.linkedid)
        if live is not None and event.agent and not live.connected:
            self._frames.put_nowait(("connected", (live, event.agent, event.interface)))

    async def _follow(self) -> None:
        while True:
            kind, item = await self._frames.get()
            try:
                if kind == "frame":
                    await self._frame(item)
                elif kind == "connected":
                    live, member, interface = item
                    # The bus names the queue member; the dialer speaks of usernames.
                    agent = live.agent or await self._db(
                        partial(_username_of, interface=interface or "", member_name=member)
                    )
                    await self._connected(live, agent or member, interface)
                elif kind == "end":
                    await self._end(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the dialer could not follow a %s", kind)

    async def _frame(self, frame: Frame) -> None:
        name = frame.get("Event")
        if name == "VarSet":
            found = attempt_of_varset(frame)
            if found is not None:
                await self._learnt(found[0], found[1], found[2] or found[1], found[3])
            return
        if name == "OriginateResponse":
            report = originate_report(frame)
            live = self._by_action.get(report.action_id) if report else None
            if report is None or live is None:
                return
            if report.answered:
                live.answered = True
                live.ring_s = live.ring_s or self._seconds() - live.dialled_at
                at, attempt_id, channel = self.clock(), live.attempt_id, report.channel
                live.channel = live.channel or channel
                await self._db(
                    lambda s: _set_attempt(
                        s,
                        attempt_id,
                        state=AttemptState.ANSWERED,
                        answered_at=at,
                        channel=channel,
                    )
                )
                return
            assert report.outcome is not None
            live.reason = report.reason
            if report.outcome is Outcome.FAILED and live.cause is None:
                # Reason 0 says little (a PJSIP trunk's busy, congestion, rejection): the
                # hangup cause names it, and may come just after this response.
                live.outcome = Outcome.FAILED
                live.awaiting_cause = True
                self._later(live, CAUSE_GRACE_S)
                return
            live.outcome = refine_failure(report.outcome, live.cause)
            await self._end(live, reason=report.reason)
            return
        if name == "UserEvent":
            stage = stage_report(frame)
            live = self.live.get(stage.attempt_id) if stage else None
            if stage is None or live is None:
                return
            if stage.linkedid and not live.linkedid:
                await self._learnt(live.attempt_id, stage.uniqueid, stage.linkedid, stage.channel)
            if live.ring_s is None:
                live.ring_s = self._seconds() - live.dialled_at
            if stage.stage is Stage.ANSWERED:
                live.stage_answered = True
                live.answered = True
                return
            outcome = stage_outcome(stage.stage)
            if outcome is not None and live.outcome is None:
                live.outcome = outcome
                amd, attempt_id = (stage.amd_status, stage.amd_cause), live.attempt_id
                await self._db(
                    lambda s: _set_attempt(s, attempt_id, amd_status=amd[0], amd_cause=amd[1])
                )
            return
        if name in ("BridgeEnter", "AgentConnect"):
            live = self._by_linkedid.get(frame.get("Linkedid", ""))
            if live is None or live.connected:
                return
            channel = frame.get("Channel", "")
            if name == "BridgeEnter" and (
                channel == live.channel or frame.get("Uniqueid") == live.uniqueid
            ):
                return
            agent = live.agent
            interface = frame.get("Interface") or channel.rsplit("-", 1)[0]
            if agent is None:
                agent = await self._db(
                    lambda s: _username_of(s, interface, frame.get("MemberName"))
                )
            if agent:
                await self._connected(live, agent, interface)
            return
        if name == "Hangup":
            linkedid = frame.get("Linkedid", "")
            live = self._by_linkedid.get(linkedid)
            cause = hangup_cause(frame)
            if live is None:
                ended = self._recent.get(linkedid)
                if ended is not None and cause:  # the far end's cause, after the response
                    await self._db(lambda s: _late_cause(s, ended, cause))
                return
            # The attempt's cause: the first non-zero one of its call's channels (on a Local
            # trunk the far end's half carries it, on PJSIP the one channel).
            if cause and live.cause is None:
                live.cause = cause
            if live.awaiting_cause and live.cause is not None:
                live.outcome = refine_failure(Outcome.FAILED, live.cause)
                await self._end(live, reason=live.reason)
                return
            if frame.get("Uniqueid") != live.uniqueid:
                return
            if not live.answered:
                # A failed originate: its OriginateResponse says why, before or just after.
                self._later(live, ORIGINATE_GRACE_S)
                return
            # The customer's channel is gone: the call is over.
            await self._end(live, reason=live.reason)

    def _later(self, live: LiveAttempt, after_s: float) -> None:
        """End an unanswered attempt from what is known after `after_s`: its hangup cause
        when no OriginateResponse came (one sent to a session that is gone), or its
        response's outcome when no cause came."""

        async def settle() -> None:
            await asyncio.sleep(after_s)
            if live.attempt_id in self.live and not live.answered:
                live.outcome = refine_failure(live.outcome or Outcome.FAILED, live.cause)
                self._frames.put_nowait(("end", live))

        task = asyncio.create_task(settle())
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    def _end_later(self, live: LiveAttempt, after_s: float) -> None:
        """End the attempt again after `after_s` (its outcome could not be stored)."""

        async def again() -> None:
            await asyncio.sleep(after_s)
            if live.attempt_id in self.live:
                self._frames.put_nowait(("end", live))

        task = asyncio.create_task(again())
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    async def _learnt(
        self, attempt_id: int, uniqueid: str | None, linkedid: str | None, channel: str | None
    ) -> None:
        live = self.live.get(attempt_id)
        if live is None or linkedid is None:
            return
        live.uniqueid = live.uniqueid or uniqueid
        live.linkedid = linkedid
        live.channel = live.channel or channel
        self._by_linkedid[linkedid] = live
        server = self.server
        await self._db(
            lambda s: _set_attempt(
                s, attempt_id, server=server, linkedid=linkedid, channel=live.channel
            )
        )

    async def _connected(self, live: LiveAttempt, agent: str, interface: str | None) -> None:
        if live.connected or live.attempt_id not in self.live:
            return
        live.connected = True
        live.connected_at = self._seconds()
        pacer = self.pacers.get(live.campaign_id)
        if pacer is not None:
            pacer.record_outcome(Outcome.ANSWERED, live.connected_at, ring_s=live.ring_s)
        live.agent = agent
        live.outcome = Outcome.ANSWERED
        await self._release(live)  # on the call now: no queue call rings a busy phone
        now = self.clock()
        await self._db(
            lambda s: _set_attempt(
                s,
                live.attempt_id,
                state=AttemptState.CONNECTED,
                connected_at=now,
                agent=agent,
                outcome=Outcome.ANSWERED,
            )
        )
        await self._db(lambda s: _lead_in_call(s, live.lead_id))
        self.bus.publish(
            CampaignLeadOffered(
                at=now,
                server=self.server,
                agent=agent,
                campaign_id=live.campaign_id,
                lead_id=live.lead_id,
                attempt_id=live.attempt_id,
                mode=live.mode,
            )
        )

    async def _end(self, live: LiveAttempt, *, reason: int | None = None) -> None:
        if live.attempt_id not in self.live or live.ending:
            return
        live.ending = True
        reason = reason if reason is not None else live.reason
        outcome = live.outcome
        if outcome is None:
            # Answered, and gone before any agent: abandoned when the dialplan sought one.
            outcome = Outcome.ABANDONED if live.stage_answered else Outcome.FAILED
        now = self.clock()
        server = self.server
        try:
            await self._db(
                lambda s: _close(
                    s,
                    attempt_id=live.attempt_id,
                    outcome=outcome,
                    now=now,
                    server=server,
                    reason=reason,
                    cause=live.cause,
                )
            )
        except Exception:
            # Not stored: tried again shortly, so the line and its agent are not held for good.
            live.ending = False
            self._end_later(live, END_RETRY_S)
            raise
        self._forget(live)  # only now: the abandon cap counts it from the database
        await self._release(live)
        if live.linkedid:
            self._recent[live.linkedid] = live.attempt_id
            while len(self._recent) > RECENT_KEPT:
                self._recent.pop(next(iter(self._recent)))
        pacer = self.pacers.get(live.campaign_id)
        if pacer is not None:
            ended = self._seconds()
            if live.connected_at is not None:
                pacer.record_talk(ended - live.connected_at, ended)
            elif outcome != Outcome.ANSWERED:  # an answered one was told at its connect
                pacer.record_outcome(outcome, ended, ring_s=live.ring_s)
        self.bus.publish(
            DialAttemptEnded(
                at=now,
                server=self.server,
                campaign_id=live.campaign_id,
                lead_id=live.lead_id,
                attempt_id=live.attempt_id,
                outcome=outcome,
                agent=live.agent,
            )
        )

    async def sweep(self) -> None:
        """End the live attempts the PBX no longer has a call of, once they are older than
        their ring timeout and a margin: their frames were lost (an Originate whose answer
        never came, a hangup missed), and without this their lines and agents stay held."""
        await self._lift_stale_holds()
        now = self._seconds()
        stale = [
            live
            for live in self.live.values()
            if not live.ending and now - live.dialled_at > live.ring_timeout_s + self.stale_after_s
        ]
        if not stale:
            return
        async with self._lock:
            try:
                channels = await self.pbx.request_list({"Action": "CoreShowChannels"})
            except (CommandError, TimeoutError) as exc:
                log.warning("the PBX's channels are not known (%s); the next sweep asks", exc)
                return
            on_pbx = {c.get("Linkedid") for c in channels if c.get("Event") == "CoreShowChannel"}
            for live in stale:
                if live.attempt_id not in self.live or live.linkedid in on_pbx:
                    continue
                live.outcome = live.outcome or self._lost_outcome(live)
                log.warning(
                    "attempt %d: the PBX has no call of it and told nothing; ended as %s",
                    live.attempt_id,
                    live.outcome,
                )
                await self._end(live)

    async def _lift_stale_holds(self) -> None:
        """Agents this PBX holds for a campaign call that no live attempt is for (a run that
        ended during the attempt) are made available again."""
        dialling = {live.interface for live in self.live.values() if live.interface}
        for agent in self.presence.agents_of(self.server):
            if agent.state is not AgentState.PAUSED or agent.reason != HOLD_REASON:
                continue
            if agent.interface in dialling:
                continue
            try:
                await unpause_member(self.pbx, interface=agent.interface)
                log.info("%s was held for a campaign call no longer dialled: released", agent.name)
            except CommandError as exc:
                log.warning("stale hold of %s not lifted: %s", agent.name, exc)

    @staticmethod
    def _lost_outcome(live: LiveAttempt) -> Outcome:
        """What an attempt whose end was not heard is known to have been."""
        if live.connected:
            return Outcome.ANSWERED
        return Outcome.ABANDONED if live.stage_answered else Outcome.UNKNOWN

    # restarts

    async def reconcile(self) -> None:
        """Settle the attempts a previous run (or a lost AMI session) left open: adopt those
        whose call the PBX still has, close the others (`unknown`, or `answered` when an
        agent had it), and never dial any of them again."""
        open_attempts = await self._db(partial(_open_attempts, server=self.server))
        if not open_attempts:
            return
        channels = await self.pbx.request_list({"Action": "CoreShowChannels"})
        by_linkedid = {
            c.get("Linkedid"): c for c in channels if c.get("Event") == "CoreShowChannel"
        }
        claimed: dict[int, Frame] = {}
        for row in open_attempts:
            if row.linkedid and row.linkedid in by_linkedid:
                claimed[row.id] = by_linkedid[row.linkedid]
        unknown = [row for row in open_attempts if row.id not in claimed]
        if unknown:
            taken = {c.get("Linkedid") for c in claimed.values()}
            for channel in by_linkedid.values():
                if channel.get("Linkedid") in taken:
                    continue
                attempt = await self._attempt_of_channel(channel.get("Channel", ""))
                if attempt is not None:
                    claimed[attempt] = channel
        now = self.clock()
        for row in open_attempts:
            known = self.live.get(row.id)
            if known is not None:
                if row.id not in claimed:
                    # Its call ended while the AMI session was down: its frames are lost.
                    known.outcome = known.outcome or self._lost_outcome(known)
                    await self._end(known)
                continue
            found = claimed.get(row.id)
            if found is None:
                outcome = (
                    Outcome.ANSWERED if row.state == AttemptState.CONNECTED else Outcome.UNKNOWN
                )
                await self._db(
                    partial(_close, attempt_id=row.id, outcome=outcome, now=now, server=self.server)
                )
                self.bus.publish(
                    DialAttemptEnded(
                        at=now,
                        server=self.server,
                        campaign_id=row.campaign_id,
                        lead_id=row.lead_id,
                        attempt_id=row.id,
                        outcome=outcome,
                        agent=row.agent,
                    )
                )
                continue
            agent = row.agent
            interface = await self._db(partial(_interface_of, agent=agent)) if agent else None
            live = LiveAttempt(
                attempt_id=row.id,
                action_id=row.action_id or f"cc-adopted-{row.id}",
                campaign_id=row.campaign_id,
                lead_id=row.lead_id,
                mode=row.mode,
                agent=row.agent,
                interface=interface,
                uniqueid=row.linkedid or found.get("Uniqueid"),
                linkedid=found.get("Linkedid"),
                channel=row.channel or found.get("Channel"),
                answered=row.state in (AttemptState.ANSWERED, AttemptState.CONNECTED),
                connected=row.state == AttemptState.CONNECTED,
                outcome=Outcome.ANSWERED if row.state == AttemptState.CONNECTED else None,
                dialled_at=self._seconds(),
                # The previous run held the agent until the customer was put through.
                held=interface is not None and row.state != AttemptState.CONNECTED,
            )
            self._track(live)
            log.info("adopted attempt %d (%s) from the PBX", row.id, live.channel)
            if not row.linkedid:
                await self._learnt(row.id, live.uniqueid, live.linkedid, live.channel)

    async def _attempt_of_channel(self, channel: str) -> int | None:
        if not channel:
            return None
        try:
            frame = await self.pbx.request(
                {"Action": "Getvar", "Channel": channel, "Variable": ATTEMPT_VARIABLE}
            )
        except CommandError:
            return None
        value = frame.get("Value") or ""
        return int(value) if value.strip().isdigit() else None


def running_dialer_key(server: str) -> str:
    """The name a process's dialer is known by."""
    return f"dialer:{server}"


# -- database work (each in its own session, on a worker thread) -----------------------


def _running_campaigns(session: Session) -> list[Campaign]:
    rows = session.scalars(select(Campaign).where(Campaign.state == CampaignState.RUNNING)).all()
    session.expunge_all()
    return list(rows)


def _reserve_running(
    session: Session,
    campaign_id: int,
    seats: Sequence[Seat | None],
    now: datetime,
    server: str,
) -> list[Reservation]:
    """Reserve leads for the campaign as it is stored now: none once it was paused or stopped
    since the round began (and that pause stays)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.state != CampaignState.RUNNING:
        return []
    return reserve(session, campaign, seats, now, server=server)


def _users_of(session: Session, interfaces: list[str]) -> list[tuple[str, str, str | None]]:
    users = session.scalars(
        select(User).where(User.interface.in_(interfaces), User.active.is_(True))
    ).all()
    return [(u.username, u.interface or "", u.team.name if u.team else None) for u in users]


def _username_of(session: Session, interface: str, member_name: str | None) -> str | None:
    found = session.scalar(select(User.username).where(User.interface == interface))
    if found is None and member_name:
        found = session.scalar(select(User.username).where(User.member_name == member_name))
    return found


def _store_ratio(session: Session, campaign_id: int, ratio: float) -> None:
    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(dial_ratio=ratio))
    session.commit()


def _mark_dialing(
    session: Session, attempt_id: int, server: str, linkedid: str, now: datetime
) -> None:
    _set_attempt(
        session,
        attempt_id,
        state=AttemptState.DIALING,
        dialed_at=now,
        server=server,
        linkedid=linkedid,
    )


def _set_attempt(session: Session, attempt_id: int, **values: Any) -> None:
    session.execute(update(DialAttempt).where(DialAttempt.id == attempt_id).values(**values))
    if values.get("linkedid") and values.get("server"):
        dial_records.stamp_calls(session, [(values["server"], values["linkedid"])])
    session.commit()


def _late_cause(session: Session, attempt_id: int, cause: int) -> None:
    session.execute(
        update(DialAttempt)
        .where(DialAttempt.id == attempt_id, DialAttempt.hangup_cause.is_(None))
        .values(hangup_cause=cause)
    )
    session.commit()


def _day_of_attempts(
    session: Session, campaign_id: int, since: datetime
) -> list[tuple[str, datetime | None, datetime | None, datetime | None, datetime, float | None]]:
    """(outcome, dialed, answered, connected, ended, talk) of the campaign's attempts that
    ended since `since`, oldest first (the pacer's day after a restart)."""
    rows = session.execute(
        select(
            DialAttempt.outcome,
            DialAttempt.dialed_at,
            DialAttempt.answered_at,
            DialAttempt.connected_at,
            DialAttempt.ended_at,
            DialAttempt.talk_s,
        )
        .where(DialAttempt.campaign_id == campaign_id, DialAttempt.ended_at > since)
        .where(DialAttempt.outcome.is_not(None), DialAttempt.outcome != Outcome.UNKNOWN)
        .order_by(DialAttempt.ended_at)
    ).all()
    return [(r[0] or "", r[1], r[2], r[3], r[4], r[5]) for r in rows if r[4] is not None]


def _lead_in_call(session: Session, lead_id: int) -> None:
    session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.state == LeadState.DIALING)
        .values(state=LeadState.IN_CALL)
    )
    session.commit()


def _blocked(session: Session, attempt_id: int, now: datetime) -> None:
    attempt = session.get(DialAttempt, attempt_id)
    if attempt is None:
        return
    attempt.state = AttemptState.ENDED
    attempt.outcome = Outcome.FAILED
    attempt.ended_at = now
    attempt.note = "not dialled: the number is blocked"
    lead = session.get(Lead, attempt.lead_id)
    if lead is not None:
        lead.state = LeadState.BLOCKED
        lead.closed_at = now
    session.commit()


def _close(
    session: Session,
    *,
    attempt_id: int,
    outcome: Outcome,
    now: datetime,
    server: str,
    reason: int | None = None,
    cause: int | None = None,
) -> None:
    """End the attempt with `outcome`, move its lead on (retry rules) and make sure it has
    its call record."""
    attempt = session.get(DialAttempt, attempt_id)
    if attempt is None or attempt.state == AttemptState.ENDED:
        return
    attempt.state = AttemptState.ENDED
    attempt.outcome = outcome
    attempt.ended_at = now
    attempt.server = attempt.server or server
    if reason is not None:
        attempt.reason = reason
    if cause is not None:
        attempt.hangup_cause = cause
    if attempt.connected_at is not None:
        attempt.talk_s = round((now - attempt.connected_at).total_seconds(), 3)
    campaign = session.get(Campaign, attempt.campaign_id)
    lead = session.get(Lead, attempt.lead_id)
    if campaign is not None and lead is not None:
        if outcome == Outcome.ANSWERED and lead.state == LeadState.DIALING:
            lead.state = LeadState.IN_CALL
        after_attempt(session, campaign, lead, attempt, now)
    dial_records.ensure_record(session, attempt)
    session.commit()


def _open_attempts(session: Session, server: str) -> list[DialAttempt]:
    """This PBX's open attempts (another PBX's dialer settles its own), and those stored
    with no PBX at all."""
    rows = session.scalars(
        select(DialAttempt).where(
            DialAttempt.state.in_(OPEN_STATES),
            or_(DialAttempt.server == server, DialAttempt.server.is_(None)),
        )
    ).all()
    session.expunge_all()
    return list(rows)


def _campaigns_of(session: Session, agent: str) -> list[Campaign]:
    user = session.scalar(select(User).where(User.username == agent))
    if user is None:
        return []
    team = user.team.name if user.team else None
    running = session.scalars(
        select(Campaign)
        .where(Campaign.state == CampaignState.RUNNING, Campaign.mode == CampaignMode.PREVIEW)
        .order_by(Campaign.id)
    ).all()
    return [
        c
        for c in running
        if agent in (c.agents or []) or (team is not None and team in (c.teams or []))
    ]


def _offer(lead: Lead, campaign_id: int) -> LeadOffer:
    return LeadOffer(
        campaign_id=campaign_id,
        lead_id=lead.id,
        number=lead.number,
        name=lead.name,
        customer_id=lead.customer_id,
        time_zone=lead.time_zone,
        attempts=lead.attempts,
    )


def _interface_of(session: Session, agent: str) -> str | None:
    return session.scalar(select(User.interface).where(User.username == agent))


def _preview_next(
    session: Session, agent: str, now: datetime, signed_in: frozenset[str]
) -> LeadOffer | None:
    campaigns = [c for c in _campaigns_of(session, agent) if c.queue in signed_in]
    for campaign in campaigns:
        held = session.scalar(
            select(Lead)
            .where(
                Lead.list_id == campaign.list_id,
                Lead.state == LeadState.RESERVED,
                Lead.owner == agent,
            )
            .limit(1)
        )
        if held is not None:
            return _offer(held, campaign.id)
    for campaign in campaigns:
        for lead in candidates(session, campaign, now, 20, owner=agent):
            if not dialable(session, campaign, lead, now):
                continue
            moved = session.execute(
                update(Lead)
                .where(Lead.id == lead.id, Lead.state == LeadState.OPEN)
                .values(state=LeadState.RESERVED, owner=agent)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount == 1:  # type: ignore[attr-defined]
                session.commit()
                session.refresh(lead)
                return _offer(lead, campaign.id)
        session.commit()  # leads found blocked stay blocked
    return None


def _skip_preview(session: Session, agent: str, lead_id: int, now: datetime) -> None:
    session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.state == LeadState.RESERVED, Lead.owner == agent)
        .values(state=LeadState.OPEN, owner=None, next_at=now)  # behind the untried leads
    )
    session.commit()


def _reserve_preview(
    session: Session, agent: str, lead_id: int, interface: str, now: datetime, server: str
) -> tuple[Campaign, Reservation] | str:
    lead = session.get(Lead, lead_id)
    if lead is None or lead.state != LeadState.RESERVED or lead.owner != agent:
        return "this lead is not held for you; ask for the next one"
    campaign = next((c for c in _campaigns_of(session, agent) if c.list_id == lead.list_id), None)
    if campaign is None:
        return "no running preview campaign of yours has this lead"
    reservation = reserve_chosen(
        session, campaign, lead, Seat(agent, interface), now, server=server
    )
    if reservation is None:
        session.commit()
        if lead.state == LeadState.BLOCKED:
            return "this number is on a do-not-call list; it may not be dialled"
        return "this lead may not be dialled now (calling hours or attempts used up)"
    lead.owner = None
    session.commit()
    session.expunge(campaign)
    return campaign, reservation
