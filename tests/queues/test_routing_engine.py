"""The routing decision: each built-in rule, admin rules, and the order between them."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from callcenter.queues.routing.decision import VARIABLES, Reason, RouteDecision
from callcenter.queues.routing.engine import RoutingConfig, decide
from callcenter.queues.routing.facts import (
    AgentLive,
    CallerFacts,
    Directory,
    QueueInfo,
    QueueMember,
    RouteRequest,
    TicketFact,
)
from callcenter.queues.routing.live import NoLive
from callcenter.queues.routing.rules import Actions, Conditions, Rule
from callcenter.queues.routing.service import Router

# A Wednesday, 10:00 UTC.
NOON = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
CONFIG = RoutingConfig(default_queue="support")
NOBODY = CallerFacts()


class Hours:
    """Open from `opens` to `closes` UTC hours every day."""

    def __init__(self, opens: int, closes: int) -> None:
        self.opens, self.closes = opens, closes

    def is_open(self, at: datetime) -> bool:
        return self.opens <= at.hour < self.closes


class Live:
    """Agents by interface; waits by queue."""

    def __init__(self, agents: dict[str, AgentLive] | None = None, **waits: float) -> None:
        self.agents = agents or {}
        self.waits = waits

    def agent_by_interface(self, interface: str) -> AgentLive | None:
        return self.agents.get(interface)

    def longest_wait_s(self, queue: str, at: datetime) -> float:
        return self.waits.get(queue, 0.0)


def queue(
    name: str,
    *numbers: str,
    hours: int | None = None,
    overflow: str | None = None,
    open: bool = True,
) -> QueueInfo:
    return QueueInfo(name, name.title(), numbers, hours, overflow, open, None, None, None)


ANN = QueueMember("ann", "PJSIP/1001", "Ann", "1001", penalty=0)
BOB = QueueMember("bob", "PJSIP/1002", "Bob", "1002", penalty=2)
DIRECTORY = Directory(
    queues={
        "support": queue("support", "+4930100"),
        "sales": queue("sales", "4930200", hours=1, overflow="support"),
        "night": queue("night", "+4930300", hours=1),
        "billing": queue("billing", "+4930400", open=False, overflow="sales"),
    },
    members={"support": [ANN, BOB], "sales": [ANN]},
    skills={"ann": {"lang:de": 2}, "bob": {"lang:en": 1, "lang:de": 1}},
    hours={1: Hours(8, 18)},
)
SIGNED_IN = AgentLive(signed_in=True, paused=False, queues=frozenset({"support", "sales"}))
LIVE = Live({"PJSIP/1001": SIGNED_IN, "PJSIP/1002": SIGNED_IN})


def route(
    caller: CallerFacts = NOBODY,
    dialed: str = "+4930100",
    *,
    at: datetime = NOON,
    digits: str = "",
    rules: tuple[Rule, ...] = (),
    live: Live = LIVE,
    directory: Directory = DIRECTORY,
) -> RouteDecision:
    request = RouteRequest(caller="+4917012345", dialed=dialed, at=at, digits=digits)
    return decide(request, caller, directory, rules, live, CONFIG)


def rule(name: str, position: int = 1, **kwargs: object) -> Rule:
    conditions = {k: v for k, v in kwargs.items() if k in Conditions.__dataclass_fields__}
    actions = {k: v for k, v in kwargs.items() if k in Actions.__dataclass_fields__}
    return Rule(name, position, Conditions(**conditions), Actions(**actions))  # type: ignore[arg-type]


def test_a_queue_number_routes_to_its_queue_in_any_format() -> None:
    for dialed in ("+49 30 200", "4930200", "004930200", "+4930200"):
        assert (route(dialed=dialed).queue, route(dialed=dialed).reason) == ("sales", "known")


def test_an_unknown_number_goes_to_the_default_queue() -> None:
    decision = route(dialed="555")
    assert (decision.queue, decision.reason, decision.priority) == ("support", "unknown", 0)


def test_a_blacklisted_customer_is_not_queued_whatever_else_applies() -> None:
    caller = CallerFacts(customer_id=7, blacklisted=True, category="vip", preferred_agent="ann")
    decision = route(caller, rules=(rule("all", queue="sales"),))
    assert (decision.queue, decision.reason, decision.customer_id) == ("", "blocked", 7)
    assert decision.variables()["QUEUE"] == ""


def test_a_closed_queue_goes_to_its_overflow() -> None:
    decision = route(dialed="+4930200", at=NOON.replace(hour=20))
    assert (decision.queue, decision.reason) == ("support", "closed")


def test_a_closed_queue_without_overflow_is_not_queued() -> None:
    decision = route(dialed="+4930300", at=NOON.replace(hour=20))
    assert (decision.queue, decision.reason) == ("", "closed")


def test_a_switched_off_queue_is_closed_and_overflows_follow_on() -> None:
    assert route(dialed="+4930400").queue == "sales"
    late = route(dialed="+4930400", at=NOON.replace(hour=20))
    assert (late.queue, late.reason) == ("support", "closed")


def test_a_vip_gets_priority_10() -> None:
    decision = route(CallerFacts(customer_id=1, category="vip"))
    assert (decision.priority, decision.reason, decision.customer_id) == (10, "vip", 1)
    assert decision.variables()["QUEUE_PRIO"] == "10"


def test_closed_outranks_vip_but_the_vip_keeps_the_priority() -> None:
    decision = route(CallerFacts(category="vip"), dialed="+4930200", at=NOON.replace(hour=20))
    assert (decision.queue, decision.reason, decision.priority) == ("support", "closed", 10)


def test_the_preferred_agent_is_offered_first_when_signed_in_and_not_paused() -> None:
    decision = route(CallerFacts(customer_id=3, preferred_agent="ann"))
    assert decision.reason == "preferred_agent"
    assert (decision.preferred_member, decision.preferred_extension) == ("PJSIP/1001", "1001")
    paused = Live({"PJSIP/1001": replace(SIGNED_IN, paused=True)})
    assert route(CallerFacts(preferred_agent="ann"), live=paused).preferred_member is None
    out = Live({"PJSIP/1001": AgentLive(signed_in=False, paused=False)})
    assert route(CallerFacts(preferred_agent="ann"), live=out).reason == "known"


def test_the_preferred_agent_must_serve_the_chosen_queue() -> None:
    decision = route(CallerFacts(preferred_agent="bob"), dialed="+4930200")
    assert (decision.queue, decision.preferred_member, decision.reason) == ("sales", None, "known")


def test_no_preferred_member_without_a_pbx_link() -> None:
    assert route(CallerFacts(preferred_agent="ann"), live=NoLive()).preferred_member is None  # type: ignore[arg-type]


def test_the_open_tickets_assignee_when_no_preferred_agent_can_take_it() -> None:
    ticket = TicketFact(id=123, number="T-123", priority="high", assignee="bob")
    decision = route(CallerFacts(customer_id=3, preferred_agent="carol", open_ticket=ticket))
    assert (decision.reason, decision.preferred_username, decision.ticket_id) == (
        "open_ticket",
        "bob",
        123,
    )


def test_vip_reason_outranks_the_preferred_agent_and_both_apply() -> None:
    decision = route(CallerFacts(category="vip", preferred_agent="ann"))
    assert (decision.reason, decision.priority, decision.preferred_member) == (
        "vip",
        10,
        "PJSIP/1001",
    )


def test_skills_from_ivr_digits_bound_the_penalties() -> None:
    decision = route(digits="lang:en")
    assert (decision.min_penalty, decision.max_penalty) == (2, 2)
    both = route(digits="lang:de")
    assert both.variables()["QUEUE_MIN_PENALTY"] == "0"
    assert both.variables()["QUEUE_MAX_PENALTY"] == "2"
    assert route(digits="lang:de=2").max_penalty == 0
    assert route(digits="lang:fr").variables()["QUEUE_MAX_PENALTY"] == ""


def test_skills_from_the_customer() -> None:
    assert route(CallerFacts(needs=("lang:en",))).min_penalty == 2


def test_admin_rules_match_first_by_position() -> None:
    rules = (
        rule("second", 2, did=("+4930100",), queue="sales"),
        rule("first", 1, caller_prefix=("+49170",), queue="billing", priority=5),
    )
    decision = route(rules=rules, at=NOON.replace(hour=20))
    assert (decision.rule, decision.reason, decision.priority) == ("first", "closed", 5)
    assert route(rules=rules).queue == "sales"  # billing is off: its overflow
    disabled = (replace(rules[1], enabled=False), rules[0])
    assert route(rules=disabled).variables()["ROUTE_RULE"] == "second"


def test_a_rule_outranks_vip_but_leaves_the_vip_priority_unless_it_sets_one() -> None:
    decision = route(
        CallerFacts(category="vip"), rules=(rule("de", digits=("2",), queue="sales"),), digits="2"
    )
    assert (decision.queue, decision.reason, decision.priority) == ("sales", "rule", 10)


def test_rule_conditions_on_the_caller() -> None:
    caller = CallerFacts(
        category="gold",
        fields={"country": "DE"},
        open_ticket=TicketFact(1, "T-1", "urgent", None),
    )
    for condition in (
        {"category": ("gold",)},
        {"field": ("country", "de")},
        {"ticket_priority": ("urgent", "high")},
        {"caller_prefix": ("+49170",)},
        {"caller_prefix": ("4917",)},
    ):
        assert route(caller, rules=(rule("r", queue="sales", **condition),)).rule == "r"
    assert route(CallerFacts(), rules=(rule("r", category=("gold",), queue="sales"),)).rule is None


def test_rule_time_of_day_and_weekday_in_the_site_zone() -> None:
    office = rule("office", days=(2,), time_from=time(9), time_to=time(17), queue="sales")
    assert route(rules=(office,)).rule == "office"  # Wednesday 11:00 Berlin
    assert route(rules=(office,), at=NOON + timedelta(days=1)).rule is None
    night = rule("night", time_from=time(22), time_to=time(6), queue="sales")
    assert route(rules=(night,), at=NOON.replace(hour=23)).rule == "night"
    assert route(rules=(night,)).rule is None
    berlin = decide(
        RouteRequest("1", "+4930100", NOON.replace(hour=16, minute=30)),
        CallerFacts(),
        DIRECTORY,
        (office,),
        LIVE,
        replace(CONFIG, zone=ZoneInfo("Europe/Berlin")),
    )
    assert berlin.rule is None  # 17:30 in Berlin


def test_queue_load_overflows() -> None:
    load = rule("busy", longest_wait_over_s=120, overflow=True)
    quiet = route(dialed="+4930200", rules=(load,), live=Live(sales=60))
    assert (quiet.queue, quiet.rule) == ("sales", None)
    busy = route(dialed="+4930200", rules=(load,), live=Live(sales=121))
    assert (busy.queue, busy.reason, busy.rule) == ("support", "rule", "busy")


def test_rule_penalties_override_skills() -> None:
    decision = route(digits="lang:en", rules=(rule("p", min_penalty=0, max_penalty=1),))
    assert (decision.min_penalty, decision.max_penalty) == (0, 1)


def test_every_variable_is_always_set() -> None:
    assert list(route().variables()) == list(VARIABLES)
    assert route().variables()["ROUTE_RULE"] == "known"
    assert Reason.FALLBACK == "fallback"


class CountingFacts:
    """CRM facts that count how often the queues and rules are read."""

    def __init__(self) -> None:
        self.reads = 0

    def caller(self, number: str) -> CallerFacts:
        return NOBODY

    def directory(self) -> Directory:
        self.reads += 1
        return DIRECTORY


async def test_queues_and_rules_are_read_again_off_the_call_when_stale() -> None:
    facts = CountingFacts()
    rules = [rule("all to sales", queue="sales")]
    router = Router(facts, lambda: list(rules), LIVE, CONFIG, refresh_s=0.05)
    try:
        router.warm()
        request = RouteRequest("+4917012345", "+4930100", NOON)
        assert (await router.route(request))[0].queue == "sales"
        rules.clear()
        assert (await router.route(request))[0].queue == "sales"  # within refresh_s
        await asyncio.sleep(0.06)
        assert (await router.route(request))[0].queue == "sales"  # stale: refreshed after
        await asyncio.sleep(0.02)
        assert (await router.route(request))[0].queue == "support"
        rules.append(rule("all to night", queue="night"))
        router.rules_changed()
        assert (await router.route(request))[0].queue == "night"
        assert facts.reads == 3
    finally:
        router.close()
