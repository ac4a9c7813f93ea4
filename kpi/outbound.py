"""Outbound reports: per campaign and interval (15/30/60 minutes, day, week) over a period,
the figures of `kpi.outbound_definitions` from the dial attempts and the campaigns' lists.

Intervals are cut in the site's time zone as the queue reports' are (`kpi.intervals`) and
shown with its offset. Each interval row also carries the rolling-24-hour abandon rate at its
end (the cap's own window) for 15, 30 and 60 minute intervals, read with the 24 hours before
the period; the period row carries it at the period's end (for today's report: now), as the
wallboard shows it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.campaigns.enums import CampaignState, Outcome
from callcenter.campaigns.models import Campaign
from kpi import outbound_definitions as rule
from kpi.intervals import bucket_end, bucket_of, buckets
from kpi.outbound_sql import (
    ATTEMPT_FIELDS,
    OUTCOME_FIELDS,
    ListState,
    attempt_totals,
    disposition_totals,
    list_states,
)
from kpi.reports import ReportQuery

ROLLING = timedelta(hours=24)
# Campaigns shown with no attempt in the period: those the dialer works or may resume.
LIVE_STATES = (CampaignState.RUNNING.value, CampaignState.PAUSED.value)
# The `?format=json` shape of one campaign's figures (and of one interval's, with start, end
# and campaign added), and the CSV's columns after start, end and campaign.
OUTBOUND_FIELDS = (
    "dials",
    "connects",
    "contact_rate",
    "answered",
    "abandons",
    "abandon_rate",
    "abandon_rate_24h",
    "abandon_cap",
    "abandon_level",
    "talk_s",
    "avg_talk_s",
    "conversions",
    "conversion_rate",
    "first_tries",
    *(f"outcome_{name}" for name in OUTCOME_FIELDS if name not in ("answered", "abandoned")),
    "pending",
    "attempts",
)
# The period row's figures of the campaign's list (now).
LIST_FIELDS = ("leads", "leads_tried", "leads_left", "list_penetration")


class UnknownCampaign(ValueError):
    """A campaign asked for by name that does not exist."""


@dataclass(frozen=True, slots=True)
class CampaignInfo:
    """What a report shows of a campaign beside its figures."""

    id: int
    name: str
    mode: str
    state: str
    queue: str
    list_id: int
    abandon_cap: float
    success: frozenset[str]

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignInfo:
        return cls(
            campaign.id,
            campaign.name,
            campaign.mode,
            campaign.state,
            campaign.queue,
            campaign.list_id,
            campaign.abandon_cap,
            rule.success_codes(campaign.dispositions or []),
        )


@dataclass(slots=True)
class AttemptTotals:
    """Additive figures of some attempts of one campaign (ATTEMPT_FIELDS, and dispositions)."""

    values: list[Any] = field(default_factory=lambda: [0] * (len(ATTEMPT_FIELDS) - 1) + [0.0])
    dispositions: dict[str, int] = field(default_factory=dict)

    def add(self, values: Sequence[Any], dispositions: dict[str, int] | None = None) -> None:
        for i, value in enumerate(values):
            self.values[i] += value
        for code, count in (dispositions or {}).items():
            self.dispositions[code] = self.dispositions.get(code, 0) + count

    def __getitem__(self, name: str) -> Any:
        return self.values[ATTEMPT_INDEX[name]]

    @property
    def connects(self) -> int:
        return sum(self[o.value] for o in rule.CONNECT_OUTCOMES)


ATTEMPT_INDEX = {name: i for i, name in enumerate(ATTEMPT_FIELDS)}


def figures(
    totals: AttemptTotals, info: CampaignInfo, rolling: AttemptTotals | None
) -> dict[str, Any]:
    """One campaign's figures (OUTBOUND_FIELDS and `dispositions`) from its totals; the
    rolling-24-hour abandon rate from `rolling` (None: not measured for this row)."""
    connects = totals.connects
    abandons = totals[Outcome.ABANDONED.value]
    answered = totals[Outcome.ANSWERED.value]
    conversions = sum(n for code, n in totals.dispositions.items() if code in info.success)
    rate_24h = (
        rule.abandon_rate(rolling[Outcome.ABANDONED.value], rolling.connects) if rolling else None
    )
    values: dict[str, Any] = {
        "dials": totals["dials"],
        "connects": connects,
        "contact_rate": rule.contact_rate(connects, totals["dials"]),
        "answered": answered,
        "abandons": abandons,
        "abandon_rate": rule.abandon_rate(abandons, connects),
        "abandon_rate_24h": rate_24h,
        "abandon_cap": info.abandon_cap,
        # How the rolling day (else the row's own rate) stands against the cap.
        "abandon_level": rule.cap_level(
            rate_24h if rolling else rule.abandon_rate(abandons, connects), info.abandon_cap
        ),
        "talk_s": totals["talk_s"],
        "avg_talk_s": rule.average_talk(totals["talk_s"], answered),
        "conversions": conversions,
        "conversion_rate": rule.conversion_rate(conversions, connects),
        "first_tries": totals["first_tries"],
        **{
            f"outcome_{name}": totals[name]
            for name in OUTCOME_FIELDS
            if name not in ("answered", "abandoned")
        },
        "pending": totals["pending"],
        "attempts": totals["attempts"],
        "dispositions": dict(sorted(totals.dispositions.items())),
    }
    return values


def list_figures(state: ListState) -> dict[str, Any]:
    """LIST_FIELDS of a campaign's list as it is now."""
    return {
        "leads": state.leads,
        "leads_tried": state.tried,
        "leads_left": state.left,
        "list_penetration": rule.list_penetration(state.tried, state.leads),
    }


@dataclass(slots=True)
class OutboundReport:
    """Per campaign: the period's figures (with its list's), and one row per interval."""

    query: ReportQuery
    campaigns: dict[int, CampaignInfo] = field(default_factory=dict)
    totals: dict[int, dict[str, Any]] = field(default_factory=dict)
    intervals: list[tuple[datetime, int, dict[str, Any]]] = field(default_factory=list)

    def name(self, campaign_id: int) -> str:
        return self.campaigns[campaign_id].name

    def as_json(self) -> dict[str, Any]:
        """The API's document: campaigns by name, then interval rows in time order."""
        query = self.query
        return {
            "from": query.shown(query.start),
            "to": query.shown(query.end),
            "interval_s": query.interval_s,
            "campaigns": {
                self.name(cid): {
                    "id": cid,
                    "mode": info.mode,
                    "state": info.state,
                    "queue": info.queue,
                    **self.totals[cid],
                }
                for cid, info in self.campaigns.items()
            },
            "intervals": [
                {
                    "start": query.shown(start),
                    "end": query.shown(query.interval_end(start)),
                    "campaign": self.name(cid),
                    **values,
                }
                for start, cid, values in self.intervals
            ],
        }


def chosen_campaigns(session: Session, names: Sequence[str] | None) -> list[CampaignInfo]:
    """The campaigns named (UnknownCampaign for a name nobody knows), or every campaign."""
    statement = select(Campaign).order_by(Campaign.name)
    if names:
        statement = statement.where(Campaign.name.in_(list(names)))
    found = [CampaignInfo.of(c) for c in session.scalars(statement)]
    if names:
        missing = sorted(set(names) - {c.name for c in found})
        if missing:
            known = ", ".join(session.scalars(select(Campaign.name).order_by(Campaign.name)))
            raise UnknownCampaign(
                f"unknown campaign {', '.join(map(repr, missing))}: known are {known or 'none'}"
            )
    return found


def _edges(query: ReportQuery, before: timedelta) -> list[datetime]:
    """The pieces' edges: the period's intervals (clipped to the period), preceded by those
    of `before` ahead of it (for rolling windows); the period alone without an interval."""
    if not query.interval_s:
        return [query.start, query.end]
    first = query.start - before
    edges = [max(at, first) for at in buckets(first, query.end, query.interval_s, query.zone)]
    edges = sorted({*edges, query.start, query.end})
    return [at for at in edges if first <= at <= query.end]


def outbound_report(
    session: Session,
    query: ReportQuery,
    campaign_names: Sequence[str] | None = None,
) -> OutboundReport:
    """Figures per campaign for the query's period and, with an interval, per interval.

    Campaigns named in `campaign_names` appear even with no attempt (their rates null);
    without names, every campaign with attempts in the period, and those running or paused.
    """
    infos = chosen_campaigns(session, campaign_names)
    ids = [info.id for info in infos]
    sub_day = bool(query.interval_s) and (query.interval_s or 0) < 86400
    edges = _edges(query, ROLLING if sub_day else timedelta(0))
    pieces = attempt_totals(session, ids, edges)
    codes = disposition_totals(session, ids, edges)
    # The rolling day at the period's end, read exactly: the period's end need not be on an
    # interval edge (today's report ends now).
    at_end = attempt_totals(session, ids, [query.end - ROLLING, query.end])
    lists = list_states(session, sorted({info.list_id for info in infos}))
    report = OutboundReport(query)
    first_index = edges.index(query.start)
    by_piece: dict[int, dict[int, AttemptTotals]] = {}
    for (cid, index), values in pieces.items():
        one = AttemptTotals()
        one.add(values, codes.get((cid, index)))
        by_piece.setdefault(cid, {})[index] = one
    for info in infos:
        mine = by_piece.get(info.id, {})
        whole = AttemptTotals()
        for index, one in mine.items():
            if index >= first_index:
                whole.add(one.values, one.dispositions)
        named = bool(campaign_names)
        if not named and not whole["attempts"] and info.state not in LIVE_STATES:
            continue
        rolling = AttemptTotals()
        if (info.id, 0) in at_end:
            rolling.add(at_end[(info.id, 0)])
        report.campaigns[info.id] = info
        report.totals[info.id] = {
            **figures(whole, info, rolling),
            **list_figures(lists[info.list_id]),
        }
        if query.interval_s:
            report.intervals += _interval_rows(query, edges, first_index, info, mine, rolling)
    report.intervals.sort(key=lambda row: (row[0], report.name(row[1])))
    return report


def _interval_rows(
    query: ReportQuery,
    edges: list[datetime],
    first_index: int,
    info: CampaignInfo,
    pieces: dict[int, AttemptTotals],
    at_end: AttemptTotals,
) -> list[tuple[datetime, int, dict[str, Any]]]:
    """One campaign's interval rows (intervals with attempts only), each with the rolling
    day at its end for sub-day intervals (the last one, cut by the period's end: at it)."""
    step = query.interval_s or 0
    grouped: dict[datetime, AttemptTotals] = {}
    for index in sorted(pieces):
        if index < first_index:
            continue
        start = bucket_of(edges[index], step, query.zone)
        grouped.setdefault(start, AttemptTotals()).add(
            pieces[index].values, pieces[index].dispositions
        )
    # Running sums of abandons and connects over the pieces, for each row's rolling day.
    order = sorted(pieces)
    starts = [edges[index] for index in order]
    abandons, connects = [0], [0]
    for index in order:
        abandons.append(abandons[-1] + pieces[index][Outcome.ABANDONED.value])
        connects.append(connects[-1] + pieces[index].connects)
    rows = []
    for start, totals in grouped.items():
        rolling: AttemptTotals | None = None
        if step < 86400:
            end = bucket_end(start, step, query.zone)
            if end >= query.end:
                rolling = at_end
            else:
                low, high = bisect_left(starts, end - ROLLING), bisect_left(starts, end)
                rolling = AttemptTotals()
                rolling.values[ATTEMPT_INDEX[Outcome.ABANDONED.value]] = (
                    abandons[high] - abandons[low]
                )
                rolling.values[ATTEMPT_INDEX[Outcome.ANSWERED.value]] = (
                    connects[high] - connects[low] - (abandons[high] - abandons[low])
                )
        rows.append((start, info.id, figures(totals, info, rolling)))
    return rows
