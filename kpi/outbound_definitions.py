"""Outbound KPI definitions: what each campaign figure counts, stating its formula.

The inbound definitions are in `kpi.definitions`; these are their outbound counterparts, over
dial attempts (`dial_attempts`, one row per try at a lead) and the leads of a campaign's list.

Choices, in one place:
- An attempt belongs to the interval in which it was *reserved* (`reserved_at`, stored before
  the Originate, so never missing): an attempt that rings or talks across an interval
  boundary counts once, in its first interval, as an inbound visit counts in its entry one.
- dials = attempts sent to the PBX: `dialed_at` set, or an outcome the PBX gave (every
  outcome but `unknown`). An attempt reserved and closed as `unknown` before its Originate
  went out (a restart) is no dial. An attempt still under way is a dial with no outcome yet.
- connects = answered by a person: outcome `answered` (an agent took the call) or `abandoned`
  (a person answered, no agent was free, the message was played). An answering machine is no
  connect; nor is busy, no answer, congestion or failed.
- contact rate = connects / dials.
- abandons = outcome `abandoned`; abandon rate = abandons / connects (the regulator's
  "answered calls"), shown against the campaign's cap (`campaigns.abandon_cap`), per interval
  and over the rolling 24 hours before an instant (the window the pacer and the law use).
- talk time = the sum of `talk_s` of answered attempts; average talk = that sum / answered.
- dispositions = attempts per disposition code the agent chose; conversions = those whose
  code is marked `success: true` in the campaign's disposition list (as the list is now);
  conversion rate = conversions / connects.
- leads left = leads of the campaign's list in state `open` or `reserved` (still to be
  dialled, now or when their time comes); list penetration = leads of the list tried at least
  once (`attempts > 0`) / all leads of the list. Both describe the list *now* (when the report
  is made): the lead's history is not kept. Per interval, `first_tries` counts the leads tried
  for the first time (attempt number 1), which is how the penetration grew.
- A rate whose denominator is zero is None ("no data"), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from callcenter.campaigns.enums import LeadState, Outcome
from kpi.definitions import ratio

# Answered by a person: an agent took it, or nobody was free and the message was played.
CONNECT_OUTCOMES = (Outcome.ANSWERED, Outcome.ABANDONED)
# What the PBX said about an attempt it was given: each of them makes the attempt a dial.
DIALLED_OUTCOMES = tuple(o for o in Outcome if o is not Outcome.UNKNOWN)
# Leads still to be dialled: now, or when their next time comes.
LEFT_STATES = (LeadState.OPEN, LeadState.RESERVED)
# Share of the cap at which a campaign's abandon rate shows as a warning.
CAP_WARNING_SHARE = 0.8


def contact_rate(connects: int, dials: int) -> float | None:
    """Contact rate = connects / dials."""
    return ratio(connects, dials)


def abandon_rate(abandons: int, connects: int) -> float | None:
    """Abandon rate = abandons / connects (answered by a person)."""
    return ratio(abandons, connects)


def average_talk(talk_s: float, answered: int) -> float | None:
    """Average talk = talk seconds of answered attempts / answered attempts."""
    return ratio(talk_s, answered)


def conversion_rate(conversions: int, connects: int) -> float | None:
    """Conversion rate = conversions / connects."""
    return ratio(conversions, connects)


def list_penetration(tried: int, leads: int) -> float | None:
    """List penetration = leads tried at least once / all leads of the list."""
    return ratio(tried, leads)


def success_codes(dispositions: Iterable[dict[str, Any]]) -> frozenset[str]:
    """The disposition codes of a campaign that count as conversions (`success: true`)."""
    return frozenset(
        str(entry["code"]) for entry in dispositions if entry.get("success") and "code" in entry
    )


def cap_level(rate: float | None, cap: float) -> str:
    """How an abandon rate stands against its cap: `none` (no connects yet), `good`, `warn`
    (at least CAP_WARNING_SHARE of the cap) or `bad` (at or over the cap)."""
    if rate is None:
        return "none"
    if rate == 0:  # none abandoned: within any cap, 0 % included
        return "good"
    if rate >= cap:
        return "bad"
    return "warn" if rate >= CAP_WARNING_SHARE * cap else "good"


def is_dial(outcome: str | None, dialed: bool) -> bool:
    """The attempt went to the PBX: dialled, or given an outcome by it."""
    return dialed or outcome in DIALLED_OUTCOMES


def is_connect(outcome: str | None) -> bool:
    """A person answered (an agent took the call, or it was abandoned)."""
    return outcome in CONNECT_OUTCOMES


def is_abandon(outcome: str | None) -> bool:
    """A person answered and no agent was free."""
    return outcome == Outcome.ABANDONED


def is_conversion(disposition: str | None, success: frozenset[str]) -> bool:
    """The agent chose a disposition the campaign counts as a success."""
    return disposition is not None and disposition in success
