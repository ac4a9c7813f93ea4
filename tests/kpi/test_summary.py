"""KPI definitions and the queue summary on hand-computed tables of visits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callcenter.calls.records import CallOutcome, CallRecord, Direction, QueueVisitRecord
from callcenter.calls.records import VisitOutcome as V
from kpi import definitions as kpi
from kpi.summary import AgentTime, QueueThresholds, summarize_calls

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)


def visit(queue: str, outcome: V, wait: float, talk: float | None = None) -> QueueVisitRecord:
    return QueueVisitRecord(
        queue=queue, uniqueid="1.1", entered_at=AT, outcome=outcome, wait_s=wait, talk_s=talk
    )


def call(*visits: QueueVisitRecord) -> CallRecord:
    return CallRecord(
        server="pbx", linkedid=str(id(visits)), direction=Direction.INBOUND, started_at=AT,
        ended_at=AT, outcome=CallOutcome.ANSWERED, queue_visits=visits,
    )  # fmt: skip


# support, T = 20 s, short abandon 5 s:
#   wait  outcome       counts as
#   3     answered      answered within T
#   20    answered      answered within T (at exactly T)
#   45    answered      answered late
#   4.9   abandoned     short abandon
#   5     abandoned     abandon (not short: the threshold is strict)
#   30    abandoned     abandon
#   60    timeout       timeout: offered, not answered, not abandoned
#   10    transferred   answered within T (then transferred to billing)
SUPPORT = [
    visit("support", V.ANSWERED, 3, 100),
    visit("support", V.ANSWERED, 20, 200),
    visit("support", V.ANSWERED, 45, 300),
    visit("support", V.ABANDONED, 4.9),
    visit("support", V.ABANDONED, 5),
    visit("support", V.ABANDONED, 30),
    visit("support", V.TIMEOUT, 60),
]
TRANSFERRED = call(visit("support", V.TRANSFERRED, 10, 40), visit("billing", V.ANSWERED, 2, 60))


def test_the_golden_table() -> None:
    calls = [call(v) for v in SUPPORT] + [TRANSFERRED]
    result = summarize_calls(calls, {"support": QueueThresholds(20, 5)})["support"]
    assert (result.offered, result.answered, result.abandoned) == (8, 4, 3)
    assert (result.short_abandoned, result.timeouts, result.transferred) == (1, 1, 1)
    assert result.service_level == pytest.approx(3 / 7)  # 3 within T / (8 offered - 1 short)
    assert result.abandon_rate == pytest.approx(2 / 7)  # (3 - 1) / (8 - 1)
    assert result.asa_s == pytest.approx((3 + 20 + 45 + 10) / 4)
    assert result.avg_talk_s == pytest.approx((100 + 200 + 300 + 40) / 4)
    assert result.avg_abandon_s == pytest.approx((4.9 + 5 + 30) / 3)
    assert result.longest_wait_s == 60
    assert result.service_level_asterisk == pytest.approx(3 / 4)
    # app_queue's second variant: (answered + left within T) / (answered + abandoned + timeouts)
    assert result.service_level_asterisk2 == pytest.approx((3 + 2) / (4 + 4))


def test_a_transfer_is_one_visit_in_each_queue() -> None:
    result = summarize_calls([TRANSFERRED])
    assert (result["support"].offered, result["billing"].offered) == (1, 1)
    assert result["billing"].answered == 1 and result["billing"].transferred == 0


def test_empty_denominators_give_none_not_zero() -> None:
    only_short = [call(visit("support", V.ABANDONED, 1))]
    result = summarize_calls(only_short, {"support": QueueThresholds(), "idle": QueueThresholds()})
    assert result["support"].service_level is None and result["support"].abandon_rate is None
    assert result["support"].asa_s is None
    idle = result["idle"]
    assert (idle.offered, idle.service_level, idle.longest_wait_s, idle.occupancy) == (
        0, None, None, None,
    )  # fmt: skip


def test_aht_adds_wrap_up_and_occupancy_uses_agent_time() -> None:
    calls = [call(visit("support", V.ANSWERED, 1, 100)), call(visit("support", V.ANSWERED, 1, 200))]
    agent_time = {"support": AgentTime(busy_s=320, available_s=80, wrap_up_s=20)}
    result = summarize_calls(calls, agent_time=agent_time)["support"]
    assert result.aht_s == pytest.approx((100 + 200 + 20) / 2)
    assert result.occupancy == pytest.approx(320 / 400)


@pytest.mark.parametrize(
    ("wait", "short", "threshold", "is_short", "within"),
    [(4.99, 5, 20, True, True), (5, 5, 20, False, True), (20, 5, 20, False, True),
     (20.01, 5, 20, False, False), (0, 0, 20, False, True)],
)  # fmt: skip
def test_thresholds_at_their_edges(
    wait: float, short: float, threshold: float, is_short: bool, within: bool
) -> None:
    abandoned = visit("q", V.ABANDONED, wait)
    answered = visit("q", V.ANSWERED, wait, 10)
    assert kpi.is_short_abandon(abandoned, short) is is_short
    assert kpi.is_answered_within(answered, threshold) is within
    assert kpi.is_left_within(abandoned, threshold) is within
    assert not kpi.is_short_abandon(answered, short)
