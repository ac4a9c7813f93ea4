"""The CRM's domain errors; the web layer maps each to one HTTP status."""

from __future__ import annotations


class CrmError(Exception):
    """Base of every CRM error; `str(error)` is a sentence fit for the user."""

    status_code = 400


class NotFound(CrmError):
    """A record asked for by id does not exist."""

    status_code = 404

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key} not found")
        self.kind = kind
        self.key = key


class InvalidInput(CrmError):
    """A value is well-formed but not acceptable (a number that cannot be a phone number)."""

    status_code = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Forbidden(CrmError):
    """The signed-in user may not change this record (docs/security.md says who may)."""

    status_code = 403


class Conflict(CrmError):
    """The request clashes with stored data (a customer code already taken)."""

    status_code = 409
