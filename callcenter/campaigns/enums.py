"""The outbound vocabularies, stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class ListSource(StrEnum):
    """Where a call list's leads came from."""

    CSV = "csv"
    QUERY = "query"
    CALLBACKS = "callbacks"


class LeadOrigin(StrEnum):
    """How one lead got on its list."""

    CSV = "csv"
    CRM = "crm"
    ABANDONED = "abandoned"  # an inbound caller who gave up waiting
    WEB = "web"  # "call me back" on the company's web site
    AGENT = "agent"  # promised at the console
    API = "api"


class LeadState(StrEnum):
    """Where a lead stands; only `open` leads are dialled (when `next_at` has come)."""

    OPEN = "open"
    RESERVED = "reserved"  # held for one agent: a preview being read
    DIALING = "dialing"  # an attempt is under way
    IN_CALL = "in_call"  # answered, with an agent
    DONE = "done"  # a final disposition, or reached (a callback)
    EXHAUSTED = "exhausted"  # the campaign's maximum attempts used up
    BLOCKED = "blocked"  # on a do-not-call list, or the customer asked not to be called
    CANCELLED = "cancelled"  # dropped by a person


class CampaignMode(StrEnum):
    """How the dialer feeds the campaign's agents."""

    PREVIEW = "preview"  # the agent reads the lead, then presses Call
    PROGRESSIVE = "progressive"  # one line per free agent, dialled at once
    PREDICTIVE = "predictive"  # more lines than free agents, paced under the abandon cap


class CampaignKind(StrEnum):
    """An ordinary outbound campaign, or the center's owed callbacks."""

    OUTBOUND = "outbound"
    CALLBACK = "callback"


class CampaignState(StrEnum):
    """Whether the dialer works the campaign; it is edited only as a draft or paused."""

    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class AttemptState(StrEnum):
    """Where one dial attempt is."""

    RESERVED = "reserved"  # stored, not yet sent to the PBX
    DIALING = "dialing"  # Originate sent
    ANSWERED = "answered"  # the customer answered, no agent yet
    CONNECTED = "connected"  # talking with an agent
    ENDED = "ended"


class Outcome(StrEnum):
    """How an attempt ended, from the PBX's own words."""

    ANSWERED = "answered"  # reached a person and an agent
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"
    FAILED = "failed"
    MACHINE = "machine"  # AMD() heard an answering machine
    ABANDONED = "abandoned"  # answered, no agent free: the message was played
    UNKNOWN = "unknown"  # the dialer restarted and the PBX no longer knew the call


# The outcomes a campaign's retry rules name (minutes before the next attempt).
RETRY_OUTCOMES = (
    Outcome.BUSY,
    Outcome.NO_ANSWER,
    Outcome.MACHINE,
    Outcome.CONGESTION,
    Outcome.FAILED,
    Outcome.ABANDONED,
    Outcome.UNKNOWN,
)
