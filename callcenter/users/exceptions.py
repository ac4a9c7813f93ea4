"""Errors of the users domain, each with a sentence fit for the person who caused it."""

from __future__ import annotations


class UserError(ValueError):
    """A request about users that cannot be honoured as asked; `field` names the input it is
    about, when one is (a form marks it)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UserNotFound(UserError):
    """No user has that name or id."""


class DuplicateUser(UserError):
    """The username or PBX interface is already taken."""


class WeakPassword(UserError):
    """A password too short or too easy to guess for the user's role."""

    def __init__(self, message: str, field: str | None = "password") -> None:
        super().__init__(message, field)
