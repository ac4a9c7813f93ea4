"""Signed sessions, CSRF tokens, sign-in rate limiting and who may see whom."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from callcenter.users.models import User
from callcenter.users.service import Role

SESSION_COOKIE = "callcenter_session"
SESSION_MAX_AGE_S = 12 * 3600


@dataclass(frozen=True, slots=True)
class WebSession:
    """What the session cookie carries: who signed in, and the CSRF token of that sign-in."""

    user_id: int
    csrf: str


class SessionSigner:
    """Signs and checks session cookies (HMAC with the deployment's secret key)."""

    def __init__(self, secret_key: str, max_age_s: int = SESSION_MAX_AGE_S) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="callcenter.session")
        self.max_age_s = max_age_s

    def issue(self, user_id: int) -> tuple[str, WebSession]:
        """A new cookie value for `user_id`, with a fresh CSRF token."""
        session = WebSession(user_id=user_id, csrf=secrets.token_urlsafe(24))
        return self._serializer.dumps({"u": user_id, "c": session.csrf}), session

    def read(self, cookie: str | None) -> WebSession | None:
        """The session in a cookie value, or None if missing, forged or expired."""
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age_s)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), int):
            return None
        return WebSession(user_id=data["u"], csrf=str(data.get("c", "")))


def csrf_matches(session: WebSession, submitted: str | None) -> bool:
    """Whether a form's CSRF token is the one of this sign-in (constant time)."""
    return bool(submitted) and hmac.compare_digest(session.csrf, submitted or "")


class SignInLimiter:
    """Refuses sign-ins after too many failures for one name or one address in a window."""

    def __init__(
        self,
        max_failures: int = 5,
        window_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, username: str, address: str) -> float:
        """Seconds to wait before another attempt is allowed (0 when allowed now)."""
        now = self._clock()
        wait = 0.0
        for key in self._keys(username, address):
            failures = self._prune(key, now)
            if len(failures) >= self.max_failures:
                wait = max(wait, failures[0] + self.window_s - now)
        return wait

    def failed(self, username: str, address: str) -> None:
        """Count one failed attempt."""
        now = self._clock()
        for key in self._keys(username, address):
            self._prune(key, now).append(now)

    def succeeded(self, username: str, address: str) -> None:
        """A correct password clears the name's failures (not the address's)."""
        self._failures.pop(f"user:{username.lower()}", None)
        del address

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        return f"user:{username.lower()}", f"addr:{address}"

    def _prune(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures


def can_see_agent(viewer: User, agent: User) -> bool:
    """Scope: an agent sees themself, a supervisor their team, an admin everyone."""
    if viewer.role == Role.ADMIN:
        return True
    if viewer.id == agent.id:
        return True
    return (
        viewer.role == Role.SUPERVISOR
        and viewer.team_id is not None
        and viewer.team_id == agent.team_id
    )
