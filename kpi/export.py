"""Report exports: CSV (one row per interval and queue, then the period totals)."""

from __future__ import annotations

import csv
import io

from kpi.reports import REPORT_FIELDS, QueueReport, summary_json


def report_csv(report: QueueReport) -> str:
    """CSV of a queue report: interval rows, then one `total` row per queue.

    Rates are fractions, times seconds; an empty cell is a KPI with no data (null)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["start", "end", "queue", *REPORT_FIELDS])
    interval = report.query.interval_s or 0
    for start, summary in report.intervals:
        end = start.timestamp() + interval
        values = summary_json(summary)
        writer.writerow(
            [
                start.isoformat(),
                _iso(end),
                summary.queue,
                *(_cell(values[f]) for f in REPORT_FIELDS),
            ]
        )
    for name, summary in report.queues.items():
        values = summary_json(summary)
        writer.writerow(
            [
                report.query.start.isoformat(),
                report.query.end.isoformat(),
                name,
                *(_cell(values[f]) for f in REPORT_FIELDS),
            ]
        )
    return out.getvalue()


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
