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


def test_limiter_slows_a_name_from_one_address_and_forgets() -> None:
    clock = FakeClock()
    limiter = SignInLimiter(max_failures=5, window_s=300, clock=clock)
    for _ in range(5):
        assert limiter.retry_after("agent1", "10.0.0.1") == 0
        limiter.failed("agent1", "10.0.0.1")
    assert limiter.retry_after("agent1", "10.0.0.1") == pytest.approx(15)
    # The real user at another desk is not locked out, nor others behind the same address.
    assert limiter.retry_after("agent1", "10.0.0.2") == 0
    assert limiter.retry_after("agent2", "10.0.0.1") == 0
    clock.now += 301
    assert limiter.retry_after("agent1", "10.0.0.1") == 0


def test_the_wait_doubles_with_each_failure_past_the_allowance() -> None:
    clock = FakeClock()
    limiter = SignInLimiter(max_failures=2, window_s=10_000, max_wait_s=100, clock=clock)
    waits = []
    for _ in range(7):
        limiter.failed("root", "10.0.0.9")
        waits.append(limiter.retry_after("root", "10.0.0.9"))
    assert waits == [0, pytest.approx(15), pytest.approx(30), pytest.approx(60), 100, 100, 100]


def test_an_address_trying_many_names_is_slowed() -> None:
    clock = FakeClock()
    limiter = SignInLimiter(max_failures=5, max_address_failures=8, clock=clock)
    for number in range(8):
        limiter.failed(f"user{number}", "10.0.0.7")
    assert limiter.retry_after("someone-new", "10.0.0.7") > 0
    assert limiter.retry_after("someone-new", "10.0.0.8") == 0


def test_memory_is_bounded() -> None:
    limiter = SignInLimiter(max_keys=100, clock=FakeClock())
    for number in range(10_000):
        limiter.failed(f"name{number}", f"10.{number // 250}.{number % 250}.1")
    assert len(limiter._failures) <= 100


def test_success_clears_the_name() -> None:
    limiter = SignInLimiter(max_failures=2, clock=FakeClock())
    limiter.failed("agent1", "a")
    limiter.failed("agent1", "a")
    limiter.succeeded("agent1", "a")
    limiter.failed("agent1", "a")
    assert limiter.retry_after("agent1", "a") == 0


def test_session_generation_travels_in_the_cookie() -> None:
    signer = SessionSigner("secret")
    cookie, session = signer.issue(42, generation=3)
    read = signer.read(cookie)
    assert read is not None and read.generation == 3 == session.generation


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
