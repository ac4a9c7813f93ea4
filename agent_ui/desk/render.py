"""Templates of the desk pages (they extend the console's base template)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from agent_ui.render import ENVIRONMENT, TEMPLATES_DIR
from callcenter.db import utc_now

HERE = Path(__file__).parent


def time_left(due: datetime | None, now: datetime | None = None) -> str:
    """How long until `due` ("2 h 05 min left") or how long past it ("overdue by 12 min")."""
    if due is None:
        return ""
    now = now or utc_now()
    if due.tzinfo is None and now.tzinfo is not None:
        now = now.replace(tzinfo=None)
    seconds = int((due - now).total_seconds())
    hours, rest = divmod(abs(seconds), 3600)
    minutes = rest // 60
    span = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    return f"{span} left" if seconds >= 0 else f"overdue by {span}"


def make_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(HERE / "templates"), FileSystemLoader(TEMPLATES_DIR)]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,
    )
    env.filters.update(ENVIRONMENT.filters)
    env.globals.update(ENVIRONMENT.globals)  # the navigation bar's entries, as on every page
    env.filters["time_left"] = time_left
    return env


templates = Jinja2Templates(env=make_environment())
