"""Scenario model: what a simulated call center looks like, loaded from a TOML file.

A scenario is read once (`sim.scenario_file`), validated, and turned into the frozen dataclasses
here, which both the fast discrete-event engine (`sim.engine`) and the simulated PBX
(`sim.pbx`) consume. Every bad input raises `ScenarioError` naming the key (as a dotted path
such as `queue[2].talk.mean_s`) and the line of the file it is on, e.g.::

    demo.toml line 14: queue[1].transfer.queue: no queue named 'sales'

The smallest valid file is one queue with anonymous agents::

    seed = 1
    [[queue]]
    name = "support"
    agents = 50
    arrival_rate_per_hour = 1000
    service_level_s = 20
    short_abandon_s = 0
    wrap_up_s = 0
    talk = { distribution = "exponential", mean_s = 180 }
    patience = { distribution = "exponential", mean_s = 120 }   # absent: nobody abandons

Richer files add `[[agent]]` tables (member name, interface, `human = true`, the queues they
serve with penalties, ring delay, ring-no-answer probability, a shift and pauses), a `[callers]`
table (the share of known customers and their numbers and names), per-queue `strategy`,
`timeout_s`, `member_timeout_s`, `retry_s`, `weight`, `agent_hangup_share`, an
`arrival_profile` (calls per hour for each 15-minute interval from a clock time) and a
`transfer` (blind-transfer probability to another queue). `sim/scenarios/*.toml` are worked
examples.

Times are seconds (`*_s`) of simulated time; clock times (`"08:00"`) are UTC on the scenario's
day, counted from `start` and repeating every 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

DAY_S = 86_400.0
PROFILE_INTERVAL_S = 900.0
SCENARIO_DIR = Path(__file__).parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the key and the line."""

    def __init__(self, message: str, *, source: str, key: str, line: int | None) -> None:
        where = f"{source} line {line}" if line is not None else source
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")
        self.source = source
        self.key = key
        self.line = line
        self.reason = message


class DistributionKind(StrEnum):
    """Families of random durations a scenario may use."""

    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"
    DETERMINISTIC = "deterministic"
    UNIFORM = "uniform"
    EMPIRICAL = "empirical"


class Strategy(StrEnum):
    """Asterisk app_queue ring strategies the engine implements."""

    RINGALL = "ringall"
    RRMEMORY = "rrmemory"
    LEASTRECENT = "leastrecent"
    FEWESTCALLS = "fewestcalls"
    RANDOM = "random"
    LINEAR = "linear"


@dataclass(frozen=True, slots=True)
class Distribution:
    """A random duration in seconds.

    exponential(mean_s); lognormal(mean_s, cv) with cv = standard deviation / mean;
    deterministic(mean_s) always returns mean_s; uniform(low_s, high_s); empirical(values,
    weights) draws one of the observed values (weights default to equal).
    `mean_s` is always the distribution's mean (computed for uniform and empirical).
    """

    kind: DistributionKind
    mean_s: float
    cv: float = 0.0
    low_s: float = 0.0
    high_s: float = 0.0
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()

    @classmethod
    def exponential(cls, mean_s: float) -> Distribution:
        return cls(DistributionKind.EXPONENTIAL, mean_s)

    @classmethod
    def deterministic(cls, value_s: float) -> Distribution:
        return cls(DistributionKind.DETERMINISTIC, value_s)

    @classmethod
    def lognormal(cls, mean_s: float, cv: float) -> Distribution:
        return cls(DistributionKind.LOGNORMAL, mean_s, cv=cv)

    @classmethod
    def uniform(cls, low_s: float, high_s: float) -> Distribution:
        return cls(DistributionKind.UNIFORM, (low_s + high_s) / 2, low_s=low_s, high_s=high_s)

    @classmethod
    def empirical(cls, values: tuple[float, ...], weights: tuple[float, ...] = ()) -> Distribution:
        w = weights or tuple(1.0 for _ in values)
        mean = sum(v * p for v, p in zip(values, w, strict=True)) / sum(w)
        return cls(DistributionKind.EMPIRICAL, mean, values=values, weights=weights)

    @property
    def is_zero(self) -> bool:
        """Always exactly zero (lets the engine skip a step, e.g. no ringing)."""
        return self.kind is DistributionKind.DETERMINISTIC and self.mean_s == 0.0


NO_DELAY = Distribution.deterministic(0.0)
HUMAN_RING = Distribution.deterministic(2.0)
DEFAULT_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ArrivalProfile:
    """Calls per hour for consecutive 15-minute intervals from a clock time, every day.

    Outside the listed intervals no calls arrive (the center is closed).
    """

    start_s: float
    rates_per_hour: tuple[float, ...]
    interval_s: float = PROFILE_INTERVAL_S


@dataclass(frozen=True, slots=True)
class Transfer:
    """After talking, an answered caller is blind-transferred to `queue` with `probability`."""

    probability: float
    queue: str


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """One ACD queue: its callers, its talk times and Asterisk-like settings.

    `agents` is the number of anonymous members generated for this queue (named
    `<queue>-01`, ...); named agents join through their own `queues`. `timeout_s` is the
    queue's maximum wait (None: no limit). `member_timeout_s` is how long a member is rung
    before ring-no-answer, `retry_s` the pause before the caller is offered again.
    `agent_hangup_share` is the share of answered calls the agent (not the caller) ends.
    """

    name: str
    service_level_s: float
    short_abandon_s: float
    wrap_up_s: float
    talk: Distribution
    arrival_rate_per_hour: float = 0.0
    arrival_profile: ArrivalProfile | None = None
    patience: Distribution | None = None
    strategy: Strategy = Strategy.RRMEMORY
    timeout_s: float | None = None
    member_timeout_s: float = 15.0
    retry_s: float = 5.0
    weight: int = 0
    agents: int = 0
    transfer: Transfer | None = None
    dialed_number: str | None = None
    agent_hangup_share: float = 0.0
    numbers: tuple[str, ...] = ()
    # A caller who needs a skill waits this long for a member who has it; then any member
    # may answer (a queue rule raising QUEUE_MAX_PENALTY). None: they wait for the skill.
    relax_needs_after_s: float | None = None

    @property
    def dialed(self) -> str:
        """The number this queue's callers dial: `dialed_number`, else its first DID, else
        its name."""
        return self.dialed_number or (self.numbers[0] if self.numbers else self.name)

    @property
    def has_arrivals(self) -> bool:
        """Whether callers ever dial this queue directly."""
        if self.arrival_profile is not None:
            return any(rate > 0 for rate in self.arrival_profile.rates_per_hour)
        return self.arrival_rate_per_hour > 0


@dataclass(frozen=True, slots=True)
class Membership:
    """An agent's membership of one queue; lower penalty is offered calls first."""

    queue: str
    penalty: int = 0


@dataclass(frozen=True, slots=True)
class Shift:
    """Logged in from `start_s` to `end_s` (clock seconds; end before start wraps midnight)."""

    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Pause:
    """A daily pause: `reason` at clock time `at_s` for `duration_s` (all queues)."""

    reason: str
    at_s: float
    duration_s: float


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """One queue member.

    `name` is the queue MemberName, `interface` the device (`PJSIP/1001`). A `human` agent is a
    person at a console: in live mode the PBX rings them, they auto-answer after `ring`, and the
    call lasts until hung up from the console, or until the caller gives up after
    `max_talk_s`. Bots talk for their queue's talk distribution. `ring` is the delay before
    answering and `ring_no_answer_probability` the chance they let a call ring out.
    """

    name: str
    interface: str
    memberships: tuple[Membership, ...]
    human: bool = False
    ring: Distribution = NO_DELAY
    ring_no_answer_probability: float = 0.0
    shift: Shift | None = None
    pauses: tuple[Pause, ...] = ()
    max_talk_s: float = 1800.0
    skills: tuple[tuple[str, int], ...] = ()  # (skill, level): higher is stronger

    @property
    def queues(self) -> tuple[str, ...]:
        return tuple(m.queue for m in self.memberships)


@dataclass(frozen=True, slots=True)
class Callers:
    """Who calls: a share of known customers drawn from `numbers` (with `names` when given).

    Unknown callers get a random number under `unknown_prefix` and no name. The numbers may be
    replaced at run time by those of a CRM (`Scenario.with_known_callers`). A `vip_share` of
    callers are VIPs (queued with `vip_priority`, calling from `vip_numbers` when given), and
    `needs` gives the share of callers who need each skill (`{"lang:de": 0.2}`).
    """

    known_share: float = 0.0
    numbers: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    unknown_prefix: str = "+1555"
    # Caller classes (see `sim.classes`): the share of VIP callers, their queue priority and
    # numbers, and the share of callers needing each skill (a caller needs one at most).
    vip_share: float = 0.0
    vip_priority: int = 10
    vip_numbers: tuple[str, ...] = ()
    vip_names: tuple[str, ...] = ()
    needs: tuple[tuple[str, float], ...] = ()

    @property
    def has_classes(self) -> bool:
        """Whether callers differ in priority or needs (the fast paths then do not apply)."""
        return self.vip_share > 0 or bool(self.needs)


@dataclass(frozen=True, slots=True)
class Routing:
    """How the simulated PBX routes callers of a DID (docs/asterisk/extensions.conf
    [from-trunk]): the FastAGI server it asks (None: straight to the DID's queue), the queue
    when that server says nothing usable, how long a preferred member's phone rings."""

    agi_url: str | None = None
    default_queue: str = "support"
    preferred_wait_s: float = 8.0


# The `[outbound]` defaults: a few seconds of ringing, AMD's usual verdict times, 2 min talks.
CALLEE_RING = Distribution.uniform(3.0, 15.0)
CALLEE_REJECT_AFTER = Distribution.uniform(0.5, 3.0)
# AMD() lets a person through after their greeting and 800 ms of silence (about 2.2 s after the
# answer for a short "hello?", tests/fixtures/ami/outbound_human_amd).
AMD_PERSON = Distribution.uniform(1.8, 2.6)
AMD_MACHINE = Distribution.uniform(2.0, 4.0)
CALLEE_TALK = Distribution.lognormal(120.0, 0.6)


class FarOutcome(StrEnum):
    """What the far end of a dialled number does (the simulated PBX's outbound calls)."""

    PERSON = "person"  # answers after the ring time, and talks
    MACHINE = "machine"  # an answering machine answers (AMD() says MACHINE)
    BUSY = "busy"  # SIP 486: cause 17
    NO_ANSWER = "no_answer"  # rings until the Originate's Timeout: cause 19
    CONGESTION = "congestion"  # SIP 503: cause 34
    FAILED = "failed"  # SIP 404, a number that does not exist: cause 1
    REJECTED = "rejected"  # SIP 603 Decline: cause 21


@dataclass(frozen=True, slots=True)
class CalleeOverride:
    """One number's own behaviour (`[[outbound.number]]`); None keeps the general draw."""

    number: str
    outcome: FarOutcome | None = None
    ring_s: float | None = None
    talk_s: float | None = None


@dataclass(frozen=True, slots=True)
class Callees:
    """The people (and machines) the PBX dials out to: the scenario's `[outbound]`.

    Of all dials, `answer_probability` are answered (after a `ring` draw: later than the
    Originate's Timeout is a no-answer after all), `busy_share`, `congestion_share` and
    `failed_share` end after `reject_after`, the rest ring until the Timeout. Of the answered,
    `machine_share` are answering machines. `amd_person` / `amd_machine` are how long AMD()
    listens before it says HUMAN / MACHINE; `talk` how long a person talks with the agent
    before hanging up; `message_s` the abandoned-call message played before the hang-up.
    """

    answer_probability: float = 0.3
    busy_share: float = 0.1
    congestion_share: float = 0.02
    failed_share: float = 0.01
    machine_share: float = 0.2
    ring: Distribution = CALLEE_RING
    reject_after: Distribution = CALLEE_REJECT_AFTER
    amd_person: Distribution = AMD_PERSON
    amd_machine: Distribution = AMD_MACHINE
    talk: Distribution = CALLEE_TALK
    message_s: float = 6.0
    numbers: tuple[CalleeOverride, ...] = ()

    @property
    def no_answer_share(self) -> float:
        """The share of dials nobody picks up, however long it rings."""
        rest = 1.0 - self.answer_probability - self.busy_share
        return max(0.0, rest - self.congestion_share - self.failed_share)

    def override(self, number: str) -> CalleeOverride | None:
        """The number's own behaviour, if the scenario gives one."""
        for entry in self.numbers:
            if entry.number == number:
                return entry
        return None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A whole simulated call center: queues, agents, callers, start time and seed."""

    queues: tuple[QueueSpec, ...]
    agents: tuple[AgentSpec, ...]
    seed: int = 0
    start: datetime = DEFAULT_START
    server: str = "sim"
    callers: Callers = field(default_factory=Callers)
    source: str = "<scenario>"
    routing: Routing = field(default_factory=Routing)
    outbound: Callees = field(default_factory=Callees)

    def queue(self, name: str) -> QueueSpec:
        """The queue called `name` (KeyError if there is none)."""
        for spec in self.queues:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def agent(self, name: str) -> AgentSpec:
        """The agent whose member name is `name` (KeyError if there is none)."""
        for spec in self.agents:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def with_known_callers(self, numbers: tuple[str, ...], names: tuple[str, ...] = ()) -> Scenario:
        """The same scenario with the known-customer pool replaced (e.g. numbers from a CRM)."""
        if names and len(names) != len(numbers):
            raise ValueError("names must match numbers one to one")
        return replace(self, callers=replace(self.callers, numbers=numbers, names=names))
