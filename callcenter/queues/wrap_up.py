"""An agent's after-call work as named transitions: begun by the console, confirmed or
interrupted by what the PBX reports, finished by the agent or the queue's time limit.

An impossible transition (finishing a wrap-up that is not running, beginning one twice) is
logged and refused, never raised: the PBX and the agent act independently and race.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import Enum

from callcenter.calls.records import AgentState

log = logging.getLogger(__name__)


class WrapUpPhase(Enum):
    """Where an agent's wrap-up is."""

    IDLE = "idle"
    BEGUN = "begun"  # the console paused the agent; the PBX has not confirmed it yet
    CONFIRMED = "confirmed"  # the PBX reports the agent paused with the wrap-up reason


class WrapUp:
    """One agent's wrap-up: its phase and until when it may last."""

    __slots__ = ("agent", "phase", "reason", "until")

    def __init__(self, agent: str, reason: str) -> None:
        self.agent = agent
        self.reason = reason
        self.phase = WrapUpPhase.IDLE
        self.until: datetime | None = None

    @property
    def active(self) -> bool:
        return self.phase is not WrapUpPhase.IDLE

    def begin(self, until: datetime) -> bool:
        """After a call: the agent wraps up until `until` at the latest."""
        if self.active:
            return self._impossible("begin")
        self.phase, self.until = WrapUpPhase.BEGUN, until
        return True

    def confirm(self) -> bool:
        """The PBX reports the wrap-up pause the console asked for."""
        if not self.active:
            return self._impossible("confirm")
        self.phase = WrapUpPhase.CONFIRMED
        return True

    def interrupt(self) -> bool:
        """Something else happened at the PBX (another pause, an unpause, a call, a log-out)."""
        if not self.active:
            return self._impossible("interrupt")
        self._end()
        return True

    def finish(self) -> bool:
        """The agent is done, or the queue's time limit is reached."""
        if not self.active:
            return self._impossible("finish")
        self._end()
        return True

    def follow(self, state: AgentState, reason: str | None) -> bool:
        """Take what the PBX reports while wrapping up; True if the wrap-up goes on."""
        if not self.active:
            return False
        if state in (AgentState.PAUSED, AgentState.WRAP_UP) and reason == self.reason:
            return self.confirm()
        self.interrupt()
        return False

    def _end(self) -> None:
        self.phase, self.until = WrapUpPhase.IDLE, None

    def _impossible(self, transition: str) -> bool:
        log.info("wrap-up of %s: %s while %s, ignored", self.agent, transition, self.phase.value)
        return False
