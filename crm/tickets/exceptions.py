"""Errors of the ticket workflow."""

from __future__ import annotations

from crm.exceptions import Conflict


class TransitionRefused(Conflict):
    """A ticket cannot move to the asked status; the message says why."""

    def __init__(self, current: str, target: str, reason: str) -> None:
        super().__init__(f"cannot move a ticket from {current} to {target}: {reason}")
        self.current = current
        self.target = target
        self.reason = reason
