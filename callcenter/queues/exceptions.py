"""Errors of the queues domain, each with a sentence fit for the person who caused it."""

from __future__ import annotations


class QueueError(ValueError):
    """A request about queues, their numbers, members or skills that cannot be honoured as
    asked; `field` names the input it is about, when one is (a form marks it)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class QueueNotFound(QueueError):
    """No queue record has that name."""


class DuplicateQueue(QueueError):
    """The queue name or a dialled number is already taken."""
