"""Templates of the supervisor pages (they extend the console's base template)."""

from __future__ import annotations

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
    ThresholdSource.PBX: "PBX",
    ThresholdSource.SETTING: "override",
    ThresholdSource.DEFAULT: "default",
}


def _threshold(summary: QueueSummary) -> str:
    """The threshold a service level uses and where it comes from: `SL 30 s (PBX)`."""
    return f"SL {summary.service_level_s:g} s ({SOURCE_LABELS[summary.service_level_source]})"


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
    return env


templates = Jinja2Templates(env=make_environment())
