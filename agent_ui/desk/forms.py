"""What every desk form post shares: the session's CSRF token and the answer to a refusal."""

from __future__ import annotations

from fastapi import HTTPException, status

from callcenter.deps import SignedInUser
from callcenter.users.auth import WebSession, csrf_matches


def check_csrf(user: SignedInUser, token: str) -> None:
    """403 unless the form carries the session's CSRF token."""
    if user.csrf is not None and not csrf_matches(WebSession(user.id, user.csrf), token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token; reload")
