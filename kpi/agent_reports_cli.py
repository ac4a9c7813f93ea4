"""`callcenter kpi report --by agent|team`: agent and team KPIs as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import json

from callcenter.cli import UsageError, settings_from
from callcenter.cli_tables import Column, TextTable, print_tables
from callcenter.db import make_sessionmaker, open_database
from kpi.agent_reports import AgentReport, agent_report
from kpi.durations import clock
from kpi.export import agent_report_csv
from kpi.periods import agent_query


def run_agent_report(args: argparse.Namespace) -> int:
    """Agent or team KPIs for the period, every agent (the command line has no viewer)."""
    if args.queue:
        raise UsageError("--queue filters queue reports only; agent and team reports cover all")
    try:
        settings = settings_from(args)
        query = agent_query(args.start, args.end, args.interval, zone=settings.zone)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    engine = open_database(settings.database_url, need="calls")
    try:
        with make_sessionmaker(engine)() as session:
            report = agent_report(session, query, args.by)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    elif args.csv:
        print(agent_report_csv(report), end="")
    else:
        tables = [agent_table(report)]
        if any(t.paused_by_reason_s for t in report.totals.values()):
            tables.append(pause_table(report))
        print_tables(*tables)
    return 0


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


STATE_COLUMNS = (
    "answered", "transferred", "AHT", "talk", "hold", "wrap-up", "occupancy",
    "utilisation", "calls/agent-h", "transfer", "available", "ringing", "on call", "wrap-up",
    "paused", "logged in",
)  # fmt: skip


def agent_table(report: AgentReport) -> TextTable:
    """The period's rows: calls and handle times, the rates, then time by state."""
    q = report.query
    if report.by == "agent":
        label_columns = [Column("agent"), Column("team")]
    else:
        label_columns = [Column("team"), Column("agents", number=True)]
    rows = []
    for name, totals in report.totals.items():
        row = totals.kpis()
        if report.by == "agent":
            person = report.people[name]
            label = [person.display_name, person.team]
        else:
            label = [name, str(totals.agents)]
        per_hour = row["calls_per_agent_hour"]
        rows.append(
            [
                *label,
                str(row["answered"]),
                str(row["transferred"]),
                clock(row["aht_s"]),
                clock(row["avg_talk_s"]),
                clock(row["avg_hold_s"]),
                clock(row["avg_wrap_up_s"]),
                _rate(row["occupancy"]),
                _rate(row["utilisation"]),
                "-" if per_hour is None else f"{per_hour:.2f}",
                _rate(row["transfer_rate"]),
                clock(row["available_s"]),
                clock(row["ringing_s"]),
                clock(row["on_call_s"]),
                clock(row["wrap_up_s"]),
                clock(row["paused_s"]),
                clock(row["logged_in_s"]),
            ]
        )
    caption = None
    if not report.totals:
        caption = "no agent activity in this period"
    elif q.interval_s:
        caption = "per-interval rows: --json or --csv"
    return TextTable(
        [*label_columns, *(Column(title, number=True) for title in STATE_COLUMNS)],
        rows,
        title=f"KPIs by {report.by} {q.shown(q.start)} .. {q.shown(q.end)}",
        caption=caption,
    )


def pause_table(report: AgentReport) -> TextTable:
    """Paused time by reason, per agent (or team), for the period."""
    rows = []
    for name, totals in report.totals.items():
        label = report.people[name].display_name if report.by == "agent" else name
        for reason, seconds in sorted(totals.paused_by_reason_s.items()):
            rows.append([label, reason, clock(seconds)])
    columns = [Column(report.by), Column("reason"), Column("paused", number=True)]
    return TextTable(columns, rows, title="Paused by reason")
