"""`callcenter kpi outbound`: outbound figures per campaign and interval from the attempts."""

from __future__ import annotations

import argparse
import json
from typing import Any

from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.db import make_sessionmaker, open_database
from kpi.durations import clock
from kpi.outbound import OutboundReport, UnknownCampaign, outbound_report
from kpi.outbound_export import outbound_csv
from kpi.periods import report_query


def register(commands: Any) -> None:
    """The `outbound` command under `callcenter kpi`."""
    outbound = commands.add_parser(
        "outbound", help="outbound figures by campaign and interval from the dial attempts"
    )
    outbound.add_argument(
        "--from",
        dest="start",
        metavar="ISO",
        help="start; a date or a time without an offset is on CALLCENTER_TIME_ZONE's clock "
        "(default: today 00:00 there)",
    )
    outbound.add_argument("--to", dest="end", metavar="ISO", help="end, exclusive (default: now)")
    outbound.add_argument("--campaign", action="append", help="only this campaign (repeatable)")
    outbound.add_argument(
        "--interval", default="60m", help="15m, 30m, 60m, day or week (default 60m)"
    )
    form = outbound.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument("--csv", action="store_true", help="print CSV")
    add_database_option(outbound)
    outbound.set_defaults(func=run_outbound)


def run_outbound(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        query = report_query(args.start, args.end, None, args.interval, zone=settings.zone)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    engine = open_database(settings.database_url, need="dial_attempts")
    try:
        with make_sessionmaker(engine)() as session:
            report = outbound_report(session, query, args.campaign)
    except UnknownCampaign as exc:
        raise UsageError(str(exc)) from None
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    elif args.csv:
        print(outbound_csv(report), end="")
    else:
        print(table(report))
    return 0


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def table(report: OutboundReport) -> str:
    """The period's figures, one line per campaign."""
    head = (
        f"{'campaign':<20} {'dials':>6} {'conn':>6} {'contact':>8} {'aband':>6} "
        f"{'ab.rate':>8} {'ab.24h':>8} {'cap':>6} {'avg talk':>8} {'conv':>5} {'left':>7} "
        f"{'penetr.':>8}"
    )
    lines = [head]
    for cid, info in report.campaigns.items():
        s = report.totals[cid]
        lines.append(
            f"{info.name[:20]:<20} {s['dials']:>6} {s['connects']:>6} "
            f"{_percent(s['contact_rate']):>8} {s['abandons']:>6} "
            f"{_percent(s['abandon_rate']):>8} {_percent(s['abandon_rate_24h']):>8} "
            f"{_percent(s['abandon_cap']):>6} {clock(s['avg_talk_s']):>8} "
            f"{s['conversions']:>5} {s['leads_left']:>7} {_percent(s['list_penetration']):>8}"
        )
    if len(lines) == 1:
        lines.append("no campaign dialled in this period")
    return "\n".join(lines)
