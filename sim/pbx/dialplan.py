"""The simulated PBX's dial plan: docs/asterisk/extensions.conf's contexts, Asterisk's matching."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

# One step of an extension: (application, its data), `${EXTEN}` left as written.
Step = tuple[str, str]

PHONE_STEPS: tuple[Step, ...] = (
    ("NoOp", "Internal call to ${EXTEN}"),
    ("Dial", "PJSIP/${EXTEN},30,tT"),
    ("Hangup", ""),
)
OUTSIDE_STEPS: tuple[Step, ...] = (
    ("NoOp", "Outbound call to ${EXTEN} for ${CALLERID(all)}"),
    ("Set", "DYNAMIC_FEATURES=consolehold"),
    ("Dial", "PJSIP/${EXTEN}@trunk,60,T"),
    ("Hangup", ""),
)
QUEUE_STEPS: tuple[Step, ...] = (
    ("NoOp", "Queue ${EXTEN} for ${CALLERID(all)}"),
    ("Answer", ""),
    ("Set", "__DYNAMIC_FEATURES=consolehold"),
    ("Queue", "${EXTEN},t,,,${QUEUE_WAIT}"),
    ("GotoIf", '$["${QUEUESTATUS}"="TIMEOUT"]?voicemail,${EXTEN},1'),
    ("Hangup", ""),
)
# The capture PBX's supervisor and team lead (tests/fixtures/ami: attended_transfer).
DESK_STEPS: tuple[Step, ...] = (
    ("NoOp", "Supervisor phone rings"),
    ("Ringing", ""),
    ("Wait", "2"),
    ("Answer", ""),
    ("Wait", '${IF($["${SUP_TALK}"=""]?600:${SUP_TALK})}'),
    ("Hangup", ""),
)
# [from-trunk]: a DID's caller, routed by the CRM's FastAGI server (sim.pbx.from_trunk).
FROM_TRUNK_STEPS: tuple[Step, ...] = (
    ("NoOp", "Inbound ${CALLERID(all)} for ${EXTEN}"),
    ("Set", "__DIALED=${EXTEN}"),
    ("GotoIf", '$["${CRM_ROUTING}"!="yes"]?fallback'),
    ("AGI", "${CRM_AGI},${EXTEN},${IVR_DIGITS}"),
)
# [campaign-dial] of docs/asterisk/extensions.conf: an outbound campaign's customer, answered
# (sim.pbx.campaign_calls plays it; the priorities are those of the real captures).
CAMPAIGN_STEPS: tuple[Step, ...] = (
    ("NoOp", "Campaign ${CC_CAMPAIGN} lead ${CC_LEAD} attempt ${CC_ATTEMPT} answered"),
    ("GotoIf", '$["${CC_AMD}"!="1"]?person'),
    ("AMD", ""),
    ("GotoIf", '$["${AMDSTATUS}"="MACHINE"]?machine'),
    ("UserEvent", "CampaignCall,Attempt: ${CC_ATTEMPT},Stage: answered"),
    ("Set", "__DYNAMIC_FEATURES=consolehold"),
    ("GotoIf", '$["${CC_AGENT}"=""]?queue'),
    ("Dial", "${CC_AGENT},${CAMPAIGN_AGENT_RING},t"),
    ("GotoIf", '$["${DIALSTATUS}"="ANSWER"]?done:abandoned'),
    ("Queue", "${CC_QUEUE},t,,,1"),
    ("GotoIf", '$["${QUEUESTATUS}"=""]?done'),
    ("UserEvent", "CampaignCall,Attempt: ${CC_ATTEMPT},Stage: abandoned"),
    ("Playback", "${ABANDONED_MESSAGE}"),
    ("Hangup", ""),
    (
        "UserEvent",
        "CampaignCall,Attempt: ${CC_ATTEMPT},Stage: machine,"
        "AmdStatus: ${AMDSTATUS},AmdCause: ${AMDCAUSE}",
    ),
    ("Hangup", ""),
)
AGENTS = "_[1-3]XXX"  # agents' phones: four digits, 1000-3999
QUEUE_NAMES = "queue names"  # stands for one literal extension per queue the PBX has


def goto(context: str, exten: str = "${EXTEN}") -> tuple[Step, ...]:
    return (("Goto", f"{context},{exten},1"),)


# context -> extension (literal or `_` pattern) -> steps. `QUEUE_NAMES` is one extension per
# queue of the PBX: Asterisk's `_[a-z].` would take any name and Queue() then fail to join
# it, which drops the caller; the simulated PBX refuses such a name in the dial plan instead.
CONTEXTS: dict[str, dict[str, tuple[Step, ...]]] = {
    "console": {
        QUEUE_NAMES: goto("queues"),
        AGENTS: goto("phones"),
        "_X.": goto("outbound"),
        "_+X.": goto("outbound"),
    },
    "queues": {QUEUE_NAMES: QUEUE_STEPS},
    "phones": {
        AGENTS: PHONE_STEPS,
        QUEUE_NAMES: goto("queues"),
        "_9X.": goto("outbound", "${EXTEN:1}"),
    },
    "outbound": {"_X.": OUTSIDE_STEPS, "_+X.": OUTSIDE_STEPS},
    "transfers": {"300": DESK_STEPS, "310": DESK_STEPS, QUEUE_NAMES: goto("queues")},
    "from-trunk": {"_X.": FROM_TRUNK_STEPS},
    "campaign-dial": {"s": CAMPAIGN_STEPS},
}


@dataclass(frozen=True, slots=True)
class Destination:
    """Where `exten@context` ends up after the `Goto`s: a queue, a phone, or outside."""

    context: str
    exten: str
    # "queue", "phone", "outside", "desk", "did" (a caller from the trunk) or "campaign"
    kind: str


class UnknownContext(LookupError):
    """The dial plan has no such context."""


class Dialplan:
    """The contexts above, with the PBX's queues and phones filled in."""

    def __init__(self, queues: Callable[[], Iterable[str]], phones: Callable[[], Iterable[str]]):
        self._queues = queues
        self._phones = phones

    def find(self, context: str, exten: str) -> tuple[str, tuple[Step, ...]] | None:
        """The extension (name or pattern) and steps Asterisk runs for `exten@context`:
        the best match, as `ShowDialPlan` lists it. UnknownContext if there is no context."""
        extensions = CONTEXTS.get(context)
        if extensions is None:
            raise UnknownContext(context)
        found: list[tuple[str, tuple[Step, ...]]] = []
        for name, steps in extensions.items():
            if name == QUEUE_NAMES:
                if exten in set(self._queues()):
                    found.append((exten, steps))
            elif matches(name, exten):
                found.append((name, steps))
        return min(found, key=lambda item: specificity(item[0])) if found else None

    def route(self, context: str, exten: str) -> Destination | None:
        """Where a call sent to `exten@context` gets, or None when nothing takes it there (a
        missing context, extension, or a phone no device answers: the caller is hung up)."""
        for _ in range(5):
            try:
                found = self.find(context, exten)
            except UnknownContext:
                return None
            if found is None:
                return None
            _, steps = found
            app, data = steps[0]
            if app != "Goto":
                return self._destination(context, exten, steps)
            context, target, _ = data.split(",")
            exten = exten[1:] if target == "${EXTEN:1}" else exten
        return None

    def _destination(self, context: str, exten: str, steps: tuple[Step, ...]) -> Destination | None:
        if steps is QUEUE_STEPS:
            return Destination(context, exten, "queue")
        if steps is PHONE_STEPS:
            known = exten in set(self._phones())
            return Destination(context, exten, "phone") if known else None
        if steps is OUTSIDE_STEPS:
            return Destination(context, exten, "outside")
        if steps is FROM_TRUNK_STEPS:
            return Destination(context, exten, "did")
        if steps is CAMPAIGN_STEPS:
            return Destination(context, exten, "campaign")
        return Destination(context, exten, "desk")


def _elements(pattern: str) -> list[frozenset[str] | None]:
    """A `_` pattern's characters as sets; None for `.` (one or more of anything)."""
    digits = "0123456789"
    named = {"X": digits, "Z": digits[1:], "N": digits[2:]}
    out: list[frozenset[str] | None] = []
    body, i = pattern[1:], 0
    while i < len(body):
        char = body[i]
        if char == ".":
            out.append(None)
        elif char in named:
            out.append(frozenset(named[char]))
        elif char == "[":
            end = body.index("]", i)
            out.append(_char_set(body[i + 1 : end]))
            i = end
        else:
            out.append(frozenset(char))
        i += 1
    return out


def _char_set(body: str) -> frozenset[str]:
    chars: set[str] = set()
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars.update(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            chars.add(body[i])
            i += 1
    return frozenset(chars)


def matches(name: str, exten: str) -> bool:
    """Whether the extension `name` (a literal, or a `_` pattern) takes `exten`."""
    if not name.startswith("_"):
        return name == exten
    elements = _elements(name)
    for index, element in enumerate(elements):
        if element is None:  # `.`: one or more of anything, to the end
            return len(exten) > index
        if index >= len(exten) or exten[index] not in element:
            return False
    return len(exten) == len(elements)


def specificity(name: str) -> tuple[int, ...]:
    """Sort key: a literal first, then the pattern whose characters allow the fewest."""
    if not name.startswith("_"):
        return (0,)
    return (1, *(len(e) if e is not None else 10_000 for e in _elements(name)))
