"""Replaying the real Asterisk captures: our KPIs agree with the PBX's own counting.

offered / answered / abandoned / timeouts equal what the capture's queue_log says, and the
two app_queue variants equal the ServicelevelPerf / ServicelevelPerf2 that app_queue itself
reported in the final QueueParams of the stream (a percentage with one decimal there).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pytest

from kpi.summary import QueueSummary, QueueThresholds, summarize_calls
from tests.cti.captures import CAPTURES, capture_bytes, replay_capture

WITH_QUEUE_CALLS = [
    "answered",
    "agent_hangup",
    "abandon",
    "ring_no_answer",
    "queue_timeout",
    "blind_transfer",
    "attended_transfer",
    "hold",
    "load_realistic",
    "no-timestamps/answered",
    "no-timestamps/abandon",
    "no-timestamps/ring_no_answer",
    "no-timestamps/load",
]
LEFT_UNANSWERED = {"EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY"}


@dataclass(frozen=True)
class AsteriskCounters:
    """One queue's final QueueParams: app_queue's own counters."""

    service_level_s: float
    completed: int
    abandoned: int
    perf: float
    perf2: float


def queue_log_counts(name: str) -> Counter[tuple[str, str]]:
    """(queue, verb) -> lines of that verb in the capture's queue_log."""
    counts: Counter[tuple[str, str]] = Counter()
    for line in (CAPTURES / name / "queue_log").read_text().splitlines():
        fields = line.split("|")
        if len(fields) >= 5 and fields[2] != "NONE":
            counts[(fields[2], fields[4])] += 1
    return counts


def final_queue_params(name: str) -> dict[str, AsteriskCounters]:
    """The last QueueParams event of every queue in the stream."""
    text = capture_bytes(name).decode("utf-8", "replace").replace("\r\n", "\n")
    found: dict[str, AsteriskCounters] = {}
    for block in text.split("\n\n"):
        if not block.startswith("Event: QueueParams"):
            continue
        fields = dict(re.findall(r"^([A-Za-z0-9]+): ?(.*)$", block, re.MULTILINE))
        found[fields["Queue"]] = AsteriskCounters(
            service_level_s=float(fields["ServiceLevel"]),
            completed=int(fields["Completed"]),
            abandoned=int(fields["Abandoned"]),
            perf=float(fields["ServicelevelPerf"]) / 100,
            perf2=float(fields["ServicelevelPerf2"]) / 100,
        )
    return found


def summaries(name: str) -> dict[str, QueueSummary]:
    params = final_queue_params(name)
    thresholds = {q: QueueThresholds(service_level_s=p.service_level_s) for q, p in params.items()}
    return dict(summarize_calls(replay_capture(name).calls, thresholds))


@pytest.mark.parametrize("name", WITH_QUEUE_CALLS)
def test_counts_equal_the_queue_log(name: str) -> None:
    log = queue_log_counts(name)
    queues = {queue for queue, verb in log if verb == "ENTERQUEUE"}
    result = summaries(name)
    for queue in queues:
        summary = result[queue]
        left = sum(log[(queue, verb)] for verb in LEFT_UNANSWERED)
        assert (summary.offered, summary.answered, summary.abandoned, summary.timeouts) == (
            log[(queue, "ENTERQUEUE")],
            log[(queue, "CONNECT")],
            log[(queue, "ABANDON")],
            left,
        ), queue


@pytest.mark.parametrize("name", WITH_QUEUE_CALLS)
def test_asterisk_service_levels_equal_queue_params(name: str) -> None:
    params = final_queue_params(name)
    result = summaries(name)
    compared = 0
    for queue, asterisk in params.items():
        summary = result.get(queue)
        if summary is None or asterisk.completed + asterisk.abandoned == 0:
            continue  # app_queue prints 0.0 for "no calls"; ours is null
        assert summary.answered == asterisk.completed
        assert summary.abandoned + summary.timeouts == asterisk.abandoned
        if asterisk.completed:
            assert summary.service_level_asterisk == pytest.approx(asterisk.perf, abs=0.0006)
        assert summary.service_level_asterisk2 == pytest.approx(asterisk.perf2, abs=0.0006)
        compared += 1
    if params:
        assert compared, "no queue with calls in QueueParams"
