"""Validating walk from parsed TOML to the frozen scenario model, with key and line in errors."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sim.scenario import (
    DEFAULT_START,
    HUMAN_RING,
    NO_DELAY,
    AgentSpec,
    ArrivalProfile,
    Callers,
    Membership,
    Pause,
    QueueSpec,
    Scenario,
    ScenarioError,
    Shift,
    Strategy,
    Transfer,
)
from sim.scenario_checks import Checks, Reader, Table
from sim.toml_lines import Path

FIRST_AUTO_EXTENSION = 2001


def parse_scenario_text(text: str, source: str) -> Scenario:
    """Parse and validate scenario TOML; raises ScenarioError naming key and line."""
    reader = Reader(text, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts the position in its message: "... (at line 4, column 9)".
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        line = int(found.group(1)) if found else None
        raise ScenarioError(f"not valid TOML: {reason}", source=source, key="", line=line) from None
    check = Checks(reader)
    top = Table(reader, data, ())
    seed = top.get("seed", check.any_integer, 0)
    start = top.get("start", check.moment, DEFAULT_START)
    server = top.get("server", check.text, "sim")
    callers = _callers(top.table("callers"), check)
    raw_queues = top.get("queue", _array_of_tables(reader), [])
    if not raw_queues:
        raise reader.error(("queue",), "a scenario needs at least one [[queue]]")
    queues = [_queue(table, check) for table in raw_queues]
    raw_agents = top.get("agent", _array_of_tables(reader), [])
    top.done()

    names: dict[str, int] = {}
    for index, queue in enumerate(queues):
        if queue.name in names:
            raise reader.error(("queue", index, "name"), f"queue {queue.name!r} is defined twice")
        names[queue.name] = index
    for index, queue in enumerate(queues):
        if queue.transfer is not None and queue.transfer.queue not in names:
            path: Path = ("queue", index, "transfer", "queue")
            raise reader.error(path, f"no queue named {queue.transfer.queue!r}")
    agents = _agents(raw_agents, queues, names, check)
    return Scenario(
        queues=tuple(queues),
        agents=agents,
        seed=seed,
        start=start,
        server=server,
        callers=callers,
        source=source,
    )


def _array_of_tables(reader: Reader) -> Callable[[Any, Path], list[Table]]:
    def check(value: Any, path: Path) -> list[Table]:
        if not isinstance(value, list):
            raise reader.error(path, f"must be an array of tables ([[{path[-1]}]])")
        return [Table(reader, item, (*path, i)) for i, item in enumerate(value)]

    return check


def _callers(table: Table | None, check: Checks) -> Callers:
    if table is None:
        return Callers()
    known_share = table.get("known_share", check.probability, 0.0)
    numbers = table.get("numbers", check.texts, ())
    names = table.get("names", check.texts, ())
    if names and len(names) != len(numbers):
        raise check.r.error((*table.path, "names"), "must have one name per number")
    prefix = table.get("unknown_prefix", check.text, "+1555")
    if not re.fullmatch(r"\+?\d{1,10}", prefix):
        raise check.r.error((*table.path, "unknown_prefix"), 'must be digits, e.g. "+1555"')
    table.done()
    return Callers(known_share=known_share, numbers=numbers, names=names, unknown_prefix=prefix)


def _queue(table: Table, check: Checks) -> QueueSpec:
    name = table.need("name", check.text)
    if table.has("arrival_rate_per_hour") and table.has("arrival_profile"):
        raise check.r.error(
            (*table.path, "arrival_profile"),
            "give arrival_rate_per_hour or arrival_profile, not both",
        )
    rate = table.get("arrival_rate_per_hour", check.non_negative, 0.0)
    profile = None
    profile_table = table.table("arrival_profile")
    if profile_table is not None:
        rates = profile_table.need("rates_per_hour", check.numbers)
        if not rates:
            raise check.r.error((*profile_table.path, "rates_per_hour"), "must not be empty")
        if len(rates) > 96:
            raise check.r.error((*profile_table.path, "rates_per_hour"), "covers more than a day")
        profile = ArrivalProfile(profile_table.need("start", check.clock), rates)
        profile_table.done()
    transfer = None
    transfer_table = table.table("transfer")
    if transfer_table is not None:
        probability = transfer_table.need("probability", check.probability)
        target = transfer_table.need("queue", check.text)
        if target == name:
            raise check.r.error((*transfer_table.path, "queue"), "cannot transfer to its own queue")
        transfer = Transfer(probability, target)
        transfer_table.done()
    timeout = table.get("timeout_s", check.positive, None)
    spec = QueueSpec(
        name=name,
        service_level_s=table.get("service_level_s", check.non_negative, 20.0),
        short_abandon_s=table.get("short_abandon_s", check.non_negative, 5.0),
        wrap_up_s=table.get("wrap_up_s", check.non_negative, 0.0),
        talk=table.need("talk", check.distribution),
        arrival_rate_per_hour=rate,
        arrival_profile=profile,
        patience=table.get("patience", check.distribution, None),
        strategy=table.get("strategy", check.strategy, Strategy.RRMEMORY),
        timeout_s=timeout,
        member_timeout_s=table.get("member_timeout_s", check.positive, 15.0),
        retry_s=table.get("retry_s", check.non_negative, 5.0),
        weight=table.get("weight", check.any_integer, 0),
        agents=table.get("agents", check.integer, 0),
        transfer=transfer,
        dialed_number=table.get("dialed_number", check.text, None),
        agent_hangup_share=table.get("agent_hangup_share", check.probability, 0.0),
    )
    table.done()
    return spec


def _memberships(value: Any, path: Path, check: Checks) -> tuple[Membership, ...]:
    """`queues = ["a", "b"]` (penalty 0) or `queues = { a = 0, b = 2 }` (with penalties)."""
    if isinstance(value, list):
        return tuple(Membership(q) for q in check.texts(value, path))
    if isinstance(value, dict):
        return tuple(
            Membership(queue, check.integer(penalty, (*path, queue)))
            for queue, penalty in value.items()
        )
    raise check.r.error(path, "must be a list of queue names or a table { queue = penalty }")


def _agents(
    tables: list[Table], queues: list[QueueSpec], names: dict[str, int], check: Checks
) -> tuple[AgentSpec, ...]:
    reader = check.r
    specs: list[tuple[AgentSpec, Path]] = []
    for table in tables:
        name = table.need("name", check.text)
        memberships = table.get("queues", lambda v, p: _memberships(v, p, check), ())
        if not memberships:
            raise reader.error((*table.path, "queues"), f"agent {name!r} is in no queue")
        for membership in memberships:
            if membership.queue not in names:
                path: Path = (*table.path, "queues")
                raise reader.error(path, f"no queue named {membership.queue!r}")
        count = table.get("count", lambda v, p: check.integer(v, p, minimum=1), 1)
        interface = table.get("interface", check.text, None)
        if interface is not None and count > 1:
            raise reader.error((*table.path, "interface"), "cannot be shared by count > 1 agents")
        human = table.get("human", check.flag, False)
        shift = None
        shift_table = table.table("shift")
        if shift_table is not None:
            shift = Shift(
                shift_table.need("start", check.clock), shift_table.need("end", check.clock)
            )
            if shift.start_s == shift.end_s:
                raise reader.error(shift_table.path, "start and end are the same time")
            shift_table.done()
        pauses = tuple(_pause(t, check) for t in table.get("pauses", _array_of_tables(reader), []))
        template = AgentSpec(
            name=name,
            interface=interface or "",
            memberships=memberships,
            human=human,
            # A human's headset auto-answers after a short ring; a bot answers at once.
            ring=table.get("ring", check.distribution, HUMAN_RING if human else NO_DELAY),
            ring_no_answer_probability=table.get(
                "ring_no_answer_probability", check.probability, 0.0
            ),
            shift=shift,
            pauses=pauses,
            max_talk_s=table.get("max_talk_s", check.positive, 1800.0),
        )
        table.done()
        for n in range(1, count + 1):
            named = template if count == 1 else replace(template, name=f"{name}{n}")
            specs.append((named, table.path))
    for queue in queues:
        width = max(2, len(str(queue.agents)))
        for n in range(1, queue.agents + 1):
            anonymous = AgentSpec(f"{queue.name}-{n:0{width}d}", "", (Membership(queue.name),))
            index = names[queue.name]
            specs.append((anonymous, ("queue", index, "agents")))
    return _with_interfaces(specs, reader)


def _pause(table: Table, check: Checks) -> Pause:
    pause = Pause(
        reason=table.need("reason", check.text),
        at_s=table.need("at", check.clock),
        duration_s=table.need("duration_s", check.positive),
    )
    table.done()
    return pause


def _with_interfaces(specs: list[tuple[AgentSpec, Path]], reader: Reader) -> tuple[AgentSpec, ...]:
    """Check names and interfaces are unique; give `PJSIP/<ext>` to agents without one."""
    used = {s.interface for s, _ in specs if s.interface}
    extension = FIRST_AUTO_EXTENSION
    seen_names: set[str] = set()
    seen_interfaces: set[str] = set()
    result: list[AgentSpec] = []
    for spec, path in specs:
        if spec.name in seen_names:
            raise reader.error(
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
            raise reader.error((*path, "interface"), f"interface {spec.interface!r} is used twice")
        seen_interfaces.add(spec.interface)
        result.append(spec)
    return tuple(result)
