"""The supervisor's agent page and its actions over real AMI (the simulated PBX), HTTP and
the agent's console websocket."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.queues.supervision import SupervisorAction
from tests.agent_ui.live_console import Console, member, pbx_says
from tests.agent_ui.live_stack import LiveStack, live_stack
from tests.supervisor.live_supervisor import Supervisor, seed_team

PAGE = "/supervisor/agents/agent1"


@pytest.fixture
def stack(
    database_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> Iterator[LiveStack]:
    with sessions() as session, session.begin():
        seed_team(session)
    with live_stack(database_url, sessions) as running:
        yield running


@pytest.fixture
def sue(stack: LiveStack) -> Iterator[Supervisor]:
    supervisor = Supervisor(stack)
    yield supervisor
    supervisor.close()


@pytest.fixture
def console(stack: LiveStack) -> Iterator[Console]:
    console = Console(stack)
    yield console
    console.close()


def told_and_in(console: Console, state: str) -> str:
    """The supervisor's line on the agent's console once it also shows `state` (the two
    frames come in either order: the PBX's event reaches both at once)."""
    told: str | None = None
    shown = False
    while told is None or not shown:
        frame = json.loads(console.ws.recv(timeout=30))
        if frame["type"] == "supervised":
            told = frame["message"]
        shown = shown or (frame["type"] == "state" and frame["state"] == state)
    return told


def logged(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, str]]:
    with sessions() as session:
        rows = session.scalars(select(SupervisorAction).order_by(SupervisorAction.id))
        return [(r.supervisor, r.agent, r.action, r.note) for r in rows]


def test_the_page_shows_state_queues_with_penalty_and_the_call(
    stack: LiveStack, sue: Supervisor, console: Console
) -> None:
    page = sue.page().text
    assert 'data-testid="queue-support"' in page
    assert 'data-testid="queue-paused-support">no<' in page
    stack.call_in("+15551230001", "Ann Customer")
    console.until("state", state="on_call")
    live = sue.http.get(PAGE + "/live").text
    assert 'data-state="on_call"' in live
    assert "+15551230001" in live and "Ann Customer" in live
    assert 'data-testid="call-queue">support<' in live


def test_force_pause_then_unpause_is_confirmed_logged_and_told_to_the_agent(
    stack: LiveStack, sue: Supervisor, console: Console, sessions: sessionmaker[Session]
) -> None:
    answer = sue.post(PAGE + "/pause", {"reason": "Meeting", "note": "Team huddle at 10"})
    assert answer.status_code == 200, answer.text
    assert "The PBX confirmed it" in answer.text
    assert answer.headers["HX-Trigger"] == "agent-changed"
    # The PBX holds the pause, the console follows it and says who did it and why.
    assert (member(stack).paused, member(stack).paused_reason) == (True, "Meeting")
    told = told_and_in(console, "paused")
    assert told == "Paused by supervisor Sue Lead: Team huddle at 10"

    live = html.unescape(sue.http.get(PAGE + "/live").text)
    assert 'data-testid="queue-paused-support">paused (Meeting)<' in live
    assert "Team huddle at 10" in live and "paused (Meeting) in support" in live

    answer = sue.post(PAGE + "/unpause", {"note": "Huddle is over"})
    assert answer.status_code == 200, answer.text
    assert member(stack).paused is False
    assert told_and_in(console, "available") == (
        "Made available by supervisor Sue Lead: Huddle is over"
    )
    assert logged(sessions) == [
        ("sue", "agent1", "pause", "Team huddle at 10"),
        ("sue", "agent1", "unpause", "Huddle is over"),
    ]


def test_a_reload_of_the_agents_console_still_says_who_paused_them(
    stack: LiveStack, sue: Supervisor, console: Console
) -> None:
    sue.post(PAGE + "/pause", {"reason": "Training", "note": "New product course"})
    told_and_in(console, "paused")
    reloaded = html.unescape(console.http.get("/console").text)
    assert "Paused by supervisor Sue Lead: New product course" in reloaded


def test_sign_out_of_queues_removes_the_agent_in_the_pbx(
    stack: LiveStack, sue: Supervisor, console: Console, sessions: sessionmaker[Session]
) -> None:
    answer = sue.post(PAGE + "/signout", {"queues": ["support"], "note": "Shift ended"})
    assert answer.status_code == 200, answer.text
    assert member(stack) is None
    assert told_and_in(console, "logged_out") == (
        "Signed out of support by supervisor Sue Lead: Shift ended"
    )
    assert 'data-testid="queue-out-support">no<' in sue.http.get(PAGE + "/live").text
    # The next sign-in is the agent's own, and works as before.
    console.post("/console/queues/signin")
    pbx_says(stack, lambda m: m is not None)
    assert logged(sessions)[-1] == ("sue", "agent1", "sign_out", "Shift ended")


def test_refused_actions_say_why_and_log_nothing(
    stack: LiveStack, sue: Supervisor, console: Console, sessions: sessionmaker[Session]
) -> None:
    unknown = sue.post(PAGE + "/pause", {"reason": "Nap", "note": "tired"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "reason"
    no_note = sue.post(PAGE + "/pause", {"reason": "Lunch", "note": ""})
    assert no_note.status_code == 422
    assert no_note.json()["errors"][0]["field"] == "note"
    not_paused = sue.post(PAGE + "/unpause", {"note": "back to work"})
    assert not_paused.status_code == 409
    assert "not paused" in not_paused.json()["detail"]
    no_queue = sue.post(PAGE + "/signout", {"note": "go home"})
    assert no_queue.status_code == 422
    assert no_queue.json()["errors"][0]["field"] == "queues"
    assert member(stack).paused is False
    assert logged(sessions) == []


def test_a_supervisor_sees_and_acts_on_their_team_only(stack: LiveStack, sue: Supervisor) -> None:
    assert sue.page("agent2").status_code == 404
    answer = sue.post("/supervisor/agents/agent2/pause", {"reason": "Lunch", "note": "lunch"})
    assert answer.status_code == 404
    assert member(stack, "support") is not None


def test_an_agent_may_not_open_the_page_or_act(stack: LiveStack, console: Console) -> None:
    page = console.http.get(PAGE, headers={"Accept": "text/html"})
    assert page.status_code == 403
    assert "supervisors and admins" in page.text
    answer = console.http.post(PAGE + "/pause", data={"reason": "Lunch", "note": "self pause"})
    assert answer.status_code == 403


def test_the_consoles_agent_list_links_to_each_agents_page(sue: Supervisor) -> None:
    listing = sue.http.get("/console", headers={"HX-Request": ""}).text
    assert 'href="/supervisor/agents/agent1"' in listing
    assert "/supervisor/agents/agent2" not in listing  # team blue
