"""The scenario file's shape as pydantic models: every table, key, type and bound it accepts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Annotated, Any, Literal, NoReturn

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sim.scenario import DEFAULT_START, Distribution, FarOutcome, Strategy


def _fail(message: str) -> NoReturn:
    # The reason goes in the context: a template would read the braces some messages have.
    raise PydanticCustomError("scenario", "{reason}", {"reason": message})


def _clock(value: Any) -> float:
    """A clock time, "HH:MM[:SS]" or a TOML local time, as seconds after midnight."""
    if isinstance(value, time):
        return value.hour * 3600.0 + value.minute * 60.0 + value.second
    if isinstance(value, str):
        match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", value.strip())
        if match:
            hours, minutes, seconds = (int(g or 0) for g in match.groups())
            if hours < 24 and minutes < 60 and seconds < 60:
                return hours * 3600.0 + minutes * 60.0 + seconds
    _fail(f'must be a clock time like "08:30" (got {value!r})')


def _moment(value: Any) -> datetime:
    if not isinstance(value, datetime):
        _fail("must be a date and time like 2026-01-05T08:00:00Z")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # a local date-time is read as UTC
    return value.astimezone(UTC)


def _memberships(value: Any) -> tuple[tuple[str, int], ...]:
    """`queues = ["a", "b"]` (penalty 0) or `queues = { a = 0, b = 2 }` (with penalties)."""
    if isinstance(value, list) and all(isinstance(q, str) and q.strip() for q in value):
        return tuple((queue.strip(), 0) for queue in value)
    if isinstance(value, dict) and all(type(p) is int and p >= 0 for p in value.values()):
        return tuple(value.items())
    _fail("must be a list of queue names or a table { queue = penalty }")


def _skills(value: Any) -> tuple[tuple[str, int], ...]:
    """`skills = { "lang:de" = 2, "product:billing" = 1 }`: levels, higher the stronger."""
    if isinstance(value, dict) and all(
        isinstance(k, str) and k.strip() and type(v) is int and v >= 1 for k, v in value.items()
    ):
        return tuple((k.strip(), v) for k, v in value.items())
    _fail('must be a table { "skill" = level } with whole levels of at least 1')


def _needs(value: Any) -> tuple[tuple[str, float], ...]:
    """`needs = { "lang:de" = 0.2 }`: the share of callers needing each skill (sum <= 1)."""
    if isinstance(value, dict) and all(
        isinstance(k, str) and k.strip() and type(v) in (int, float) and 0 <= v <= 1
        for k, v in value.items()
    ):
        if sum(value.values()) > 1 + 1e-9:
            _fail("the shares must add up to at most 1 (a caller needs one skill at most)")
        return tuple((k.strip(), float(v)) for k, v in value.items())
    _fail('must be a table { "skill" = share } with shares between 0 and 1')


def _agi_url(value: Any) -> str:
    """`agi = "agi://127.0.0.1:4573/route"`: the FastAGI server routing DID callers."""
    from sim.pbx.agi_client import parse_agi_url

    if not isinstance(value, str):
        _fail("must be a FastAGI address like agi://127.0.0.1:4573/route")
    try:
        return parse_agi_url(value).url
    except ValueError as exc:
        _fail(str(exc))


# Strict: TOML has types, so "3" is not a number and 1 is not true.
NonNegative = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)]
Probability = Annotated[float, Strict(), Field(ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Strict(), Field(ge=0)]
AnyInteger = Annotated[int, Strict()]
Text = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, min_length=1)]
Flag = Annotated[bool, Strict()]
Clock = Annotated[float, PlainValidator(_clock)]
Moment = Annotated[datetime, PlainValidator(_moment)]
Memberships = Annotated[tuple[tuple[str, int], ...], PlainValidator(_memberships)]
Skills = Annotated[tuple[tuple[str, int], ...], PlainValidator(_skills)]
Needs = Annotated[tuple[tuple[str, float], ...], PlainValidator(_needs)]
AgiUrl = Annotated[str, PlainValidator(_agi_url)]
DialledNumber = Annotated[
    str, Strict(), StringConstraints(strip_whitespace=True, pattern=r"^\+?\d{2,20}$")
]


class Table(BaseModel):
    """A TOML table: its keys are checked, and a key it does not know is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Exponential(Table):
    distribution: Literal["exponential"]
    mean_s: Positive

    def build(self) -> Distribution:
        return Distribution.exponential(self.mean_s)


class Deterministic(Table):
    distribution: Literal["deterministic"]
    mean_s: NonNegative

    def build(self) -> Distribution:
        return Distribution.deterministic(self.mean_s)


class Lognormal(Table):
    distribution: Literal["lognormal"]
    mean_s: Positive
    cv: Positive

    def build(self) -> Distribution:
        return Distribution.lognormal(self.mean_s, self.cv)


class Uniform(Table):
    distribution: Literal["uniform"]
    low_s: NonNegative
    high_s: NonNegative

    @field_validator("high_s")
    @classmethod
    def _not_below_low(cls, high: float, info: ValidationInfo) -> float:
        if high < info.data.get("low_s", 0.0):
            _fail("must not be below low_s")
        return high

    def build(self) -> Distribution:
        return Distribution.uniform(self.low_s, self.high_s)


class Empirical(Table):
    distribution: Literal["empirical"]
    values: tuple[NonNegative, ...] = Field(min_length=1)
    weights: tuple[NonNegative, ...] = ()

    @field_validator("weights")
    @classmethod
    def _one_per_value(cls, weights: tuple[float, ...], info: ValidationInfo) -> tuple[float, ...]:
        if weights and len(weights) != len(info.data.get("values", weights)):
            _fail("must have one weight per value")
        if weights and sum(weights) <= 0:
            _fail("must not all be zero")
        return weights

    def build(self) -> Distribution:
        return Distribution.empirical(self.values, self.weights)


AnyDistribution = Annotated[
    Exponential | Deterministic | Lognormal | Uniform | Empirical,
    Field(discriminator="distribution"),
]


class ArrivalProfileTable(Table):
    start: Clock
    rates_per_hour: tuple[NonNegative, ...] = Field(min_length=1, max_length=96)


class TransferTable(Table):
    probability: Probability
    queue: Text


class QueueTable(Table):
    name: Text
    arrival_rate_per_hour: NonNegative = 0.0
    arrival_profile: ArrivalProfileTable | None = None
    service_level_s: NonNegative = 20.0
    short_abandon_s: NonNegative = 5.0
    wrap_up_s: NonNegative = 0.0
    talk: AnyDistribution
    patience: AnyDistribution | None = None
    strategy: Strategy = Strategy.RRMEMORY
    timeout_s: Positive | None = None
    member_timeout_s: Positive = 15.0
    retry_s: NonNegative = 5.0
    weight: AnyInteger = 0
    agents: Count = 0
    transfer: TransferTable | None = None
    dialed_number: Text | None = None
    agent_hangup_share: Probability = 0.0
    numbers: tuple[DialledNumber, ...] = ()
    relax_needs_after_s: NonNegative | None = None


class ShiftTable(Table):
    start: Clock
    end: Clock


class PauseTable(Table):
    reason: Text
    at: Clock
    duration_s: Positive


class AgentTable(Table):
    name: Text
    queues: Memberships = ()
    count: Annotated[int, Strict(), Field(ge=1)] = 1
    interface: Text | None = None
    human: Flag = False
    shift: ShiftTable | None = None
    pauses: tuple[PauseTable, ...] = ()
    ring: AnyDistribution | None = None
    ring_no_answer_probability: Probability = 0.0
    max_talk_s: Positive = 1800.0
    skills: Skills = ()


class CallersTable(Table):
    known_share: Probability = 0.0
    numbers: tuple[Text, ...] = ()
    names: tuple[Text, ...] = ()
    unknown_prefix: Annotated[Text, StringConstraints(pattern=r"^\+?\d{1,10}$")] = "+1555"
    vip_share: Probability = 0.0
    vip_priority: AnyInteger = 10
    vip_numbers: tuple[Text, ...] = ()
    vip_names: tuple[Text, ...] = ()
    needs: Needs = ()

    @field_validator("names")
    @classmethod
    def _one_per_number(cls, names: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if names and len(names) != len(info.data.get("numbers", names)):
            _fail("must have one name per number")
        return names

    @field_validator("vip_names")
    @classmethod
    def _one_per_vip(cls, names: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if names and len(names) != len(info.data.get("vip_numbers", names)):
            _fail("must have one name per VIP number")
        return names


class RoutingTable(Table):
    agi: AgiUrl | None = None
    default_queue: Text = "support"
    preferred_wait_s: Positive = 8.0


class CalleeTable(Table):
    """`[[outbound.number]]`: one dialled number's own behaviour."""

    number: DialledNumber
    outcome: FarOutcome | None = None
    ring_s: NonNegative | None = None
    talk_s: Positive | None = None


class OutboundTable(Table):
    """`[outbound]`: the far ends of the PBX's outbound (campaign) calls."""

    answer_probability: Probability = 0.3
    busy_share: Probability = 0.1
    congestion_share: Probability = 0.02
    failed_share: Probability = 0.01
    machine_share: Probability = 0.2
    ring: AnyDistribution | None = None
    reject_after: AnyDistribution | None = None
    amd_person: AnyDistribution | None = None
    amd_machine: AnyDistribution | None = None
    talk: AnyDistribution | None = None
    message_s: Positive = 6.0
    number: tuple[CalleeTable, ...] = ()

    @model_validator(mode="after")
    def _shares_fit(self) -> OutboundTable:
        shares = self.answer_probability + self.busy_share
        if shares + self.congestion_share + self.failed_share > 1 + 1e-9:
            _fail(
                "answer_probability, busy_share, congestion_share and failed_share "
                "must add up to at most 1"
            )
        return self


class ScenarioFile(Table):
    """A whole scenario file, as TOML gives it."""

    seed: AnyInteger = 0
    start: Moment = DEFAULT_START
    server: Text = "sim"
    callers: CallersTable = CallersTable()
    queue: tuple[QueueTable, ...] = ()
    agent: tuple[AgentTable, ...] = ()
    routing: RoutingTable = RoutingTable()
    outbound: OutboundTable = OutboundTable()
