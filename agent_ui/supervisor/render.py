"""Templates of the supervisor pages (they extend the console's base template)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from agent_ui.render import ENVIRONMENT, TEMPLATES_DIR
from kpi.durations import clock
from kpi.summary import QueueSummary, ThresholdSource

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


# How a page names where a queue's service-level threshold comes from.
SOURCE_LABELS = {
    ThresholdSource.QUEUE: "queue",
    ThresholdSource.PBX: "PBX",
    ThresholdSource.SETTING: "override",
    ThresholdSource.DEFAULT: "default",
}


def _threshold(summary: QueueSummary) -> str:
    """The threshold a service level uses and where it comes from: `SL 30 s (PBX)`."""
    return f"SL {summary.service_level_s:g} s ({SOURCE_LABELS[summary.service_level_source]})"


# Where a service-level threshold is set, as a sentence on the reports page names it.
SOURCE_SETTINGS = {
    ThresholdSource.QUEUE: "the queue's settings under Admin",
    ThresholdSource.PBX: "the queue's servicelevel on the PBX",
    ThresholdSource.SETTING: "CALLCENTER_QUEUE_THRESHOLDS",
    ThresholdSource.DEFAULT: "the default, CALLCENTER_SERVICE_LEVEL_S",
}


def service_level_caption(summaries: Iterable[QueueSummary]) -> str:
    """One line on what the SL column counts, with the real threshold T and where it is set
    (or, when queues differ, that each queue's is under its name). The Asterisk variants
    are explained on their headers."""
    used = {(s.service_level_s, s.service_level_source) for s in summaries}
    if len(used) == 1:
        ((seconds, source),) = used
        within = f"{seconds:g} s (T, set by {SOURCE_SETTINGS[source]})"
    else:
        within = "T, each queue's own (under its name)"
    return f"SL: share of calls offered, short abandons left out, answered within {within}."


def make_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(HERE / "templates"), FileSystemLoader(TEMPLATES_DIR)]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,
    )
    env.filters.update(ENVIRONMENT.filters)
    env.globals.update(ENVIRONMENT.globals)
    env.filters["percent"] = _percent
    env.filters["secs"] = _seconds
    env.filters["duration"] = clock
    env.filters["threshold"] = _threshold
    env.filters["sl_caption"] = service_level_caption
    return env


templates = Jinja2Templates(env=make_environment())
