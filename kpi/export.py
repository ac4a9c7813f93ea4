"""Report exports: CSV (one row per interval and queue, agent or team, then the period
totals)."""

from __future__ import annotations

import csv
import io

from callcenter.csv_safety import spreadsheet_safe
from kpi.agent_reports import AGENT_FIELDS, AgentReport, AgentTotals
from kpi.reports import REPORT_FIELDS, QueueReport, summary_json


def report_csv(report: QueueReport) -> str:
    """CSV of a queue report: interval rows, then one `total` row per queue.

    Rates are fractions, times seconds; an empty cell is a KPI with no data (null). A queue
    name a spreadsheet would run as a formula gets an apostrophe in front."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["start", "end", "queue", *REPORT_FIELDS])
    query = report.query
    for start, summary in report.intervals:
        values = summary_json(summary)
        writer.writerow(
            [
                query.shown(start),
                query.shown(query.interval_end(start)),
                spreadsheet_safe(summary.queue),
                *(_cell(values[f]) for f in REPORT_FIELDS),
            ]
        )
    for name, summary in report.queues.items():
        values = summary_json(summary)
        writer.writerow(
            [
                query.shown(query.start),
                query.shown(query.end),
                spreadsheet_safe(name),
                *(_cell(values[f]) for f in REPORT_FIELDS),
            ]
        )
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def agent_report_csv(report: AgentReport) -> str:
    """CSV of an agent (or team) report: interval rows, then one row per agent (or team)
    for the whole period. Pause time by reason gets a `paused_s:<reason>` column each.

    Rates are fractions, times seconds; an empty cell is a KPI with no data (null). Names
    that a spreadsheet would run as a formula are quoted with a leading apostrophe."""
    reasons = sorted(
        {reason for totals in report.totals.values() for reason in totals.paused_by_reason_s}
    )
    head = ["display_name", "team"] if report.by == "agent" else ["agents"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["start", "end", report.by, *head, *AGENT_FIELDS, *(f"paused_s:{r}" for r in reasons)]
    )
    query = report.query

    def row(start: str, end: str, name: str, totals: AgentTotals) -> list[str]:
        labels = report.head(name, totals)
        values = totals.kpis()
        by_reason = values["paused_by_reason"]
        return [
            start,
            end,
            spreadsheet_safe(name),
            *(
                spreadsheet_safe(labels[h]) if isinstance(labels[h], str) else _cell(labels[h])
                for h in head
            ),
            *(_cell(values[f]) for f in AGENT_FIELDS),
            *(_cell(by_reason.get(r, 0.0)) for r in reasons),
        ]

    for start, name, totals in report.intervals:
        end = query.shown(query.interval_end(start))
        writer.writerow(row(query.shown(start), end, name, totals))
    for name, totals in report.totals.items():
        period = (query.shown(query.start), query.shown(query.end))
        writer.writerow(row(*period, name, totals))
    return out.getvalue()


def _label(value: object) -> str:
    return spreadsheet_safe(value) if isinstance(value, str) else _cell(value)
