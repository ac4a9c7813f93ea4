"""`POST /api/callback-requests`: a web page's "call me back" becomes a lead of the callback
campaign, behind the site's token, the limits and the do-not-call lists; refused requests
store nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.app import create_app
from callcenter.campaigns.models import CallList, Campaign, DncEntry, Lead
from callcenter.settings import Settings
from crm.callbacks.schemas import CallbackOut
from crm.callbacks.service import list_callbacks
from crm.customers.models import Customer
from tests.crm.conftest import add_customer

TOKEN = "site-token-for-the-tests"
HEADERS = {"X-Callback-Token": TOKEN}
URL = "/api/callback-requests"

Client = Callable[..., httpx.AsyncClient]


def settings_for(database_url: str, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "default_region": "US",
        "sla_check_interval_s": 3600,
        "web_callback_tokens": TOKEN,
    }
    return Settings(**(values | changes))


@pytest.fixture
def app_settings(database_url: str) -> Settings:
    return settings_for(database_url)


@pytest.fixture
async def app(app_settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(app_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[Client]:
    """Clients of the app from a given address (the TCP peer the app sees)."""
    opened: list[httpx.AsyncClient] = []

    def make(address: str = "203.0.113.7") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://cc.test"))
        return opened[-1]

    yield make
    for one in opened:
        await one.aclose()


def stored(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    """(leads, lists, campaigns) in the database."""
    with sessions() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Lead, CallList, Campaign)
        )


async def test_a_request_becomes_a_lead_of_the_callback_campaign(
    client: Client, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        ann = add_customer(session, "Ann Customer", "+1 555 123 0001").id
    before = datetime.now(UTC)
    answer = await client().post(
        URL, json={"number": "(555) 123-0001", "name": "Ann", "note": "About my invoice"},
        headers=HEADERS,
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert (body["number"], body["not_before"], body["already_owed"]) == (
        "+15551230001", None, False,
    )  # fmt: skip
    due = datetime.fromisoformat(body["due_at"])
    # No business hours are set: due within the callback SLA (30 minutes) round the clock.
    assert before + timedelta(minutes=30) <= due <= datetime.now(UTC) + timedelta(minutes=30)
    with sessions() as session:
        lead = session.get(Lead, body["lead_id"])
        assert lead is not None
        campaign = session.scalars(select(Campaign)).one()
        assert (campaign.kind, campaign.list_id, campaign.queue) == (
            "callback", lead.list_id, "support",
        )  # fmt: skip
        assert (lead.origin, lead.state, lead.customer_id, lead.name, lead.note) == (
            "web", "open", ann, "Ann", "About my invoice",
        )  # fmt: skip
        assert (lead.next_at, lead.due_at) == (None, due)


async def test_a_web_request_is_listed_as_a_callback(
    client: Client, sessions: sessionmaker[Session]
) -> None:
    answer = await client().post(URL, json={"number": "+15551230002"}, headers=HEADERS)
    assert answer.status_code == 202
    with sessions() as session:
        (lead,), total = list_callbacks(session, status="open")
        shown = CallbackOut.model_validate(lead)
    assert (total, shown.origin, shown.status, shown.id) == (
        1, "web", "open", answer.json()["lead_id"],
    )  # fmt: skip


async def test_a_preferred_time_with_its_offset_or_its_zone(
    client: Client, sessions: sessionmaker[Session]
) -> None:
    wanted = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0, second=0)
    in_berlin = wanted.astimezone(ZoneInfo("Europe/Berlin"))
    with_offset = await client().post(
        URL,
        json={"number": "+15551230003", "preferred_time": in_berlin.isoformat()},
        headers=HEADERS,
    )
    assert with_offset.status_code == 202, with_offset.text
    assert datetime.fromisoformat(with_offset.json()["not_before"]) == wanted
    assert datetime.fromisoformat(with_offset.json()["due_at"]) == wanted + timedelta(minutes=30)

    local = wanted.astimezone(ZoneInfo("America/Chicago")).replace(tzinfo=None)
    with_zone = await client().post(
        URL,
        json={
            "number": "+15551230004",
            "preferred_time": local.isoformat(),
            "time_zone": "America/Chicago",
        },
        headers=HEADERS,
    )
    assert with_zone.status_code == 202, with_zone.text
    assert datetime.fromisoformat(with_zone.json()["not_before"]) == wanted
    with sessions() as session:
        lead = session.get(Lead, with_zone.json()["lead_id"])
        assert lead is not None and lead.next_at == wanted


async def test_a_number_already_owed_a_callback_keeps_that_one(
    client: Client, sessions: sessionmaker[Session]
) -> None:
    later = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    first = await client().post(
        URL,
        json={"number": "+15551230007", "preferred_time": later.isoformat(), "note": "Invoice"},
        headers=HEADERS,
    )
    same = await client("198.51.100.7").post(
        URL, json={"number": "555-123-0007", "note": "Invoice"}, headers=HEADERS
    )
    assert (first.status_code, same.status_code) == (202, 202)
    assert same.json()["lead_id"] == first.json()["lead_id"]
    assert same.json()["already_owed"] is True
    # Asked again for no particular time: it is owed sooner now, at once.
    assert same.json()["not_before"] is None
    assert datetime.fromisoformat(same.json()["due_at"]) < later
    with sessions() as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.next_at, lead.note) == (None, "Invoice")
    # A later time asked for does not put off what is owed.
    again = await client("198.51.100.8").post(
        URL, json={"number": "+15551230007", "preferred_time": later.isoformat()}, headers=HEADERS
    )
    assert again.json()["due_at"] == same.json()["due_at"]


def _later(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({}, "number"),
        ({"number": ""}, "number"),
        ({"number": "call me"}, "not a phone number"),
        ({"number": "+1555"}, "wrong length"),
        ({"number": "+15551230001", "preferred_time": "tomorrow at 3"}, "not a date and time"),
        ({"number": "+15551230001", "preferred_time": _later(-1)}, "already passed"),
        ({"number": "+15551230001", "preferred_time": _later(15)}, "within the next 14 days"),
        ({"number": "+15551230001", "preferred_time": "2030-01-01T10:00"}, "UTC offset"),
        (
            {"number": "+15551230001", "preferred_time": "2030-01-01T10:00", "time_zone": "Mars"},
            "not a time zone",
        ),
        ({"number": "+15551230001", "time_zone": "Europe/Berlin"}, "preferred_time"),
        ({"number": "+15551230001", "note": "x" * 1001}, "note"),
        ({"number": "+15551230001", "name": "x" * 121}, "name"),
        ({"number": "+15551230001", "customer_id": 1}, "customer_id"),
        ({"number": "+15551230001", "preferred_time": "9999-12-31T23:59:59-05:00"}, "range"),
    ],
)
async def test_bad_input_is_a_clear_422_and_stores_nothing(
    client: Client, sessions: sessionmaker[Session], body: dict[str, Any], said: str
) -> None:
    answer = await client().post(URL, json=body, headers=HEADERS)
    assert answer.status_code == 422, answer.text
    assert said in answer.text
    assert stored(sessions) == (0, 0, 0)


async def test_a_number_nobody_may_call_is_refused_and_nothing_stored(
    client: Client, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        session.add(DncEntry(number="+15551230005", reason="asked"))
        customer = add_customer(session, "Quiet Customer", "+15551230006")
        session.get_one(Customer, customer.id).do_not_call = True
    for number in ("555-123-0005", "+15551230006"):
        answer = await client().post(URL, json={"number": number}, headers=HEADERS)
        assert answer.status_code == 422, answer.text
        assert "do-not-call" in answer.json()["detail"]
    assert stored(sessions) == (0, 0, 0)


async def test_the_token_is_required(client: Client, sessions: sessionmaker[Session]) -> None:
    for headers in ({}, {"X-Callback-Token": "wrong"}, {"X-Callback-Token": TOKEN + "x"}):
        answer = await client().post(URL, json={"number": "+15551230001"}, headers=headers)
        assert answer.status_code == 401, answer.text
        assert "X-Callback-Token" in answer.json()["detail"]
    # Checked before the body: a stranger learns nothing from its validation.
    assert (await client().post(URL, json={})).status_code == 401
    assert stored(sessions) == (0, 0, 0)


async def test_any_of_several_tokens_is_accepted(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    app = create_app(settings_for(database_url, web_callback_tokens="first-site, second-site"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cc.test") as http:
            answer = await http.post(
                URL, json={"number": "+15551230001"}, headers={"X-Callback-Token": "second-site"}
            )
    assert answer.status_code == 202, answer.text


async def test_without_tokens_the_endpoint_is_not_enabled(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    app = create_app(settings_for(database_url, web_callback_tokens=None))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cc.test") as http:
            answer = await http.post(URL, json={"number": "+15551230001"}, headers=HEADERS)
    assert answer.status_code == 503
    assert answer.json()["detail"] == (
        "callback requests from web pages are not enabled on this server"
    )
    assert stored(sessions) == (0, 0, 0)


@pytest.fixture
def tight(database_url: str) -> Settings:
    return settings_for(
        database_url,
        web_callback_limit_per_number=2,
        web_callback_limit_per_ip=3,
        trusted_proxies="10.0.0.0/8",
    )


@pytest.fixture
async def tight_client(tight: Settings) -> AsyncIterator[Client]:
    app = create_app(tight)
    opened: list[httpx.AsyncClient] = []

    def make(address: str = "203.0.113.7") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://cc.test"))
        return opened[-1]

    async with app.router.lifespan_context(app):
        yield make
    for one in opened:
        await one.aclose()


async def test_the_limit_per_number(tight_client: Client, sessions: sessionmaker[Session]) -> None:
    codes = []
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        answer = await tight_client(address).post(
            URL, json={"number": "+15551230001"}, headers=HEADERS
        )
        codes.append(answer.status_code)
    assert codes == [202, 202, 429]
    assert int(answer.headers["Retry-After"]) > 0
    assert "too many" in answer.json()["detail"]
    assert stored(sessions)[0] == 1  # the second joined the first
    other = await tight_client("203.0.113.3").post(
        URL, json={"number": "+15551230002"}, headers=HEADERS
    )
    assert other.status_code == 202


async def test_the_limit_per_address(tight_client: Client, sessions: sessionmaker[Session]) -> None:
    http = tight_client("203.0.113.9")
    codes = [
        (await http.post(URL, json={"number": f"+1555123000{n}"}, headers=HEADERS)).status_code
        for n in range(1, 5)
    ]
    assert codes == [202, 202, 202, 429]
    assert stored(sessions)[0] == 3
    elsewhere = await tight_client("198.51.100.1").post(
        URL, json={"number": "+15551230004"}, headers=HEADERS
    )
    assert elsewhere.status_code == 202


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    tight_client: Client,
) -> None:
    proxy = tight_client("10.0.0.5")
    for n in range(1, 4):  # three clients' worth through one proxy: each has its own limit
        for client_ip in ("198.51.100.1", "198.51.100.2"):
            answer = await proxy.post(
                URL,
                json={"number": f"+155512{client_ip[-1]}000{n}"},
                headers=HEADERS | {"X-Forwarded-For": f"{client_ip}, 10.0.0.9"},
            )
            assert answer.status_code == 202, answer.text
    # An untrusted peer cannot choose its address: its X-Forwarded-For is ignored.
    stranger = tight_client("203.0.113.50")
    codes = [
        (
            await stranger.post(
                URL,
                json={"number": f"+1555124000{n}"},
                headers=HEADERS | {"X-Forwarded-For": f"198.51.100.{100 + n}"},
            )
        ).status_code
        for n in range(4)
    ]
    assert codes == [202, 202, 202, 429]


async def test_cors_only_for_the_named_origins_and_only_this_route(database_url: str) -> None:
    settings = settings_for(database_url, web_callback_origins=["https://www.example.com"])
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cc.test") as http:
            preflight = {
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-callback-token",
            }
            allowed = await http.options(
                URL, headers=preflight | {"Origin": "https://www.example.com"}
            )
            other = await http.options(URL, headers=preflight | {"Origin": "https://evil.test"})
            posted = await http.post(
                URL,
                json={"number": "+15551230001"},
                headers=HEADERS | {"Origin": "https://www.example.com"},
            )
            elsewhere = await http.options(
                "/api/callbacks", headers=preflight | {"Origin": "https://www.example.com"}
            )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://www.example.com"
    assert "x-callback-token" in allowed.headers["access-control-allow-headers"].lower()
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    assert posted.status_code == 202
    assert posted.headers["access-control-allow-origin"] == "https://www.example.com"
    assert "access-control-allow-origin" not in elsewhere.headers


async def test_no_cors_without_named_origins(client: Client) -> None:
    answer = await client().post(
        URL,
        json={"number": "+15551230001"},
        headers=HEADERS | {"Origin": "https://www.example.com"},
    )
    assert answer.status_code == 202
    assert "access-control-allow-origin" not in answer.headers
