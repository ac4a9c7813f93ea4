"""Signed sessions, CSRF tokens, sign-in rate limiting and who may see whom."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from callcenter.users.models import User
from callcenter.users.service import Role

SESSION_COOKIE = "callcenter_session"
SESSION_MAX_AGE_S = 12 * 3600


@dataclass(frozen=True, slots=True)
class WebSession:
    """What the session cookie carries: who signed in, the CSRF token of that sign-in, and
    the user's session generation then (a cookie of an older generation has ended)."""

    user_id: int
    csrf: str
    generation: int = 0


class SessionSigner:
    """Signs and checks session cookies (HMAC with the deployment's secret key)."""

    def __init__(self, secret_key: str, max_age_s: int = SESSION_MAX_AGE_S) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="callcenter.session")
        self.max_age_s = max_age_s

    def issue(self, user_id: int, generation: int = 0) -> tuple[str, WebSession]:
        """A new cookie value for `user_id` in its session `generation`, with a fresh CSRF
        token."""
        session = WebSession(user_id, secrets.token_urlsafe(24), generation)
        return self._serializer.dumps({"u": user_id, "c": session.csrf, "g": generation}), session

    def read(self, cookie: str | None) -> WebSession | None:
        """The session in a cookie value, or None if missing, forged or expired."""
        read = self.read_with_expiry(cookie)
        return read[0] if read is not None else None

    def read_with_expiry(self, cookie: str | None) -> tuple[WebSession, float] | None:
        """The session in a cookie value and when it expires (UNIX time), or None if
        missing, forged or expired."""
        if not cookie:
            return None
        try:
            data, signed_at = self._serializer.loads(
                cookie, max_age=self.max_age_s, return_timestamp=True
            )
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), int):
            return None
        if not isinstance(data.get("g"), int):
            return None  # issued before sessions could be ended: sign in again
        session = WebSession(data["u"], str(data.get("c", "")), data["g"])
        return session, signed_at.timestamp() + self.max_age_s


def csrf_matches(session: WebSession, submitted: str | None) -> bool:
    """Whether a form's CSRF token is the one of this sign-in (constant time)."""
    return bool(submitted) and hmac.compare_digest(session.csrf, submitted or "")


class SignInLimiter:
    """Slows password guessing without locking real users out.

    Failures are counted per (name, address) and per address, each in a sliding window.
    Past the allowance the wait doubles with every further failure (capped), so a guesser
    gets few tries an hour, while the same name from another address (the real user at
    their desk) is not affected. An address gets a larger allowance than a name on it, as
    several people may sit behind one. Memory is bounded: the least recently failing keys
    are forgotten first.
    """

    def __init__(
        self,
        max_failures: int = 5,
        max_address_failures: int = 30,
        window_s: float = 900.0,
        max_wait_s: float = 900.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.max_address_failures = max_address_failures
        self.window_s = window_s
        self.max_wait_s = max_wait_s
        self.max_keys = max_keys
        self._clock = clock
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def retry_after(self, username: str, address: str) -> float:
        """Seconds to wait before another attempt is allowed (0 when allowed now)."""
        now = self._clock()
        return max(
            self._wait(key, allowance, now) for key, allowance in self._keys(username, address)
        )

    def failed(self, username: str, address: str) -> None:
        """Count one failed attempt."""
        now = self._clock()
        for key, allowance in self._keys(username, address):
            failures = self._prune(key, now)
            failures.append(now)
            while len(failures) > allowance + 16:  # enough to reach the longest wait
                failures.popleft()
            self._failures[key] = failures
            self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, username: str, address: str) -> None:
        """A correct password clears that name's failures from that address."""
        self._failures.pop(("name", f"{username.lower()}\n{address}"), None)

    def _keys(self, username: str, address: str) -> tuple[tuple[tuple[str, str], int], ...]:
        return (
            (("name", f"{username.lower()}\n{address}"), self.max_failures),
            (("address", address), self.max_address_failures),
        )

    def _wait(self, key: tuple[str, str], allowance: int, now: float) -> float:
        failures = self._prune(key, now)
        over = len(failures) - allowance
        if over < 0:
            return 0.0
        wait = min(self.max_wait_s, 2.0 ** min(over, 16) * 15.0)
        return max(0.0, failures[-1] + wait - now)

    def _prune(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]
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
