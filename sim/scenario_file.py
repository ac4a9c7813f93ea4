"""Reading a scenario file: TOML, checked against `sim.scenario_schema`, built into the model.

Every bad input raises `ScenarioError` naming the key and its line, e.g.
`demo.toml line 14: queue[1].transfer.queue: no queue named 'sales'`: pydantic's errors are
turned into that form, with the line found by `sim.toml_lines`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sim.scenario import (
    HUMAN_RING,
    NO_DELAY,
    SCENARIO_DIR,
    AgentSpec,
    ArrivalProfile,
    CalleeOverride,
    Callees,
    Callers,
    Distribution,
    DistributionKind,
    FarOutcome,
    Membership,
    Pause,
    QueueSpec,
    Routing,
    Scenario,
    ScenarioError,
    Shift,
    Strategy,
    Transfer,
)
from sim.scenario_schema import AgentTable, OutboundTable, QueueTable, ScenarioFile
from sim.toml_lines import KeyLines, format_path
from sim.toml_lines import Path as KeyPath

FIRST_AUTO_EXTENSION = 2001
_KINDS = ", ".join(k.value for k in DistributionKind)
_TAGS = {k.value for k in DistributionKind}
# What pydantic's complaints about a value's type or form say in a scenario's words.
_SAID = {
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "string_type": "must be a non-empty string",
    "string_too_short": "must be a non-empty string",
    "string_pattern_mismatch": 'must be digits, e.g. "+1555"',
}


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; a bare name is looked up in `sim/scenarios/`."""
    candidate = Path(path)
    if not candidate.exists() and not candidate.is_absolute():
        bundled = SCENARIO_DIR / (candidate.name if candidate.suffix else f"{candidate}.toml")
        if bundled.exists():
            candidate = bundled
    try:
        text = candidate.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            f"cannot read the file ({exc.strerror})", source=str(path), key="", line=None
        ) from exc
    return parse_scenario(text, source=candidate.name)


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario TOML given as text (`source` names it in error messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts the position in its message: "... (at line 4, column 9)".
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        line = int(found.group(1)) if found else None
        raise ScenarioError(f"not valid TOML: {reason}", source=source, key="", line=line) from None
    error = _Errors(text, source)
    try:
        parsed = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise error(*_where_and_why(exc.errors()[0])) from None
    return _build(parsed, error)


class _Errors:
    """Makes the ScenarioError of a key path, with the line the key is on."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = KeyLines(text)

    def __call__(self, path: KeyPath, message: str) -> ScenarioError:
        return ScenarioError(
            message, source=self.source, key=format_path(path), line=self.lines.line_of(path)
        )


def _where_and_why(detail: ErrorDetails) -> tuple[KeyPath, str]:
    """The key path and the sentence of pydantic's first complaint, in the scenario's words."""
    # A distribution's kind appears in pydantic's path as a step of its own: not a key.
    path: KeyPath = tuple(p for p in detail["loc"] if not (isinstance(p, str) and p in _TAGS))
    kind, ctx = detail["type"], detail.get("ctx") or {}
    if kind == "scenario":
        return path, str(ctx["reason"])
    if kind in _SAID:
        return path, _SAID[kind]
    got = detail["input"]
    if kind == "greater_than_equal":
        return path, f"must be at least {ctx['ge']:g} (got {got:g})"
    if kind == "greater_than":
        return path, f"must be greater than {ctx['gt']:g} (got {got:g})"
    if kind == "less_than_equal":  # only probabilities have an upper bound
        return path, f"must be a probability between 0 and 1 (got {got:g})"
    if kind == "enum" and path and path[-1] == "outcome":
        return path, f"must be one of {', '.join(o.value for o in FarOutcome)} (got {got!r})"
    if kind == "enum":
        return path, f"must be one of {', '.join(s.value for s in Strategy)} (got {got!r})"
    if kind == "missing":
        return path[:-1], f"missing key {path[-1]!r}"
    if kind == "extra_forbidden":
        return path, "unknown key"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return path, "must be a table"
    if kind == "union_tag_not_found":
        return path, "missing key 'distribution'"
    if kind == "union_tag_invalid":
        return (*path, "distribution"), f"must be one of {_KINDS}"
    if kind in ("tuple_type", "list_type"):
        return path, "must be a list"
    if kind == "too_short":
        return path, "must not be empty"
    if kind == "too_long":
        return path, f"must have at most {ctx.get('max_length')} entries (a day)"
    return path, detail["msg"]


def _build(parsed: ScenarioFile, error: _Errors) -> Scenario:
    """The frozen scenario, after the checks that span tables (names, transfers, interfaces)."""
    if not parsed.queue:
        raise error(("queue",), "a scenario needs at least one [[queue]]")
    names: dict[str, int] = {}
    for index, table in enumerate(parsed.queue):
        if table.name in names:
            raise error(("queue", index, "name"), f"queue {table.name!r} is defined twice")
        names[table.name] = index
    queues = tuple(_queue(index, table, names, error) for index, table in enumerate(parsed.queue))
    _check_numbers(queues, error)
    agents = _agents(parsed.agent, queues, names, error)
    if parsed.routing.agi and parsed.routing.default_queue not in names:
        raise error(
            ("routing", "default_queue"), f"no queue named {parsed.routing.default_queue!r}"
        )
    callers = parsed.callers
    return Scenario(
        queues=queues,
        agents=agents,
        seed=parsed.seed,
        start=parsed.start,
        server=parsed.server,
        callers=Callers(
            callers.known_share,
            callers.numbers,
            callers.names,
            callers.unknown_prefix,
            vip_share=callers.vip_share,
            vip_priority=callers.vip_priority,
            vip_numbers=callers.vip_numbers,
            vip_names=callers.vip_names,
            needs=callers.needs,
        ),
        source=error.source,
        routing=Routing(
            parsed.routing.agi, parsed.routing.default_queue, parsed.routing.preferred_wait_s
        ),
        outbound=_outbound(parsed.outbound, error),
    )


def _outbound(table: OutboundTable, error: _Errors) -> Callees:
    """The `[outbound]` far ends; each number is given once."""
    seen: set[str] = set()
    for index, entry in enumerate(table.number):
        if entry.number in seen:
            raise error(
                ("outbound", "number", index, "number"), f"number {entry.number!r} is given twice"
            )
        seen.add(entry.number)
    defaults = Callees()
    return Callees(
        answer_probability=table.answer_probability,
        busy_share=table.busy_share,
        congestion_share=table.congestion_share,
        failed_share=table.failed_share,
        machine_share=table.machine_share,
        ring=table.ring.build() if table.ring is not None else defaults.ring,
        reject_after=(
            table.reject_after.build() if table.reject_after is not None else defaults.reject_after
        ),
        amd_person=(
            table.amd_person.build() if table.amd_person is not None else defaults.amd_person
        ),
        amd_machine=(
            table.amd_machine.build() if table.amd_machine is not None else defaults.amd_machine
        ),
        talk=table.talk.build() if table.talk is not None else defaults.talk,
        message_s=table.message_s,
        numbers=tuple(
            CalleeOverride(entry.number, entry.outcome, entry.ring_s, entry.talk_s)
            for entry in table.number
        ),
    )


def _queue(index: int, table: QueueTable, names: dict[str, int], error: _Errors) -> QueueSpec:
    where: KeyPath = ("queue", index)
    fields = table.model_fields_set
    if "arrival_rate_per_hour" in fields and "arrival_profile" in fields:
        raise error(
            (*where, "arrival_profile"), "give arrival_rate_per_hour or arrival_profile, not both"
        )
    profile = table.arrival_profile
    transfer = table.transfer
    if transfer is not None:
        if transfer.queue == table.name:
            raise error((*where, "transfer", "queue"), "cannot transfer to its own queue")
        if transfer.queue not in names:
            raise error((*where, "transfer", "queue"), f"no queue named {transfer.queue!r}")
    return QueueSpec(
        name=table.name,
        service_level_s=table.service_level_s,
        short_abandon_s=table.short_abandon_s,
        wrap_up_s=table.wrap_up_s,
        talk=table.talk.build(),
        arrival_rate_per_hour=table.arrival_rate_per_hour,
        arrival_profile=(
            ArrivalProfile(profile.start, profile.rates_per_hour) if profile is not None else None
        ),
        patience=table.patience.build() if table.patience is not None else None,
        strategy=table.strategy,
        timeout_s=table.timeout_s,
        member_timeout_s=table.member_timeout_s,
        retry_s=table.retry_s,
        weight=table.weight,
        agents=table.agents,
        transfer=Transfer(transfer.probability, transfer.queue) if transfer is not None else None,
        dialed_number=table.dialed_number,
        agent_hangup_share=table.agent_hangup_share,
        numbers=table.numbers,
        relax_needs_after_s=table.relax_needs_after_s,
    )


def _check_numbers(queues: tuple[QueueSpec, ...], error: _Errors) -> None:
    """A DID leads to one queue only."""
    owner: dict[str, str] = {}
    for index, queue in enumerate(queues):
        for number in queue.numbers:
            if number in owner:
                raise error(
                    ("queue", index, "numbers"),
                    f"number {number!r} already leads to queue {owner[number]!r}",
                )
            owner[number] = queue.name


def _agents(
    tables: tuple[AgentTable, ...],
    queues: tuple[QueueSpec, ...],
    names: dict[str, int],
    error: _Errors,
) -> tuple[AgentSpec, ...]:
    specs: list[tuple[AgentSpec, KeyPath]] = []
    for index, table in enumerate(tables):
        where: KeyPath = ("agent", index)
        if not table.queues:
            raise error((*where, "queues"), f"agent {table.name!r} is in no queue")
        for queue_name, _ in table.queues:
            if queue_name not in names:
                raise error((*where, "queues"), f"no queue named {queue_name!r}")
        if table.interface is not None and table.count > 1:
            raise error((*where, "interface"), "cannot be shared by count > 1 agents")
        shift = None
        if table.shift is not None:
            if table.shift.start == table.shift.end:
                raise error((*where, "shift"), "start and end are the same time")
            shift = Shift(table.shift.start, table.shift.end)
        ring: Distribution = HUMAN_RING if table.human else NO_DELAY
        template = AgentSpec(
            name=table.name,
            interface=table.interface or "",
            memberships=tuple(Membership(name, penalty) for name, penalty in table.queues),
            human=table.human,
            # A human's headset auto-answers after a short ring; a bot answers at once.
            ring=table.ring.build() if table.ring is not None else ring,
            ring_no_answer_probability=table.ring_no_answer_probability,
            shift=shift,
            pauses=tuple(Pause(p.reason, p.at, p.duration_s) for p in table.pauses),
            max_talk_s=table.max_talk_s,
            skills=table.skills,
        )
        for n in range(1, table.count + 1):
            named = template if table.count == 1 else replace(template, name=f"{table.name}{n}")
            specs.append((named, where))
    for queue in queues:
        width = max(2, len(str(queue.agents)))
        for n in range(1, queue.agents + 1):
            anonymous = AgentSpec(f"{queue.name}-{n:0{width}d}", "", (Membership(queue.name),))
            specs.append((anonymous, ("queue", names[queue.name], "agents")))
    return _with_interfaces(specs, error)


def _with_interfaces(
    specs: list[tuple[AgentSpec, KeyPath]], error: _Errors
) -> tuple[AgentSpec, ...]:
    """Check names and interfaces are unique; give `PJSIP/<ext>` to agents without one."""
    used = {s.interface for s, _ in specs if s.interface}
    extension = FIRST_AUTO_EXTENSION
    seen_names: set[str] = set()
    seen_interfaces: set[str] = set()
    result: list[AgentSpec] = []
    for spec, path in specs:
        if spec.name in seen_names:
            raise error(
                (*path, "name") if path[0] == "agent" else path,
                f"agent name {spec.name!r} is used twice",
            )
        seen_names.add(spec.name)
        if not spec.interface:
            while f"PJSIP/{extension}" in used:
                extension += 1
            spec = replace(spec, interface=f"PJSIP/{extension}")
            used.add(spec.interface)
        elif spec.interface in seen_interfaces:
            raise error((*path, "interface"), f"interface {spec.interface!r} is used twice")
        seen_interfaces.add(spec.interface)
        result.append(spec)
    return tuple(result)
