"""`callcenter kpi report` (interval reports from stored calls), `callcenter kpi rollup
rebuild`, `callcenter kpi staff` and `callcenter kpi outbound` (kpi.outbound_cli)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.db import make_sessionmaker, open_database, transaction
from kpi.agent_reports_cli import run_agent_report
from kpi.durations import clock
from kpi.export import report_csv
from kpi.outbound_cli import register as register_outbound
from kpi.periods import report_query
from kpi.queue_names import UnknownQueue, check_queues
from kpi.reports import QueueReport, queue_report
from kpi.rollups.keeping import rebuild_rollups
from kpi.staffing import StaffingQuestion, parse_target, staffing_table
from kpi.thresholds import stored_thresholds, thresholds_from_settings


def register(groups: Any) -> None:
    kpi = groups.add_parser("kpi", help="KPI reports and staffing")
    commands = kpi.add_subparsers(dest="command", metavar="COMMAND", required=True)

    report = commands.add_parser("report", help="KPIs by queue and interval from stored calls")
    report.add_argument(
        "--from",
        dest="start",
        metavar="ISO",
        help="start; a date or a time without an offset is on CALLCENTER_TIME_ZONE's clock "
        "(default: today 00:00 there)",
    )
    report.add_argument("--to", dest="end", metavar="ISO", help="end, exclusive (default: now)")
    report.add_argument("--queue", action="append", help="only this queue (repeatable)")
    report.add_argument(
        "--by",
        choices=("queue", "agent", "team"),
        default="queue",
        help="rows by queue (default), agent or team; agent and team take --interval none",
    )
    report.add_argument(
        "--interval",
        default="15m",
        help="15m, 30m, 60m, day or week (default 15m); with --by agent or team also none: "
        "one row per agent or team for the whole period",
    )
    form = report.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument("--csv", action="store_true", help="print CSV")
    add_database_option(report)
    report.set_defaults(func=run_report)

    rollup = commands.add_parser("rollup", help="the 15-minute queue rollups reports read")
    rollup_commands = rollup.add_subparsers(dest="rollup_command", metavar="COMMAND")
    rollup_commands.required = True
    rebuild = rollup_commands.add_parser(
        "rebuild", help="count every rollup again from the stored calls (after a threshold change)"
    )
    add_database_option(rebuild)
    rebuild.set_defaults(func=run_rollup_rebuild)

    staff = commands.add_parser("staff", help="agents needed by Erlang C and Erlang A")
    staff.add_argument("--calls-per-hour", type=float, required=True, metavar="X")
    staff.add_argument("--aht", type=float, required=True, metavar="S", help="mean handle time, s")
    staff.add_argument("--target", default="0.8/20", help="share/seconds, e.g. 0.8/20")
    staff.add_argument("--patience", type=float, metavar="S", help="mean patience, s (Erlang A)")
    staff.add_argument("--json", action="store_true", help="print JSON")
    staff.set_defaults(func=run_staff)
    register_outbound(commands)


def run_report(args: argparse.Namespace) -> int:
    if args.by != "queue":
        return run_agent_report(args)
    try:
        settings = settings_from(args)
        query = report_query(args.start, args.end, args.queue, args.interval, zone=settings.zone)
        thresholds_from_settings(settings)  # a bad queue_thresholds: before the database
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    engine = open_database(settings.database_url, need="calls")
    try:
        with make_sessionmaker(engine)() as session:
            check_queues(session, query.queues, settings)
            report = queue_report(session, query, stored_thresholds(session, settings))
    except UnknownQueue as exc:
        raise UsageError(str(exc)) from None
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    elif args.csv:
        print(report_csv(report), end="")
    else:
        print(_table(report))
    return 0


def run_rollup_rebuild(args: argparse.Namespace) -> int:
    """Recount the queue interval rollups with the thresholds queues are judged by now (the
    settings', the PBX's as stored), in one transaction (reports meanwhile read the old
    rows, then the new ones)."""
    try:
        settings = settings_from(args)
        thresholds_from_settings(settings)  # a bad queue_thresholds: before the database
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    engine = open_database(settings.database_url, need="calls")
    try:
        with transaction(make_sessionmaker(engine)) as session:
            count = rebuild_rollups(session, stored_thresholds(session, settings))
    finally:
        engine.dispose()
    print(f"counted {count:,} queue intervals (15 minutes) again with the current thresholds")
    return 0


def _fmt(value: float | int | None, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "time":
        return clock(value)
    if kind == "fine":  # seconds with a tenth (staffing's ASA is often under one)
        return f"{value:.1f}"
    return str(value)


COLUMNS = (
    ("offered", "offered", "n"), ("answered", "answered", "n"), ("abandoned", "abandoned", "n"),
    ("short", "short_abandoned", "n"), ("timeouts", "timeouts", "n"),
    ("SL", "service_level", "rate"), ("abandon", "abandon_rate", "rate"),
    ("ASA", "asa_s", "time"), ("AHT", "aht_s", "time"),
    ("talk+hold", "talk_hold_s", "time"),
    ("longest", "longest_wait_s", "time"),
)  # fmt: skip


def _table(report: QueueReport) -> str:
    q = report.query
    lines = [f"KPIs {q.shown(q.start)} .. {q.shown(q.end)}"]
    header = ["queue", *(title for title, _, _ in COLUMNS)]
    rows = [
        [name, *(_fmt(getattr(s, f), kind) for _, f, kind in COLUMNS)]
        for name, s in report.queues.items()
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    if not rows:
        lines.append("no queue calls in this period")
    return "\n".join(lines)


def run_staff(args: argparse.Namespace) -> int:
    try:
        target, threshold = parse_target(args.target)
        question = StaffingQuestion(args.calls_per_hour, args.aht, target, threshold, args.patience)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    table = staffing_table(question)
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    print(
        f"{question.calls_per_hour:g} calls/h x {question.aht_s:g} s = "
        f"{table['load_erlangs']:.2f} erlangs; target {target:.0%} within {threshold:g} s"
    )
    print(f"agents needed: Erlang C {table['agents_erlang_c']}", end="")
    if table["agents_erlang_a"] is not None:
        print(f", Erlang A {table['agents_erlang_a']} (patience {question.patience_s:g} s)")
    else:
        print()
    for row in table["rows"]:
        c = row["erlang_c"]
        stable = row["agents"] > table["load_erlangs"]
        level = _fmt(c["service_level"], "rate") if stable else "unstable"
        line = f"{row['agents']:5d}  C: SL {level} ASA {_fmt(c['asa_s'], 'fine')} s"
        if "erlang_a" in row:
            a = row["erlang_a"]
            line += (
                f"   A: SL {_fmt(a['service_level'], 'rate')} ASA {_fmt(a['asa_s'], 'fine')} s"
                f" abandon {_fmt(a['abandon_rate'], 'rate')}"
            )
        print(line)
    return 0
