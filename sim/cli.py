"""The `sim` command group: `callcenter sim run SCENARIO` (fast mode) and its output."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from callcenter.calls.records import AgentStateRecord, CallRecord
from callcenter.cli import UsageError, settings_from
from callcenter.cli_tables import Column, TextTable, print_tables
from kpi.thresholds import ThresholdBook, thresholds_from_settings
from sim.classes import VIP
from sim.outbound_cli import add_outbound_command
from sim.pbx.cli import add_pbx_command
from sim.run import RunError, RunResult, expected_calls, simulate
from sim.scenario import Scenario, ScenarioError
from sim.scenario_file import load_scenario


def register(groups: Any) -> None:
    """Add the `sim` command group: `run` (fast mode), `pbx` (the simulated PBX) and
    `outbound` (a simulated outbound campaign day)."""
    sim = groups.add_parser("sim", help="the call-center simulator")
    actions = sim.add_subparsers(dest="action", metavar="ACTION", required=True)
    run = actions.add_parser(
        "run",
        help="simulate a scenario quickly and print each queue's KPIs",
        description="Run a scenario as a fast discrete-event simulation, then summarise it.",
    )
    run.add_argument("scenario", help="a scenario TOML file, or the name of one in sim/scenarios")
    amount = run.add_mutually_exclusive_group()
    amount.add_argument("--calls", type=_positive_int, metavar="N", help="simulate N callers")
    amount.add_argument(
        "--hours",
        type=_positive_float,
        metavar="H",
        help="simulate H hours of arrivals (default 8)",
    )
    run.add_argument("--seed", type=int, metavar="S", help="random seed (default: the scenario's)")
    run.add_argument("--json", action="store_true", help="print the KPIs as JSON")
    run.add_argument(
        "--database",
        metavar="URL",
        help="also store every call record and agent-state interval in this database "
        "(migrated first; runs the event engine, which reports agent states)",
    )
    run.set_defaults(func=_run)
    add_pbx_command(actions)
    add_outbound_command(actions)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _run(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from exc
    console = Console(stderr=True)
    total = expected_calls(scenario, args.calls, args.hours)
    with (
        _storage(args.database, thresholds_from_settings(settings_from(args))) as stores,
        _progress_bar(console, total) as progress,
    ):
        store_calls, store_states = stores
        try:
            result = simulate(
                scenario,
                calls=args.calls,
                hours=args.hours,
                seed=args.seed,
                store=store_calls,
                store_agent_states=store_states,
                progress=progress,
            )
        except RunError as exc:
            raise UsageError(str(exc)) from exc
    if args.json:
        out: dict[str, Any] = {"queues": {n: s.as_json() for n, s in result.summaries.items()}}
        if result.classes:
            out["classes"] = {
                c: {n: s.as_json() for n, s in by_queue.items()}
                for c, by_queue in result.classes.items()
            }
        print(json.dumps(out))
    elif result.classes:
        print_tables(_table(scenario.source, result), class_table(scenario, result))
    else:
        print_tables(_table(scenario.source, result))
    return 0


Stores = tuple[
    Callable[[list[CallRecord]], int] | None, Callable[[list[AgentStateRecord]], int] | None
]


@contextmanager
def _storage(url: str | None, thresholds: ThresholdBook) -> Iterator[Stores]:
    """Batch writers of call records and agent-state intervals into a migrated database,
    committed together when the run ends; (None, None) without a URL."""
    if not url:
        yield None, None
        return
    from callcenter.calls.service import store_agent_states, store_calls
    from callcenter.db import make_sessionmaker, open_database, transaction
    from kpi.rollups.keeping import rollup_listener

    rollups = [rollup_listener(thresholds)]

    engine = open_database(url, migrate=True)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield (
                lambda records: store_calls(session, records, after_store=rollups),
                lambda states: store_agent_states(session, states),
            )
    finally:
        engine.dispose()


@contextmanager
def _progress_bar(console: Console, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress callback that shows a bar only once the run has taken over a second."""
    bar = Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = bar.add_task("calls", total=total)
    started = time.monotonic()
    shown = False

    def update(finished: int) -> None:
        nonlocal shown
        if not shown and time.monotonic() - started > 1.0:
            bar.start()
            shown = True
        if shown:
            bar.update(task, completed=finished)

    try:
        yield update
    finally:
        if shown:
            bar.stop()


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


SUMMARY_COLUMNS = (
    Column("queue"),
    *(
        Column(title, number=True)
        for title in (
            "offered", "answered", "abandoned", "short ab.", "SL", "T", "abandon", "ASA", "AHT",
            "occupancy",
        )
    ),
)  # fmt: skip


def _table(source: str, result: RunResult) -> TextTable:
    hours = result.simulated_s / 3600.0
    path = "fast path" if result.fast_path else "event engine"
    rows = [
        [
            name,
            f"{s.offered:,}",
            f"{s.answered:,}",
            f"{s.abandoned:,}",
            f"{s.short_abandoned:,}",
            _percent(s.service_level),
            f"{s.service_level_s:g} s",
            _percent(s.abandon_rate),
            _seconds(s.asa_s),
            _seconds(s.aht_s),
            _percent(s.occupancy),
        ]
        for name, s in result.summaries.items()
    ]
    caption = None
    if result.stored:
        caption = (
            f"stored {result.stored:,} call records and "
            f"{result.stored_agent_states:,} agent-state intervals"
        )
    return TextTable(
        SUMMARY_COLUMNS,
        rows,
        title=f"{source}: {result.calls:,} calls over {hours:,.1f} h (seed {result.seed}, {path})",
        caption=caption,
    )


CLASS_COLUMNS = (
    Column("caller class"),
    Column("queue"),
    *(
        Column(title, number=True)
        for title in ("priority", "offered", "answered", "abandoned", "SL", "abandon", "ASA")
    ),
)


def class_table(scenario: Scenario, result: RunResult) -> TextTable:
    """Each caller class's figures per queue: what a VIP priority does to VIP wait."""
    callers = scenario.callers
    rows = [
        [
            caller_class,
            name,
            str(callers.vip_priority if caller_class.startswith(VIP) else 0),
            f"{s.offered:,}",
            f"{s.answered:,}",
            f"{s.abandoned:,}",
            _percent(s.service_level),
            _percent(s.abandon_rate),
            _seconds(s.asa_s),
        ]
        for caller_class, by_queue in result.classes.items()
        for name, s in by_queue.items()
        if s.offered
    ]
    return TextTable(CLASS_COLUMNS, rows, title="by caller class")
