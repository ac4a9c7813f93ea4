"""Fast mode: run a scenario to the end, summarise every queue with `kpi`, optionally store.

`simulate()` picks the fast path (`sim.kernel`) when the scenario and the asked output fit it
and the event engine (`sim.engine`) otherwise; both give the same queue figures for the same
scenario and seed (and the same calls when records are stored). Each finished call's queue
visits go straight into the KPI summary (constant memory, so a run of millions of calls fits),
and, with a database, into call records stored in batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from callcenter.calls.records import AgentStateRecord, CallRecord
from kpi.summary import AgentTime, QueueSummary, QueueSummaryBuilder, QueueThresholds
from sim.agent_states import AgentStateRecorder
from sim.arrivals import rate_per_hour_at
from sim.engine import Engine
from sim.kernel import FastKernel, unsupported_reason
from sim.records import CallTrace, RecordClock, call_record
from sim.scenario import Scenario

DEFAULT_HOURS = 8.0
STORE_BATCH = 5_000


class RunError(ValueError):
    """A run that cannot be done as asked (the message is one sentence for the CLI)."""


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a fast run produced: how much was simulated and each queue's KPIs."""

    seed: int
    calls: int
    # The period asked for (`hours`), or until the last call ended: a day's profile may stop
    # its arrivals hours before the period ends, and the report names the period asked for.
    simulated_s: float
    fast_path: bool
    summaries: dict[str, QueueSummary]
    stored: int = 0
    stored_agent_states: int = 0
    # Per caller class ("regular", "vip"), each queue's figures for that class's callers
    # (only when the scenario's callers differ in priority or needs).
    classes: dict[str, dict[str, QueueSummary]] = field(default_factory=dict)


def thresholds_of(scenario: Scenario) -> dict[str, QueueThresholds]:
    """Each queue's KPI thresholds as the scenario sets them."""
    return {
        q.name: QueueThresholds(
            service_level_s=q.service_level_s, short_abandon_s=q.short_abandon_s
        )
        for q in scenario.queues
    }


def check_runnable(scenario: Scenario) -> None:
    """Refuse scenarios whose run could never end, with a sentence saying why."""
    if not any(q.has_arrivals for q in scenario.queues):
        raise RunError(f"{scenario.source}: no queue has arriving callers")
    staffed = {m.queue for a in scenario.agents for m in a.memberships}
    for queue in scenario.queues:
        if queue.name not in staffed and queue.patience is None and queue.timeout_s is None:
            raise RunError(
                f"{scenario.source}: queue {queue.name!r} has no agents and its callers never "
                "give up (set patience or timeout_s), so the run would never end"
            )


class _Outputs:
    """Where finished calls go: the KPI summary, and call records and agent states in batches."""

    def __init__(
        self,
        scenario: Scenario,
        store: Callable[[list[CallRecord]], int] | None,
        store_agent_states: Callable[[list[AgentStateRecord]], int] | None,
    ) -> None:
        self.builder = QueueSummaryBuilder(thresholds_of(scenario))
        self.clock = RecordClock(scenario.start)
        self.server = scenario.server
        self.store = store
        self.store_agent_states = store_agent_states
        self.recorder = (
            AgentStateRecorder(self.clock, scenario.server)
            if store_agent_states is not None
            else None
        )
        self.batch: list[CallRecord] = []
        self.stored = self.stored_states = 0
        self.thresholds = thresholds_of(scenario)
        self.by_class: dict[str, QueueSummaryBuilder] = {}

    def class_end(self, caller_class: str, trace: CallTrace) -> None:
        """Count a finished call's visits for its caller class too."""
        builder = self.by_class.get(caller_class)
        if builder is None:
            builder = self.by_class[caller_class] = QueueSummaryBuilder(self.thresholds)
        for visit in trace.visits:
            builder.add_visit(visit)

    def on_call_end(self) -> Callable[[CallTrace], None]:
        """The callback for each finished call (the lean one when nothing is stored)."""
        add_visit = self.builder.add_visit

        def summarise(trace: CallTrace) -> None:
            for visit in trace.visits:
                add_visit(visit)

        if self.store is None and self.recorder is None:
            return summarise
        return self._summarise_and_store

    def _summarise_and_store(self, trace: CallTrace) -> None:
        for visit in trace.visits:
            self.builder.add_visit(visit)
        if self.store is not None:
            self.batch.append(call_record(self.clock, self.server, trace))
        recorder = self.recorder
        if len(self.batch) >= STORE_BATCH or (
            recorder is not None and len(recorder.records) >= STORE_BATCH
        ):
            self.flush()

    def flush(self) -> None:
        """Hand over what is waiting to be stored."""
        if self.store is not None and self.batch:
            self.stored += self.store(self.batch)
            self.batch.clear()
        recorder = self.recorder
        if recorder is not None and self.store_agent_states is not None and recorder.records:
            self.stored_states += self.store_agent_states(recorder.take())


def simulate(
    scenario: Scenario,
    *,
    calls: int | None = None,
    hours: float | None = None,
    seed: int | None = None,
    store: Callable[[list[CallRecord]], int] | None = None,
    store_agent_states: Callable[[list[AgentStateRecord]], int] | None = None,
    progress: Callable[[int], None] | None = None,
    fast_path: bool | None = None,
) -> RunResult:
    """Simulate `calls` callers (or `hours` of arrivals, default 8) and summarise the queues.

    `store(records)` receives call records in batches, `store_agent_states(records)` the
    agents' state intervals (only the event engine reports those, so asking for them rules
    out the fast path). `fast_path` forces the kernel (True) or the engine (False) instead of
    choosing.
    """
    if calls is not None and hours is not None:
        raise RunError("give either a number of calls or a number of hours, not both")
    if calls is None and hours is None:
        hours = DEFAULT_HOURS
    check_runnable(scenario)
    if store_agent_states is not None:
        if fast_path:
            raise RunError("the fast path does not report agent states")
        fast_path = False
    run_seed = scenario.seed if seed is None else seed
    rng = np.random.default_rng(run_seed)
    outputs = _Outputs(scenario, store, store_agent_states)
    # Call records name the agent who answered: the kernel must then match the engine call
    # for call; queue figures alone allow it for any ring strategy.
    exact = store is not None
    if fast_path is None:
        fast_path = unsupported_reason(scenario, exact=exact) is None
    run = _run_kernel if fast_path else _run_engine
    finished, now, agent_time = run(scenario, rng, outputs, calls, hours, progress, exact)
    outputs.flush()
    totals = outputs.builder.totals
    for spec in scenario.queues:
        answered = totals[spec.name].answered if spec.name in totals else 0
        time = agent_time[spec.name]
        agent_time[spec.name] = AgentTime(time.busy_s, time.available_s, spec.wrap_up_s * answered)
    return RunResult(
        seed=run_seed,
        calls=finished,
        simulated_s=now if hours is None else hours * 3600.0,
        fast_path=fast_path,
        summaries=outputs.builder.result(agent_time),
        stored=outputs.stored,
        stored_agent_states=outputs.stored_states,
        classes={name: b.result() for name, b in sorted(outputs.by_class.items())},
    )


Ran = tuple[int, float, dict[str, AgentTime]]


def _run_kernel(
    scenario: Scenario,
    rng: np.random.Generator,
    outputs: _Outputs,
    calls: int | None,
    hours: float | None,
    progress: Callable[[int], None] | None,
    exact: bool,
) -> Ran:
    """The fast path: (calls finished, simulated time, agent time by queue)."""
    kernel = FastKernel(scenario, rng, on_call_end=outputs.on_call_end(), exact=exact)
    kernel.run(calls=calls, hours=hours, progress=progress)
    agent_time = {name: AgentTime(p.busy_s, p.idle_s) for name, p in kernel.pools.items()}
    return kernel.finished, kernel.now, agent_time


def _run_engine(
    scenario: Scenario,
    rng: np.random.Generator,
    outputs: _Outputs,
    calls: int | None,
    hours: float | None,
    progress: Callable[[int], None] | None,
    exact: bool,
) -> Ran:
    """The event engine: (calls finished, simulated time, agent time by queue)."""
    engine = Engine(scenario, rng, outputs.recorder, on_call_end=outputs.on_call_end())
    if scenario.callers.has_classes:
        engine.flow.on_class_end = outputs.class_end
    engine.run(calls=calls, hours=hours, progress=progress)
    if outputs.recorder is not None:
        outputs.recorder.close(engine.now)
    agent_time = {name: AgentTime(q.busy_s, q.idle_s) for name, q in engine.queues.items()}
    return engine.finished, engine.now, agent_time


def expected_calls(scenario: Scenario, calls: int | None, hours: float | None) -> int | None:
    """About how many calls a run will have (for a progress bar), None if unknown."""
    if calls is not None:
        return calls
    if hours is None:
        return None
    start = scenario.start
    start_clock_s = start.hour * 3600.0 + start.minute * 60.0 + start.second
    step = 900.0
    total = 0.0
    for queue in scenario.queues:
        t = 0.0
        while t < hours * 3600.0:
            total += rate_per_hour_at(queue, start_clock_s, t) * step / 3600.0
            t += step
    return int(total) or None
