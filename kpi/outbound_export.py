"""Outbound report CSV: one row per interval and campaign, then the period's row of each
campaign (with its list's figures); a `disposition:<code>` column per code seen."""

from __future__ import annotations

import csv
import io
from typing import Any

from callcenter.csv_safety import spreadsheet_safe
from kpi.outbound import LIST_FIELDS, OUTBOUND_FIELDS, OutboundReport


def outbound_csv(report: OutboundReport) -> str:
    """Rates are fractions, times seconds; an empty cell is a figure with no data (null), or
    a list figure on an interval row (lists are described as they are now). Campaign names
    and disposition codes a spreadsheet would run as a formula get an apostrophe in front."""
    rows: list[tuple[str, str, str, dict[str, Any]]] = []
    query = report.query
    for begin, cid, values in report.intervals:
        end = query.shown(query.interval_end(begin))
        rows.append((query.shown(begin), end, report.name(cid), values))
    for cid, values in report.totals.items():
        rows.append((query.shown(query.start), query.shown(query.end), report.name(cid), values))
    codes = sorted({code for *_, values in rows for code in values["dispositions"]})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "start",
            "end",
            "campaign",
            *OUTBOUND_FIELDS,
            *LIST_FIELDS,
            *(spreadsheet_safe(f"disposition:{code}") for code in codes),
        ]
    )
    for start, end, name, values in rows:
        writer.writerow(
            [
                start,
                end,
                spreadsheet_safe(name),
                *(_cell(values[f]) for f in OUTBOUND_FIELDS),
                *(_cell(values.get(f)) for f in LIST_FIELDS),
                *(_cell(values["dispositions"].get(code, 0)) for code in codes),
            ]
        )
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
