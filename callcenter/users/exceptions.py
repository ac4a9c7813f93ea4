"""Errors of the users domain, each with a sentence fit for the person who caused it."""

from __future__ import annotations


class UserError(ValueError):
    """A request about users that cannot be honoured as asked."""


class UserNotFound(UserError):
    """No user has that name or id."""


class DuplicateUser(UserError):
    """The username or PBX interface is already taken."""


class WeakPassword(UserError):
    """A password too short or too easy to guess for the user's role."""
