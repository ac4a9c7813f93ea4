"""A call as the switchboard follows it: its channels, rings, bridge and ground-truth draft."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sim.callees import Dialled
from sim.pbx.model import Bridge, Channel, Device, Member, QueueEntry
from sim.pbx.truth import CallDraft, CampaignDraft, VisitDraft

DEFAULT_TIMEOUT_MS = 30000  # an Originate's Timeout when it gives none (Asterisk's default)


@dataclass(eq=False, slots=True)
class Ring:
    """One member's phone ringing for a caller."""

    channel: Channel
    member: Member
    started_at: float


@dataclass(eq=False, slots=True)
class DirectDial:
    """A caller's preferred member dialled directly (Dial before Queue)."""

    channel: Channel
    device: Device
    started_at: float
    bridge: Bridge | None = None


@dataclass(eq=False, slots=True)
class Consultation:
    """An attended transfer in progress: the agent talks to `target` in its own bridge."""

    target: Channel
    bridge: Bridge
    label: str


@dataclass(eq=False, slots=True)
class Outbound:
    """What a click-to-dial call needs to remember."""

    device: Device
    number: str
    context: str
    action_id: str | None


@dataclass(frozen=True, slots=True)
class CampaignDial:
    """An Originate into `[campaign-dial]`, as the action gave it."""

    channel: str
    context: str
    exten: str
    caller_id: tuple[str, str]
    action_id: str | None
    variables: dict[str, str]
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    channel_id: str = ""  # the Originate's ChannelId: the channel's Uniqueid and Linkedid
    other_channel_id: str = ""


@dataclass(eq=False, slots=True)
class CampaignLeg:
    """What a campaign call (customer first, `[campaign-dial]`) needs to remember."""

    request: CampaignDial
    draft: CampaignDraft
    dialled: Dialled
    timeout_s: float
    local: bool
    # Moves on with each stage: a timer of an earlier stage finds it changed and does nothing.
    step: int = 0
    stage: str = "dialing"  # dialing, amd, agent, queue, talking, message
    engine_call: int | None = None  # the engine's call id once an agent or a queue has it
    queue_deadline: float | None = None  # when Queue()'s wait is over
    agent_no_answer: bool = False  # Dial's timeout ran out on the reserved agent's phone


@dataclass(eq=False, slots=True)
class PbxCall:
    """One caller's journey through the PBX."""

    key: object
    caller: Channel
    truth: CallDraft
    queue: str | None = None
    visit: VisitDraft | None = None
    entry: QueueEntry | None = None
    rings: dict[str, Ring] = field(default_factory=dict)
    agent_channel: Channel | None = None
    agent_member: Member | None = None
    bridge: Bridge | None = None
    answered_at: float = 0.0
    held: bool = False
    # After a transfer out of the queues, or in an outbound call: the far party.
    far: Channel | None = None
    ended: bool = False
    consult: Consultation | None = None
    outbound: Outbound | None = None
    direct: DirectDial | None = None
    campaign: CampaignLeg | None = None
    # Set while the routing server is asked (from-trunk); set off when the caller hangs up.
    routing: asyncio.Event | None = None

    def agent_leg(self) -> Channel | None:
        """The agent's channel talking with the caller: a queue member's, or the preferred
        member's the caller dialled itself once answered (Asterisk transfers and holds both
        the same way: the two channels share a bridge)."""
        if self.agent_channel is not None:
            return self.agent_channel
        direct = self.direct
        return direct.channel if direct is not None and direct.bridge is not None else None
