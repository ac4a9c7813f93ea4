"""What a report covers, from what a person typed: period, queues and interval, named in
messages as the command line (`--from`) or the HTTP API (`from`) calls them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta, tzinfo

from callcenter.db import utc_now
from kpi.intervals import bucket_end, bucket_of, parse_instant, parse_interval
from kpi.reports import ReportQuery

# How the period's ends are named in messages: CLI flags, or query parameters over HTTP.
CLI_NAMES = ("--from", "--to")
QUERY_NAMES = ("query parameter `from`", "query parameter `to`")
# What asks an agent report for the whole period in one row.
NO_INTERVAL = ("", "none")


def report_query(
    start: str | None,
    end: str | None,
    queues: list[str] | None,
    interval: str,
    *,
    names: tuple[str, str] = CLI_NAMES,
    zone: tzinfo = UTC,
) -> ReportQuery:
    """The period and scope asked for, in the site's time zone `zone` (a date is its
    midnight; the default start is today's); ValueError with one sentence for bad input,
    naming the period's ends as `names` (start, end) call them."""
    now = utc_now()
    begin = parse_instant(start, zone) if start else bucket_of(now, 86400, zone)
    finish = parse_instant(end, zone) if end else now
    if finish <= begin:
        raise ValueError(f"{names[1]} must be after {names[0]}")
    if finish - begin > timedelta(days=400):
        raise ValueError("a report covers at most 400 days")
    try:  # the weeks holding the period's ends, on the site's clock, within datetime's range
        for at in (begin, finish):
            bucket_end(bucket_of(at, 604800, zone), 604800, zone)
    except OverflowError:
        raise ValueError(f"out of the range of dates: {start or end!r}") from None
    return ReportQuery(begin, finish, queues or None, parse_interval(interval), zone)


def agent_query(
    start: str | None,
    end: str | None,
    interval: str | None,
    *,
    names: tuple[str, str] = CLI_NAMES,
    zone: tzinfo = UTC,
) -> ReportQuery:
    """The period and interval of an agent report; `none` (or nothing) for the period only.
    ValueError with one sentence for bad input."""
    whole = interval is None or interval.strip().lower() in NO_INTERVAL
    query = report_query(
        start, end, None, "day" if whole else interval or "", names=names, zone=zone
    )
    return replace(query, interval_s=None) if whole else query
