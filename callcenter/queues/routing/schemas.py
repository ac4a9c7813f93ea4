"""A routing rule as admins write it (API, TOML, the admin page), checked field by field."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from callcenter.queues.routing.rules import WEEKDAYS, Actions, Conditions, Rule

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
QueueName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.\-]{1,128}$")
]
Number = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9]{1,30}$")]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Skill = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_:.\-]{1,64}(=[0-9]{1,2})?$")
]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Penalty = Annotated[int, Field(ge=0, le=1000, strict=True)]
Flag = Annotated[bool, Field(strict=True)]


def _time_text(value: Any) -> Any:
    """A wall-clock time comes as text (`18:00`) or a TOML time, never a number."""
    if isinstance(value, int | float):
        raise ValueError("give the time as HH:MM")
    return value


WallTime = Annotated[time, BeforeValidator(_time_text)]


def _items() -> Any:
    """A list field of at most 50 entries, empty by default."""
    return Field(default_factory=list, max_length=50)


class When(BaseModel):
    """A rule's conditions; every one given must hold (none: always)."""

    model_config = ConfigDict(extra="forbid")

    did: list[Number] = _items()
    caller_prefix: list[Number] = _items()
    digits: list[Annotated[str, StringConstraints(pattern=r"^[0-9*#]{1,20}$")]] = _items()
    days: list[Day] = Field(default_factory=list, max_length=7)
    time_from: WallTime | None = Field(default=None, description="site time, HH:MM")
    time_to: WallTime | None = Field(default=None, description="site time; <= from: overnight")
    category: list[Word] = _items()
    field: Word | None = Field(default=None, description="a customer field: industry, country…")
    field_value: Word | None = None
    ticket_priority: list[Word] = _items()
    longest_wait_over_s: Annotated[float, Field(ge=0, le=86_400, strict=True)] | None = None

    @model_validator(mode="after")
    def _field_needs_value(self) -> When:
        if (self.field is None) != (self.field_value is None):
            raise ValueError("field and field_value go together")
        return self


class Then(BaseModel):
    """What a matching rule sets; anything left out stays as the built-in rules choose."""

    model_config = ConfigDict(extra="forbid")

    queue: QueueName | None = None
    priority: Annotated[int, Field(ge=-1000, le=1000, strict=True)] | None = None
    overflow: Flag = False
    skills: list[Skill] = _items()
    min_penalty: Penalty | None = None
    max_penalty: Penalty | None = None

    @model_validator(mode="after")
    def _penalties_in_order(self) -> Then:
        low, high = self.min_penalty, self.max_penalty
        if low is not None and high is not None and low > high:
            raise ValueError("min_penalty is above max_penalty")
        return self


class RuleIn(BaseModel):
    """A rule to store: its name, place in the order, whether it is on, when and then."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    position: Annotated[int, Field(ge=0, le=1_000_000, strict=True)] = 100
    enabled: Flag = True
    when: When = Field(default_factory=When)
    then: Then

    @field_validator("then")
    @classmethod
    def _does_something(cls, then: Then) -> Then:
        if then == Then():
            raise ValueError("a rule must set something: queue, priority, overflow, skills…")
        return then


class RuleOut(RuleIn):
    """A stored rule."""

    id: int


def engine_rule(rule: RuleIn) -> Rule:
    """The engine's form of `rule`."""
    when, then = rule.when, rule.then
    field = (when.field, when.field_value) if when.field and when.field_value else None
    conditions = Conditions(
        did=tuple(when.did),
        caller_prefix=tuple(when.caller_prefix),
        digits=tuple(when.digits),
        days=tuple(sorted(WEEKDAYS.index(day) for day in when.days)),
        time_from=when.time_from,
        time_to=when.time_to,
        category=tuple(when.category),
        field=field,
        ticket_priority=tuple(when.ticket_priority),
        longest_wait_over_s=when.longest_wait_over_s,
    )
    actions = Actions(
        queue=then.queue,
        priority=then.priority,
        overflow=then.overflow,
        skills=tuple(then.skills),
        min_penalty=then.min_penalty,
        max_penalty=then.max_penalty,
    )
    return Rule(rule.name, rule.position, conditions, actions, rule.enabled)
