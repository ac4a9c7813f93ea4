"""Templates of the admin pages (they extend the site's base template)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from agent_ui.render import ENVIRONMENT, TEMPLATES_DIR

HERE = Path(__file__).parent


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
    return env


templates = Jinja2Templates(env=make_environment())
