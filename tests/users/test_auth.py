"""Session cookies, CSRF tokens, sign-in rate limits and scope."""

from __future__ import annotations

import pytest

from callcenter.users.auth import SessionSigner, SignInLimiter, can_see_agent, csrf_matches
from callcenter.users.models import User


def test_session_cookie_round_trip() -> None:
    signer = SessionSigner("secret")
    cookie, session = signer.issue(42)
    assert signer.read(cookie) == session
    assert session.user_id == 42 and len(session.csrf) >= 24


@pytest.mark.parametrize("cookie", [None, "", "garbage", "eyJ1Ijo0Mn0.forged.sig"])
def test_forged_or_missing_cookie_is_no_session(cookie: str | None) -> None:
    assert SessionSigner("secret").read(cookie) is None


def test_cookie_signed_with_another_key_is_refused() -> None:
    cookie, _ = SessionSigner("other key").issue(1)
    assert SessionSigner("secret").read(cookie) is None


def test_expired_cookie_is_refused() -> None:
    cookie, _ = SessionSigner("secret").issue(1)
    assert SessionSigner("secret", max_age_s=-1).read(cookie) is None


def test_csrf_must_match_the_sign_in() -> None:
    _, session = SessionSigner("secret").issue(1)
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, None)
    assert not csrf_matches(session, session.csrf + "x")


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_blocks_after_five_failures_then_forgets() -> None:
    clock = FakeClock()
    limiter = SignInLimiter(max_failures=5, window_s=300, clock=clock)
    for _ in range(5):
        assert limiter.retry_after("agent1", "10.0.0.1") == 0
        limiter.failed("agent1", "10.0.0.1")
    assert limiter.retry_after("agent1", "10.0.0.1") == pytest.approx(300)
    assert limiter.retry_after("agent1", "10.0.0.2") == pytest.approx(300)  # the name is locked
    assert limiter.retry_after("agent2", "10.0.0.1") == pytest.approx(300)  # so is the address
    assert limiter.retry_after("agent2", "10.0.0.2") == 0
    clock.now += 301
    assert limiter.retry_after("agent1", "10.0.0.1") == 0


def test_success_clears_the_name() -> None:
    limiter = SignInLimiter(max_failures=2, clock=FakeClock())
    limiter.failed("agent1", "a")
    limiter.succeeded("agent1", "a")
    limiter.failed("agent1", "b")
    assert limiter.retry_after("agent1", "b") == 0


def _user(user_id: int, role: str, team_id: int | None) -> User:
    return User(id=user_id, username=f"u{user_id}", role=role, team_id=team_id)


@pytest.mark.parametrize(
    ("viewer", "agent", "visible"),
    [
        (_user(1, "agent", 1), _user(1, "agent", 1), True),
        (_user(1, "agent", 1), _user(2, "agent", 1), False),
        (_user(3, "supervisor", 1), _user(2, "agent", 1), True),
        (_user(3, "supervisor", 1), _user(4, "agent", 2), False),
        (_user(3, "supervisor", None), _user(5, "agent", None), False),
        (_user(9, "admin", None), _user(4, "agent", 2), True),
    ],
)
def test_scope(viewer: User, agent: User, visible: bool) -> None:
    assert can_see_agent(viewer, agent) is visible
