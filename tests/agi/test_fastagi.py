"""The FastAGI server over real TCP, as Asterisk talks to it (the documented wire format)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import pytest

from callcenter.agi.server import FastAgiServer
from callcenter.queues.routing.agi_route import route_script
from callcenter.queues.routing.decision import VARIABLES
from callcenter.queues.routing.engine import RoutingConfig
from callcenter.queues.routing.facts import CallerFacts, Directory, QueueInfo
from callcenter.queues.routing.live import NoLive
from callcenter.queues.routing.service import Decided, Router
from tests.agi.agi_client import HEADERS, converse


class Facts:
    """CRM facts with a switch that stalls the database."""

    def __init__(self, caller: CallerFacts | None = None) -> None:
        self.facts = caller or CallerFacts(customer_id=7, category="vip")
        self.stall = threading.Event()
        self.stall.set()
        self.asked: list[str] = []

    def caller(self, number: str) -> CallerFacts:
        self.asked.append(number)
        self.stall.wait(5)  # a database that does not answer
        return self.facts

    def directory(self) -> Directory:
        sales = QueueInfo("sales", "Sales", ("+4930100",), None, None, True, None, None, None)
        return Directory(queues={"sales": sales})


@asynccontextmanager
async def serving(
    facts: Facts, **options: float
) -> AsyncIterator[tuple[FastAgiServer, list[Decided]]]:
    stored: list[Decided] = []

    def record(batch: Sequence[Decided]) -> None:
        stored.extend(batch)

    router = Router(facts, list, NoLive(), RoutingConfig(), record=record)
    server = FastAgiServer({"route": route_script(router)}, port=0, **options)
    await server.start()
    try:
        yield server, stored
    finally:
        facts.stall.set()
        await server.stop()
        router.close()


async def test_a_route_request_is_answered_with_every_variable_then_closed() -> None:
    facts = Facts()
    async with serving(facts) as (server, stored):
        commands = await converse(server.port, HEADERS)
        await asyncio.sleep(0.05)
    assert [c.split()[2] for c in commands] == list(VARIABLES)
    assert commands[:5] == [
        'SET VARIABLE QUEUE "sales"',
        'SET VARIABLE PRIORITY "10"',
        'SET VARIABLE CUSTOMER_ID "7"',
        'SET VARIABLE PREFERRED_MEMBER ""',
        'SET VARIABLE ROUTE_REASON "vip"',
    ]
    assert facts.asked == ["+4917012345"]
    [(request, decision, elapsed_ms)] = stored
    assert (request.uniqueid, request.digits, decision.queue) == ("1764669600.42", "2", "sales")
    assert 0 < elapsed_ms < 300


async def test_a_hangup_mid_script_stops_the_commands() -> None:
    async with serving(Facts()) as (server, stored):
        commands = await converse(server.port, HEADERS, ["200 result=1\n", "HANGUP\n"])
        await asyncio.sleep(0.05)
    assert len(commands) == 2
    assert len(stored) == 1  # decided all the same


async def test_a_stalled_database_answers_the_default_queue_within_300_ms(
    caplog: pytest.LogCaptureFixture,
) -> None:
    facts = Facts()
    facts.stall.clear()
    async with serving(facts) as (server, _):
        started = time.perf_counter()
        slow = [asyncio.create_task(converse(server.port, HEADERS)) for _ in range(6)]
        answers = await asyncio.gather(*slow)
        elapsed = time.perf_counter() - started
    assert elapsed < 0.6, "six calls at once, each answered within the budget"
    for commands in answers:
        assert commands[0] == 'SET VARIABLE QUEUE "support"'
        assert 'SET VARIABLE ROUTE_REASON "fallback"' in commands
    assert "took over 300 ms" in caplog.text


async def test_the_database_failing_answers_the_default_queue(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(Facts):
        def caller(self, number: str) -> CallerFacts:
            raise OSError("database is down")

    async with serving(Broken()) as (server, _):
        commands = await converse(server.port, HEADERS)
    assert 'SET VARIABLE ROUTE_REASON "fallback"' in commands
    assert "database is down" in caplog.text


@pytest.mark.parametrize(
    "garbage",
    [
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "\n",
        "agi_network: yes\nagi_channel: PJSIP/x\n\n",  # no script
        "agi_network: yes\nagi_network_script: route\n",  # half-sent, then closed
        "\xff\xfe" * 5000 + "\n",
    ],
)
async def test_garbage_is_dropped_and_the_server_goes_on(
    garbage: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with serving(Facts()) as (server, _):
        assert await converse(server.port, garbage) == []
        assert server.dropped == 1
        assert len(await converse(server.port, HEADERS)) == len(VARIABLES)
    assert "dropped" in caplog.text


async def test_a_stalled_sender_is_dropped_after_the_header_timeout() -> None:
    async with serving(Facts(), header_timeout=0.2) as (server, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network: yes\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 2) == b""  # closed by the server
        writer.close()
        assert len(await converse(server.port, HEADERS)) == len(VARIABLES)


async def test_an_unknown_script_is_closed_without_commands() -> None:
    async with serving(Facts()) as (server, _):
        other = HEADERS.replace("agi_network_script: route", "agi_network_script: other")
        assert await converse(server.port, other) == []


async def test_an_error_reply_ends_the_script_and_the_server_goes_on() -> None:
    async with serving(Facts()) as (server, _):
        commands = await converse(server.port, HEADERS, ["510 Invalid or unknown command\n"])
        assert len(commands) == 1
        assert len(await converse(server.port, HEADERS)) == len(VARIABLES)


async def test_a_slow_request_does_not_hold_the_others() -> None:
    facts = Facts()
    facts.stall.clear()
    async with serving(facts) as (server, _):
        stalled = asyncio.create_task(converse(server.port, HEADERS))
        await asyncio.sleep(0.05)
        facts.stall.set()
        started = time.perf_counter()
        quick = await converse(server.port, HEADERS)
        assert time.perf_counter() - started < 0.1
        assert 'SET VARIABLE ROUTE_REASON "vip"' in quick
        await stalled
