"""Per-queue agent counts on the live board, from real captures through the real tracker."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest

from callcenter.bus import Bus
from callcenter.cti.frames import FrameParser
from callcenter.cti.pipeline import Pipeline
from callcenter.queues.presence import Presence
from kpi.aggregator import LiveKpis
from kpi.thresholds import QueueThresholds, ThresholdBook
from tests.cti.captures import capture_bytes

BOOK = ThresholdBook(QueueThresholds(20, 5, 0.8))
CAPTURED = datetime(2026, 11, 23, 13, 40, tzinfo=UTC)


def final_members(data: bytes) -> dict[str, tuple[int, int]]:
    """(logged in, available) per queue from the capture's last QueueStatus answer."""
    lists: dict[str, list[dict[str, str]]] = defaultdict(list)
    for frame in FrameParser().feed(data):
        if frame.get("Event") == "QueueMember":
            lists[frame.get("ActionID", "")].append(dict(frame))
    last = lists[list(lists)[-1]]
    counts: dict[str, tuple[int, int]] = {}
    for row in last:
        logged_in, available = counts.get(row["Queue"], (0, 0))
        free = row["Paused"] == "0" and row["Status"] == "1"  # AST_DEVICE_NOT_INUSE
        counts[row["Queue"]] = (logged_in + 1, available + int(free))
    return counts


def board_counts(data: bytes) -> dict[str, tuple[int, int]]:
    bus = Bus()
    presence = Presence()
    presence.subscribe(bus)
    kpis = LiveKpis(BOOK, presence, lambda: CAPTURED)
    kpis.subscribe(bus)
    pipeline = Pipeline(server="pbx", bus=bus)
    pipeline.feed_bytes(data)
    queues = kpis.snapshot()["queues"]
    return {
        name: (
            sum(n for state, n in tile["agents"].items() if state != "logged_out"),
            tile["agents"]["available"],
        )
        for name, tile in queues.items()
    }


@pytest.mark.parametrize("scenario", ["answered", "agent_states"])
def test_per_queue_agent_counts_match_the_pbx(scenario: str) -> None:
    data = capture_bytes(scenario)
    expected = final_members(data)
    assert expected  # the capture ends with a QueueStatus answer
    board = board_counts(data)
    assert {queue: board.get(queue) for queue in expected} == expected


def test_answered_support_has_two_available_agents() -> None:
    assert board_counts(capture_bytes("answered"))["support"] == (2, 2)
