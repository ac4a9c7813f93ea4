"""Jinja2 templates of the console, autoescaped: every customer-supplied string is escaped."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from agent_ui.nav import is_current, nav_entries

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def _clock(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}:{seconds:02d}"


def make_environment() -> Environment:
    """The template environment; autoescape on for every template, whatever its suffix."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,
    )
    env.filters["clock"] = _clock
    env.filters["mmss"] = _seconds
    env.globals["nav_entries"] = nav_entries
    env.globals["nav_current"] = is_current
    return env


ENVIRONMENT = make_environment()
templates = Jinja2Templates(env=ENVIRONMENT)


def fragment(name: str, **context: Any) -> str:
    """A template rendered outside a request (pops built from bus events)."""
    return ENVIRONMENT.get_template(name).render(**context)
