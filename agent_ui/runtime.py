"""What the console keeps while the app runs: hub, desks, PBX control, sign-in limits."""

from __future__ import annotations

from dataclasses import dataclass

from agent_ui.config import ConsoleSettings
from agent_ui.desk import Desks
from agent_ui.hub import PopHub
from agent_ui.pbx import PbxControl
from callcenter.users.auth import SignInLimiter


@dataclass
class ConsoleRuntime:
    """What the console keeps while the app runs."""

    config: ConsoleSettings
    hub: PopHub
    desks: Desks
    pbx: PbxControl
    limiter: SignInLimiter
