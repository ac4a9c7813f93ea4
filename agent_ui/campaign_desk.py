"""Each agent's campaign lead on screen: previews asked of the dialer, calls it connects,
the outcome, and the next lead after a disposition, published as numbered `campaign` frames.

Runs beside the consoles (the process of the PBX link and the dialer). The lead on screen is
kept here so a reload or a second tab shows the same lead at the same stage; the dialer keeps
the lead itself reserved for the agent in the database, so a restart shows it again too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.campaign_view import HeldLead, held_lead, lead_panel
from agent_ui.hub import ConsoleHub
from agent_ui.pbx import ConsoleError
from callcenter.bus import Bus
from callcenter.campaigns.enums import Outcome
from callcenter.campaigns.models import Campaign
from callcenter.cti.protocol import AmiError
from callcenter.events import CampaignLeadOffered, DialAttemptEnded
from callcenter.users.models import User

log = logging.getLogger(__name__)

# Stages during which the lead on screen is the agent's work and another must not replace it.
BUSY_STAGES = ("dialing", "in_call", "wrap")


class CampaignRefused(ConsoleError):
    """The dialer said no to what the agent asked (no such lead of theirs, a blocked number)."""

    status_code = 409


class CallNotPlaced(ConsoleError):
    """The PBX did not accept the call to the lead."""

    status_code = 502


class NoDialer(ConsoleError):
    """No dialer runs beside the consoles (no PBX configured, or it is starting)."""

    status_code = 503


class PreviewDialer(Protocol):
    """What the console asks of the dialer (`agent`: the username)."""

    async def preview_next(self, agent: str) -> Any | None: ...

    async def dial_preview(self, agent: str, lead_id: int) -> int: ...

    async def skip_preview(self, agent: str, lead_id: int) -> None: ...


Shown = dict[str, Any]
CampaignEvent = CampaignLeadOffered | DialAttemptEnded


class CampaignDesk:
    """The campaign lead on each agent's screen, published through the consoles' hub."""

    def __init__(
        self, hub: ConsoleHub, sessions: sessionmaker[Session], *, server: str | None = None
    ) -> None:
        self.hub = hub
        self.sessions = sessions
        self.server = server
        self.dialer: PreviewDialer | None = None
        # Where to find the dialer when none is attached (one that starts after the consoles,
        # such as the active `cti run`'s once the PBX link is up).
        self.find_dialer: Callable[[], PreviewDialer | None] | None = None
        self._shown: dict[int, Shown] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._user_ids: dict[str, int] = {}
        # The dialer's events per agent, shown one after the other in the order published
        # (a short call's end never overtakes its connection), one agent never waiting on
        # another's.
        self._inboxes: dict[str, asyncio.Queue[CampaignEvent]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._unsubscribe: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- wiring ---------------------------------------------------------------------------

    def attach_dialer(self, dialer: PreviewDialer) -> Callable[[], None]:
        """The dialer running beside the consoles; call the answer to detach it."""
        self.dialer = dialer

        def detach() -> None:
            if self.dialer is dialer:
                self.dialer = None

        return detach

    def start(self, bus: Bus) -> None:
        """Follow the dialer's events (call from inside the loop)."""
        self._loop = asyncio.get_running_loop()
        self._unsubscribe.append(bus.subscribe(CampaignLeadOffered, self._received))
        self._unsubscribe.append(bus.subscribe(DialAttemptEnded, self._received))

    async def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        pending = [*self._workers]
        for worker in pending:
            worker.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def snapshot(self, user_id: int) -> Shown | None:
        """The campaign frame the agent's tabs show now (None: nothing shown since start)."""
        return self._shown.get(user_id)

    # -- the agent's requests -------------------------------------------------------------

    async def next_lead(self, user_id: int, username: str) -> Shown:
        """The agent's next preview (the same one again while it is reserved for them)."""
        async with self._lock(user_id):
            current = self._shown.get(user_id)
            if current is not None and current["stage"] in BUSY_STAGES:
                raise CampaignRefused("finish the lead on your screen first")
            return await self._next(user_id, username)

    async def call(self, user_id: int, username: str, lead_id: int) -> int:
        """Dial the previewed lead; answers the attempt once the PBX accepted the call."""
        async with self._lock(user_id):
            current = await self._preview_on_screen(user_id, username, lead_id)
            dialer = self._dialer()
            try:
                attempt_id = await dialer.dial_preview(username, lead_id)
            except Exception as exc:
                raise _refusal(exc, "the call was not placed") from exc
            await self._show(user_id, current, stage="dialing", attempt_id=attempt_id)
            return attempt_id

    async def skip(self, user_id: int, username: str, lead_id: int) -> Shown:
        """Put the previewed lead back without calling it; the next one follows."""
        async with self._lock(user_id):
            await self._preview_on_screen(user_id, username, lead_id)
            try:
                await self._dialer().skip_preview(username, lead_id)
            except Exception as exc:
                raise _refusal(exc, "the lead was not skipped") from exc
            return await self._next(user_id, username)

    async def disposed(self, user_id: int, username: str, lead_id: int, mode: str) -> Shown:
        """The lead's disposition is stored: the next preview, or wait for the next call."""
        async with self._lock(user_id):
            current = self._shown.get(user_id)
            if current is not None and current["lead_id"] not in (None, lead_id):
                return current  # another lead came meanwhile: it stays
            if mode == "preview":
                return await self._next(user_id, username)
            waiting: Shown = {"campaign_id": None, "lead_id": None, "mode": mode}
            return await self._show(
                user_id, waiting, stage="waiting", message="Saved. Waiting for the next call…"
            )

    async def _preview_on_screen(self, user_id: int, username: str, lead_id: int) -> Shown:
        """The preview of `lead_id` on the agent's screen; after a restart of the consoles,
        the one the database holds for them. Else 409."""
        current = self._shown.get(user_id)
        if current is None:
            held = await asyncio.to_thread(self._held, username)
            if held is not None and held.stage == "preview":
                current = {
                    "campaign_id": held.campaign_id,
                    "lead_id": held.lead_id,
                    "mode": held.mode,
                    "stage": "preview",
                }
        if current is None or current["lead_id"] != lead_id or current["stage"] != "preview":
            raise CampaignRefused("that lead is not the preview on your screen")
        return current

    def _held(self, username: str) -> HeldLead | None:
        with self.sessions() as session:
            return held_lead(session, username)

    # -- the dialer's events --------------------------------------------------------------

    def _received(self, event: CampaignEvent) -> None:
        if self.server is not None and event.server != self.server:
            return
        loop = self._loop
        if loop is None or event.agent is None:
            return
        loop.call_soon_threadsafe(self._deliver, event)

    def _deliver(self, event: CampaignEvent) -> None:
        agent = event.agent
        assert agent is not None
        inbox = self._inboxes.get(agent)
        if inbox is None:
            inbox = self._inboxes[agent] = asyncio.Queue()
            worker = asyncio.create_task(self._follow(inbox))
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        inbox.put_nowait(event)

    async def _follow(self, inbox: asyncio.Queue[CampaignEvent]) -> None:
        while True:
            event = await inbox.get()
            try:
                if isinstance(event, CampaignLeadOffered):
                    await self._offered(event)
                elif isinstance(event, DialAttemptEnded):
                    await self._ended(event)
            except Exception:
                log.exception("campaign console could not show %s", event)

    async def _offered(self, event: CampaignLeadOffered) -> None:
        """A preview shown, or a call connected to the agent: the lead's card and script."""
        user_id = await self._user_id(event.agent)
        if user_id is None:
            return
        stage = "preview" if event.attempt_id is None else "in_call"
        async with self._lock(user_id):
            current = self._shown.get(user_id)
            same_lead = current is not None and current["lead_id"] == event.lead_id
            same_call = (
                same_lead
                and current is not None
                and current.get("attempt_id") == event.attempt_id
                and current["stage"] in ("in_call", "wrap")
            )
            if same_lead and (stage == "preview" or same_call):
                return  # on screen already
            lead: Shown = {
                "campaign_id": event.campaign_id,
                "lead_id": event.lead_id,
                "mode": event.mode,
            }
            await self._show(user_id, lead, stage=stage, attempt_id=event.attempt_id)

    async def _ended(self, event: DialAttemptEnded) -> None:
        """The attempt of the lead on screen is over: its disposition, or it was not reached."""
        if event.agent is None:
            return
        user_id = await self._user_id(event.agent)
        if user_id is None:
            return
        async with self._lock(user_id):
            current = self._shown.get(user_id)
            if current is None or current["lead_id"] != event.lead_id:
                return
            if current.get("attempt_id") not in (None, event.attempt_id):
                return
            if event.outcome == Outcome.ANSWERED.value:
                await self._show(user_id, current, stage="wrap", attempt_id=event.attempt_id)
            else:
                await self._show(
                    user_id,
                    current,
                    stage="missed",
                    attempt_id=event.attempt_id,
                    outcome=event.outcome,
                )

    # -- showing --------------------------------------------------------------------------

    async def _next(self, user_id: int, username: str) -> Shown:
        try:
            offer = await self._dialer().preview_next(username)
        except Exception as exc:
            raise _refusal(exc, "no lead could be reserved") from exc
        if offer is None:
            nothing: Shown = {"campaign_id": None, "lead_id": None, "mode": "preview"}
            return await self._show(
                user_id, nothing, stage="idle", message="No lead to call now: try again later."
            )
        lead: Shown = {
            "campaign_id": int(offer.campaign_id),
            "lead_id": int(offer.lead_id),
            "mode": "preview",
        }
        return await self._show(user_id, lead, stage="preview", attempt_id=None)

    async def _show(
        self,
        user_id: int,
        lead: Shown,
        *,
        stage: str,
        attempt_id: int | None = None,
        outcome: str | None = None,
        message: str | None = None,
    ) -> Shown:
        """Render the lead at `stage` (off the loop: database work) and publish it."""
        username = await self._username(user_id)
        html = await asyncio.to_thread(
            self._render,
            username,
            lead["campaign_id"],
            lead["lead_id"],
            attempt_id,
            stage,
            outcome,
            message,
        )
        shown: Shown = {
            "campaign_id": lead["campaign_id"],
            "lead_id": lead["lead_id"],
            "attempt_id": attempt_id,
            "mode": lead["mode"],
            "stage": stage,
            "outcome": outcome,
            "html": html,
        }
        self._shown[user_id] = shown
        self.hub.publish(user_id, "campaign", shown)
        return shown

    def _render(
        self,
        username: str,
        campaign_id: int | None,
        lead_id: int | None,
        attempt_id: int | None,
        stage: str,
        outcome: str | None,
        message: str | None,
    ) -> str:
        with self.sessions() as session:
            if campaign_id is not None and session.get(Campaign, campaign_id) is None:
                campaign_id = None
            return lead_panel(
                session,
                agent=username,
                campaign_id=campaign_id,
                lead_id=lead_id,
                attempt_id=attempt_id,
                stage=stage,
                outcome=outcome,
                message=message,
            )

    def _dialer(self) -> PreviewDialer:
        dialer = self.dialer
        if dialer is None and self.find_dialer is not None:
            dialer = self.find_dialer()
        if dialer is None:
            raise NoDialer("the dialer is not running (is the PBX link up?)")
        return dialer

    def _lock(self, user_id: int) -> asyncio.Lock:
        return self._locks.setdefault(user_id, asyncio.Lock())

    async def _user_id(self, username: str) -> int | None:
        known = self._user_ids.get(username)
        if known is not None:
            return known
        found = await asyncio.to_thread(self._find_user, username)
        if found is not None:
            self._user_ids[username] = found
        return found

    async def _username(self, user_id: int) -> str:
        for name, known in self._user_ids.items():
            if known == user_id:
                return name
        name = await asyncio.to_thread(self._find_username, user_id)
        self._user_ids[name] = user_id
        return name

    def _find_user(self, username: str) -> int | None:
        with self.sessions() as session:
            return session.scalar(select(User.id).where(User.username == username))

    def _find_username(self, user_id: int) -> str:
        with self.sessions() as session:
            return session.scalar(select(User.username).where(User.id == user_id)) or ""


def _refusal(exc: Exception, what: str) -> Exception:
    """The dialer's failure as the console's error (one class a web worker of several knows
    too): a PBX that did not accept the call, or a refusal the dialer explains (a blocked
    number, a lead no longer held for the agent)."""
    if isinstance(exc, ConsoleError):
        return exc
    if isinstance(exc, AmiError):
        return CallNotPlaced(f"{what}: the PBX said {exc}")
    return CampaignRefused(f"{what}: {exc}")
