"""Campaign mode at the console: a preview before dialling, Call and Skip, the lead's card as
a progressive call connects, dispositions with a call back on the lead's clock, and the next
lead on the console's socket without a reload; over HTTP on the real app and SQLite.

The dialer is the campaign part's own (it places the calls on the PBX); here a small dialer
reserves leads and attempts in the database as the dialer does and answers for the PBX, so
what is tested is the console's side of it. The browser test runs the real dialer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import WebSocketTestSession

from agent_ui.campaign_desk import CallNotPlaced, CampaignRefused, NoDialer
from agent_ui.console_ops import RemoteConsoleOps
from agent_ui.hub import PopHub
from agent_ui.pbx import CallChannels
from agent_ui.projector import console_projector
from callcenter.app import create_app
from callcenter.bus import Bus
from callcenter.campaigns.enums import AttemptState, LeadState
from callcenter.campaigns.models import CallList, Campaign, DialAttempt, DncEntry, Lead
from callcenter.cti.connection import AmiConnection
from callcenter.cti.protocol import ActionRefused
from callcenter.db import make_engine, make_sessionmaker
from callcenter.events import CampaignLeadOffered, DialAttemptEnded
from callcenter.queues.presence import Presence
from callcenter.services import Services
from callcenter.settings import AmiTarget
from callcenter.users.session_key import session_keys
from crm.customers.schemas import CustomerCreate, PhoneIn
from crm.customers.service import create_customer
from tests.cluster.console_loopback import loopback
from tests.console_app import AT, Staff, publish, sign_in_as

NEW_YORK = "America/New_York"
DISPOSITIONS = [
    {"code": "sale", "label": "Sale", "final": True, "success": True},
    {"code": "not_interested", "label": "Not interested", "final": True},
    {"code": "callback", "label": "Call back at…", "callback": True},
    {"code": "dnc", "label": "Do not call", "dnc": True, "final": True},
]


@dataclass
class Dialer:
    """Reserves the agent's next open lead and stores an attempt when the agent calls, as the
    campaign dialer does; `refuse` makes the PBX say no to the next Originate."""

    sessions: sessionmaker[Session]
    calls: list[tuple[str, int]] = field(default_factory=list)
    refuse: str | None = None

    async def preview_next(self, agent: str) -> Any:
        with self.sessions() as session, session.begin():
            lead = session.scalar(
                select(Lead).where(Lead.state == "reserved", Lead.owner == agent)
            ) or session.scalar(
                select(Lead).where(Lead.state == "open", Lead.next_at.is_(None)).order_by(Lead.id)
            )
            if lead is None:
                return None
            lead.state, lead.owner = LeadState.RESERVED.value, agent
            campaign = session.scalars(select(Campaign)).first()
            assert campaign is not None
            return Offer(campaign.id, lead.id)

    async def dial_preview(self, agent: str, lead_id: int) -> int:
        if self.refuse:
            raise ActionRefused("Originate", self.refuse)
        self.calls.append((agent, lead_id))
        with self.sessions() as session, session.begin():
            lead = session.get(Lead, lead_id)
            assert lead is not None and lead.owner == agent
            lead.state, lead.attempts = LeadState.DIALING.value, lead.attempts + 1
            return attempt_for(session, lead, agent, "preview").id

    async def skip_preview(self, agent: str, lead_id: int) -> None:
        with self.sessions() as session, session.begin():
            lead = session.get(Lead, lead_id)
            assert lead is not None and lead.owner == agent
            lead.state, lead.owner = LeadState.OPEN.value, None
            lead.next_at = datetime.now(UTC) + timedelta(hours=1)


@dataclass(frozen=True)
class Offer:
    campaign_id: int
    lead_id: int


def attempt_for(session: Session, lead: Lead, agent: str, mode: str) -> DialAttempt:
    campaign = session.scalars(select(Campaign)).one()
    attempt = DialAttempt(
        campaign_id=campaign.id,
        lead_id=lead.id,
        number=lead.attempts,
        mode=mode,
        state=AttemptState.DIALING.value,
        agent=agent,
        dialed_number=lead.number,
    )
    session.add(attempt)
    session.flush()
    return attempt


@dataclass
class Floor:
    """The campaign, its two leads (Bob first, then Carol) and the attached dialer."""

    campaign: int
    bob: int
    carol: int
    dialer: Dialer
    client: TestClient
    mode: str


def seed(sessions: sessionmaker[Session], mode: str) -> tuple[int, int, int]:
    with sessions() as session, session.begin():
        known = CustomerCreate(name="Robert Renewal Inc.", phones=[PhoneIn(number="+12125550101")])
        customer = create_customer(session, known, "US")
        calls = CallList(name="renewals", source="csv")
        session.add(calls)
        session.flush()
        bob = Lead(
            list_id=calls.id,
            number="+12125550101",
            name="Bob Renewal",
            customer_id=customer.id,
            time_zone=NEW_YORK,
            origin="csv",
            fields={"plan": "Gold", "renewal": "2027-01-31"},
        )
        carol = Lead(
            list_id=calls.id,
            number="+12125550102",
            name="Carol Next",
            time_zone=NEW_YORK,
            origin="csv",
        )
        campaign = Campaign(
            name="Renewals",
            list_id=calls.id,
            mode=mode,
            state="running",
            queue="renewals",
            agents=["agent1"],
            teams=[],
            dispositions=DISPOSITIONS,
            script="Hello {name}, your {plan} plan renews soon. I am {agent}.",
        )
        session.add_all([bob, carol, campaign])
        session.flush()
        return campaign.id, bob.id, carol.id


@pytest.fixture(params=["preview"])
def floor(
    request: pytest.FixtureRequest, client: TestClient, sessions: sessionmaker[Session]
) -> Floor:
    campaign, bob, carol = seed(sessions, request.param)
    dialer = Dialer(sessions)
    consoles = client.app.state.callcenter.console.consoles  # type: ignore[attr-defined]
    consoles.campaigns.attach_dialer(dialer)
    return Floor(campaign, bob, carol, dialer, client, request.param)


def campaign_frame(ws: WebSocketTestSession, stage: str | None = None) -> dict[str, Any]:
    """The next campaign frame (at `stage`) on the console's socket."""
    while True:
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == "campaign" and (stage is None or frame["stage"] == stage):
            return frame


@pytest.fixture
def agent1(client: TestClient, staff: Staff) -> Iterator[tuple[WebSocketTestSession, str]]:
    csrf = sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        ws.receive_json()  # hello
        yield ws, csrf


def post(client: TestClient, csrf: str, path: str, **data: Any) -> Any:
    return client.post(path, data=data, headers={"X-CSRF-Token": csrf})


def lead_row(sessions: sessionmaker[Session], lead_id: int) -> Lead:
    with sessions() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        session.expunge(lead)
        return lead


def connected(floor: Floor, lead_id: int, attempt_id: int, mode: str = "preview") -> None:
    """The dialer connected the lead's call to agent1."""
    publish(
        floor.client,
        CampaignLeadOffered(
            at=AT,
            server="sim",
            agent="agent1",
            campaign_id=floor.campaign,
            lead_id=lead_id,
            attempt_id=attempt_id,
            mode=mode,
        ),
    )


def ended(floor: Floor, lead_id: int, attempt_id: int, outcome: str) -> None:
    """The dialer says how the lead's attempt ended."""
    publish(
        floor.client,
        DialAttemptEnded(
            at=AT,
            server="sim",
            campaign_id=floor.campaign,
            lead_id=lead_id,
            attempt_id=attempt_id,
            outcome=outcome,
            agent="agent1",
        ),
    )


def in_a_week_at_ten() -> str:
    """A weekday a week or so ahead, 10:00 on the lead's clock: within calling hours."""
    day = (datetime.now(ZoneInfo(NEW_YORK)) + timedelta(days=7)).date()
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return f"{day.isoformat()}T10:00"


def test_a_preview_shows_card_and_script_before_dialling_then_call_and_callback(
    client: TestClient,
    floor: Floor,
    agent1: tuple[WebSocketTestSession, str],
    sessions: sessionmaker[Session],
) -> None:
    ws, csrf = agent1
    response = post(client, csrf, "/console/campaigns/next")
    assert response.status_code == 200, response.text
    assert "Next lead on screen." in response.text

    preview = campaign_frame(ws, "preview")
    assert preview["lead_id"] == floor.bob and preview["attempt_id"] is None
    html = preview["html"]
    assert "Bob Renewal" in html and "+12125550101" in html
    assert "Hello Bob Renewal, your Gold plan renews soon. I am agent1." in html
    assert NEW_YORK in html and "Gold" in html and "2027-01-31" in html
    assert 'data-testid="lead-call"' in html and 'data-testid="lead-skip"' in html
    assert 'href="/desk/customers/1"' in html and "Robert Renewal Inc." in html
    assert "0 of 5" in html  # attempts so far, of the campaign's most
    assert floor.dialer.calls == []  # nothing dialled while the agent reads
    assert lead_row(sessions, floor.bob).owner == "agent1"

    # The page (a reload) shows the same lead, at the same stage.
    page = client.get("/console").text
    assert "Bob Renewal" in page and 'data-stage="preview"' in page

    response = post(client, csrf, "/console/campaigns/call", lead_id=floor.bob)
    assert response.status_code == 200, response.text
    assert floor.dialer.calls == [("agent1", floor.bob)]
    dialing = campaign_frame(ws, "dialing")
    attempt = dialing["attempt_id"]
    assert isinstance(attempt, int) and "Calling +12125550101" in dialing["html"]

    connected(floor, floor.bob, attempt)
    in_call = campaign_frame(ws, "in_call")
    assert 'data-testid="disposition-form"' in in_call["html"]
    assert "Call back at, their time (America/New_York)" in in_call["html"]
    ended(floor, floor.bob, attempt, "answered")
    campaign_frame(ws, "wrap")
    with sessions() as session, session.begin():  # the dialer: answered, with the agent
        row = session.get(DialAttempt, attempt)
        assert row is not None
        row.state, row.outcome = AttemptState.ENDED.value, "answered"
        lead = session.get(Lead, floor.bob)
        assert lead is not None
        lead.state = LeadState.IN_CALL.value

    when = in_a_week_at_ten()
    response = post(
        client,
        csrf,
        "/console/campaigns/dispose",
        lead_id=floor.bob,
        attempt_id=attempt,
        code="callback",
        callback_at=when,
        keep_mine="yes",
        note="Call after the board meeting",
    )
    assert response.status_code == 200, response.text
    assert f"Next call {datetime.fromisoformat(when):%a %Y-%m-%d} 10:00 America/New_York" in (
        response.text
    )
    assert "(your callback)" in response.text

    bob = lead_row(sessions, floor.bob)
    expected = datetime.fromisoformat(when).replace(tzinfo=ZoneInfo(NEW_YORK))
    assert bob.next_at == expected.astimezone(UTC)
    assert (bob.state, bob.owner, bob.disposition) == ("open", "agent1", "callback")
    with sessions() as session:
        row = session.get(DialAttempt, attempt)
        assert row is not None
        assert (row.disposition, row.disposed_by, row.note) == (
            "callback",
            "agent1",
            "Call after the board meeting",
        )

    # The next lead, on the same socket: no reload.
    following = campaign_frame(ws, "preview")
    assert following["lead_id"] == floor.carol and "Carol Next" in following["html"]


def test_skip_puts_the_lead_back_and_shows_the_next(
    client: TestClient,
    floor: Floor,
    agent1: tuple[WebSocketTestSession, str],
    sessions: sessionmaker[Session],
) -> None:
    ws, csrf = agent1
    post(client, csrf, "/console/campaigns/next")
    assert campaign_frame(ws, "preview")["lead_id"] == floor.bob

    response = post(client, csrf, "/console/campaigns/skip", lead_id=floor.bob)
    assert response.status_code == 200 and "Skipped." in response.text
    assert campaign_frame(ws, "preview")["lead_id"] == floor.carol
    assert (lead_row(sessions, floor.bob).state, lead_row(sessions, floor.bob).owner) == (
        "open",
        None,
    )

    post(client, csrf, "/console/campaigns/skip", lead_id=floor.carol)
    nothing = campaign_frame(ws, "idle")
    assert nothing["lead_id"] is None and "No lead to call now" in nothing["html"]


def test_only_the_lead_on_screen_is_called_and_a_refused_call_says_why(
    client: TestClient, floor: Floor, agent1: tuple[WebSocketTestSession, str]
) -> None:
    ws, csrf = agent1
    response = post(client, csrf, "/console/campaigns/call", lead_id=floor.bob)
    assert response.status_code == 409
    assert response.json()["detail"] == "that lead is not the preview on your screen"

    post(client, csrf, "/console/campaigns/next")
    campaign_frame(ws, "preview")
    floor.dialer.refuse = "channel unavailable"
    response = post(client, csrf, "/console/campaigns/call", lead_id=floor.bob)
    assert response.status_code == 502
    assert "the PBX said" in response.json()["detail"]
    assert "channel unavailable" in response.json()["detail"]
    assert floor.dialer.calls == []

    # Still the preview: the agent can try again.
    floor.dialer.refuse = None
    assert post(client, csrf, "/console/campaigns/call", lead_id=floor.bob).status_code == 200

    # Another lead while this one is being called is refused.
    response = post(client, csrf, "/console/campaigns/next")
    assert response.status_code == 409
    assert response.json()["detail"] == "finish the lead on your screen first"


def test_a_preview_not_reached_goes_back_and_offers_the_next(
    client: TestClient, floor: Floor, agent1: tuple[WebSocketTestSession, str]
) -> None:
    ws, csrf = agent1
    post(client, csrf, "/console/campaigns/next")
    campaign_frame(ws, "preview")
    post(client, csrf, "/console/campaigns/call", lead_id=floor.bob)
    attempt = campaign_frame(ws, "dialing")["attempt_id"]

    ended(floor, floor.bob, attempt, "busy")
    missed = campaign_frame(ws, "missed")
    assert "Busy: the lead goes back to the list." in missed["html"]
    assert 'data-testid="lead-next"' in missed["html"]
    assert post(client, csrf, "/console/campaigns/next").status_code == 200
    assert campaign_frame(ws, "preview")["lead_id"] == floor.carol


@pytest.mark.parametrize("floor", ["progressive", "predictive"], indirect=True)
def test_a_connected_call_pops_the_lead_and_a_sale_waits_for_the_next_call(
    client: TestClient,
    floor: Floor,
    agent1: tuple[WebSocketTestSession, str],
    sessions: sessionmaker[Session],
) -> None:
    ws, csrf = agent1
    mode = floor.mode
    with sessions() as session, session.begin():  # the dialer put Bob through to agent1
        lead = session.get(Lead, floor.bob)
        assert lead is not None
        lead.state, lead.attempts = LeadState.IN_CALL.value, 1
        attempt = attempt_for(session, lead, "agent1", mode)
        attempt.state = AttemptState.CONNECTED.value
        attempt_id = attempt.id

    connected(floor, floor.bob, attempt_id, mode=mode)
    card = campaign_frame(ws, "in_call")
    assert "Bob Renewal" in card["html"] and "Hello Bob Renewal" in card["html"]
    assert 'data-testid="lead-call"' not in card["html"]  # nothing to dial: it is connected
    # A reload mid-call shows the same lead.
    assert 'data-stage="in_call"' in client.get("/console").text

    response = post(
        client, csrf, "/console/campaigns/dispose", lead_id=floor.bob, code="sale", note="2 years"
    )
    assert response.status_code == 200 and "Saved: Sale." in response.text
    waiting = campaign_frame(ws, "waiting")
    assert "Waiting for the next call" in waiting["html"]
    bob = lead_row(sessions, floor.bob)
    assert (bob.state, bob.disposition, bob.owner) == ("done", "sale", None)

    # The next call connects: its card replaces the waiting line.
    with sessions() as session, session.begin():
        lead = session.get(Lead, floor.carol)
        assert lead is not None
        lead.state, lead.attempts = LeadState.IN_CALL.value, 1
        next_attempt = attempt_for(session, lead, "agent1", mode).id
    connected(floor, floor.carol, next_attempt, mode=mode)
    assert campaign_frame(ws, "in_call")["lead_id"] == floor.carol


@pytest.mark.parametrize("floor", ["progressive"], indirect=True)
def test_do_not_call_puts_the_number_on_the_campaigns_list(
    client: TestClient,
    floor: Floor,
    agent1: tuple[WebSocketTestSession, str],
    sessions: sessionmaker[Session],
) -> None:
    _, csrf = agent1
    with sessions() as session, session.begin():
        lead = session.get(Lead, floor.bob)
        assert lead is not None
        lead.state, lead.attempts = LeadState.IN_CALL.value, 1
        attempt_for(session, lead, "agent1", "progressive")
    response = post(client, csrf, "/console/campaigns/dispose", lead_id=floor.bob, code="dnc")
    assert response.status_code == 200, response.text
    assert lead_row(sessions, floor.bob).state == "blocked"
    with sessions() as session:
        entry = session.scalars(select(DncEntry)).one()
        assert (entry.number, entry.campaign_id) == ("+12125550101", floor.campaign)


@pytest.mark.parametrize("floor", ["progressive"], indirect=True)
def test_bad_dispositions_are_refused_with_a_reason_and_nothing_stored(
    client: TestClient,
    staff: Staff,
    floor: Floor,
    agent1: tuple[WebSocketTestSession, str],
    sessions: sessionmaker[Session],
) -> None:
    _, csrf = agent1
    with sessions() as session, session.begin():
        lead = session.get(Lead, floor.bob)
        assert lead is not None
        lead.state, lead.attempts = LeadState.IN_CALL.value, 1
        attempt_for(session, lead, "agent1", "progressive")

    def refused(status: int, detail: str, **data: Any) -> None:
        response = post(client, csrf, "/console/campaigns/dispose", lead_id=floor.bob, **data)
        assert response.status_code == status, response.text
        assert detail in response.json()["detail"]

    refused(422, "'won' is not a disposition of this campaign", code="won")
    refused(422, "a call back needs the time to call", code="callback")
    refused(422, "callback_at is not a date and time", code="callback", callback_at="soon")
    refused(422, "is in the past", code="callback", callback_at="2020-01-01T10:00")
    # Sunday is outside the campaign's calling hours (Monday to Saturday).
    refused(
        422, "outside the campaign's calling hours", code="callback", callback_at="2031-03-16T10:00"
    )
    # 2:30 on the night the clocks go forward does not exist in New York.
    refused(
        422,
        "2031-03-09 02:30 does not exist in America/New_York",
        code="callback",
        callback_at="2031-03-09T02:30",
    )
    response = post(client, csrf, "/console/campaigns/dispose", lead_id=999, code="sale")
    assert response.status_code == 404
    assert lead_row(sessions, floor.bob).disposition is None

    # Another agent's call is not theirs to dispose; a supervisor does not work leads.
    other = sign_in_as(client, staff, "agent2")
    response = post(client, other, "/console/campaigns/dispose", lead_id=floor.bob, code="sale")
    assert response.status_code == 403
    assert response.json()["detail"] == "that lead's call is not yours"
    boss = sign_in_as(client, staff, "supervisor1")
    response = post(client, boss, "/console/campaigns/next")
    assert response.status_code == 403 and "agent role" in response.json()["detail"]

    # Without the CSRF token a browser's post is refused.
    csrf = sign_in_as(client, staff, "agent1")
    response = client.post(
        "/console/campaigns/dispose", data={"lead_id": floor.bob, "code": "sale"}
    )
    assert response.status_code == 403

    # Saved once; the second click is told so.
    assert (
        post(client, csrf, "/console/campaigns/dispose", lead_id=floor.bob, code="sale").status_code
        == 200
    )
    refused(409, "saved already: sale", code="sale")


def test_without_a_dialer_the_console_says_so(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    seed(sessions, "preview")
    csrf = sign_in_as(client, staff, "agent1")
    response = post(client, csrf, "/console/campaigns/next")
    assert response.status_code == 503
    assert "the dialer is not running" in response.json()["detail"]
    page = client.get("/console").text
    assert 'data-testid="campaign-next"' in page and "Renewals" in page


def test_the_panel_lists_the_running_campaigns_of_the_agent_and_their_team(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    seed(sessions, "preview")
    with sessions() as session, session.begin():
        calls = session.scalars(select(CallList)).one()
        session.add_all(
            [
                Campaign(name="Red team survey", list_id=calls.id, mode="progressive",
                         state="running", queue="survey", agents=[], teams=["red"]),
                Campaign(name="Blue team only", list_id=calls.id, mode="predictive",
                         state="running", queue="blue", agents=[], teams=["blue"]),
                Campaign(name="Paused one", list_id=calls.id, mode="preview",
                         state="paused", queue="p", agents=["agent1"]),
            ]
        )  # fmt: skip
    sign_in_as(client, staff, "agent1")
    page = client.get("/console").text
    assert "Renewals" in page and "Red team survey" in page
    assert "Blue team only" not in page and "Paused one" not in page
    sign_in_as(client, staff, "agent3")  # blue team, no preview campaign: no Next button
    page = client.get("/console").text
    assert "Blue team only" in page and 'data-testid="campaign-next"' not in page


def test_a_preview_held_in_the_database_is_shown_after_a_restart(
    settings: Any, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    _, bob, _ = seed(sessions, "preview")
    with sessions() as session, session.begin():
        lead = session.get(Lead, bob)
        assert lead is not None
        lead.state, lead.owner = LeadState.RESERVED.value, "agent1"
    with TestClient(create_app(settings), base_url="http://testserver") as fresh:
        dialer = Dialer(sessions)
        fresh.app.state.callcenter.console.consoles.campaigns.attach_dialer(dialer)  # type: ignore[attr-defined]
        csrf = sign_in_as(fresh, staff, "agent1")
        page = fresh.get("/console").text
        assert "Bob Renewal" in page and 'data-stage="preview"' in page
        # The consoles never showed it, yet Call works on the lead held for the agent.
        response = post(fresh, csrf, "/console/campaigns/call", lead_id=bob)
        assert response.status_code == 200, response.text
        assert dialer.calls == [("agent1", bob)]


def test_the_frames_replay_after_a_reconnect(
    client: TestClient, floor: Floor, agent1: tuple[WebSocketTestSession, str]
) -> None:
    ws, csrf = agent1
    post(client, csrf, "/console/campaigns/next")
    seq = campaign_frame(ws, "preview")["seq"]
    post(client, csrf, "/console/campaigns/skip", lead_id=floor.bob)
    # A tab that showed the first preview and lost its socket gets what followed.
    with client.websocket_connect(f"/ws/console?since={seq}") as again:
        hello = again.receive_json()
        assert hello["type"] == "hello" and not hello["resync"]
        frame = campaign_frame(again, "preview")
        assert frame["lead_id"] == floor.carol
    # A fresh tab gets the snapshot with the lead on screen.
    with client.websocket_connect("/ws/console") as fresh:
        snapshot = fresh.receive_json()["snapshot"]
        assert snapshot["campaign"]["lead_id"] == floor.carol
        assert json.dumps(snapshot["campaign"]["html"]).count("Carol Next") >= 1


async def test_a_console_on_another_web_worker_works_the_campaign_over_the_rpc(
    settings: Any, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    """The routes of a web worker ask the PBX's process: the same answers, the same errors
    (class, status, sentence) as in one process."""
    _, bob, carol = seed(sessions, "preview")
    engine = make_engine(settings.database_url)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        bus=Bus(),
        session_keys=session_keys(settings),
    )
    presence = Presence()
    hub = PopHub(settings.console_replay_frames)
    # A link to no PBX (never started), and no calls: the dialer stands in for the PBX.
    connection = AmiConnection(AmiTarget(host="127.0.0.1", port=9, username="u", secret="s"))
    no_calls = cast(CallChannels, None)
    agent = staff.ids["agent1"]
    try:
        async with console_projector(services, presence, connection, no_calls, hub) as (
            consoles,
            calls,
        ):
            remote = RemoteConsoleOps(loopback(calls))
            with pytest.raises(NoDialer) as no_dialer:
                await remote.campaign_next(agent, "agent1")
            assert no_dialer.value.status_code == 503
            dialer = Dialer(services.sessions)
            consoles.campaigns.attach_dialer(dialer)

            shown = await remote.campaign_next(agent, "agent1")
            assert (shown["lead_id"], shown["stage"]) == (bob, "preview")
            assert (await remote.snapshot(agent))["campaign"] == shown
            with pytest.raises(CampaignRefused) as refused:
                await remote.campaign_call(agent, "agent1", carol)
            assert refused.value.status_code == 409
            assert str(refused.value) == "that lead is not the preview on your screen"
            dialer.refuse = "no such channel"
            with pytest.raises(CallNotPlaced) as not_placed:
                await remote.campaign_call(agent, "agent1", bob)
            assert not_placed.value.status_code == 502
            dialer.refuse = None
            attempt = await remote.campaign_call(agent, "agent1", bob)
            assert dialer.calls == [("agent1", bob)] and isinstance(attempt, int)
            assert (await remote.snapshot(agent))["campaign"]["stage"] == "dialing"
            after = await remote.campaign_disposed(agent, "agent1", bob, "preview")
            assert (after["lead_id"], after["stage"]) == (carol, "preview")
            skipped = await remote.campaign_skip(agent, "agent1", carol)
            assert skipped["stage"] == "idle"
    finally:
        engine.dispose()
