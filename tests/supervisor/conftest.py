"""Supervisor fixtures: the console's app, staff and sign-in fixtures, reused as they are."""

from __future__ import annotations

from tests.agent_ui.conftest import (  # noqa: F401  (fixtures)
    client,
    quick_password_hashing,
    settings,
    staff,
)
from tests.browser.conftest import browser, page  # noqa: F401  (fixtures)
