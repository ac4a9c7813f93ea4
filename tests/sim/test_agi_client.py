"""The simulated PBX's FastAGI client: addresses, commands and replies, a server gone wrong."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from sim.pbx.agi_client import AgiExchange, answer, parse_agi_url, run_agi

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def test_an_agi_address_names_host_port_and_script() -> None:
    target = parse_agi_url("agi://10.1.2.3:4574/route")
    assert (target.host, target.port, target.script) == ("10.1.2.3", 4574, "route")
    assert parse_agi_url("agi://pbx-router/route").port == 4573
    for bad in ("http://h/route", "agi:///route", "agi://h:99999/route"):
        with pytest.raises(ValueError):
            parse_agi_url(bad)


def test_commands_are_answered_as_asterisk_does() -> None:
    variables: dict[str, str] = {}
    assert answer('SET VARIABLE QUEUE "support"', variables).reply == "200 result=1"
    assert answer('SET VARIABLE ROUTE_RULE "VIP line \\"gold\\""', variables).code == 200
    assert answer("SET VARIABLE PRIORITY 10", variables).reply == "200 result=1"
    assert answer('SET VARIABLE QUEUE_MAX_PENALTY ""', variables).reply == "200 result=1"
    assert variables == {
        "QUEUE": "support",
        "ROUTE_RULE": 'VIP line "gold"',
        "PRIORITY": "10",
        "QUEUE_MAX_PENALTY": "",
    }
    assert answer("GET VARIABLE QUEUE", variables).reply == "200 result=1 (support)"
    assert answer("GET VARIABLE NOPE", variables).reply == "200 result=0"
    assert answer("SET VARIABLE QUEUE", variables).code == 520
    assert answer("EXEC Dial PJSIP/1001", variables).reply == "510 Invalid or unknown command"


async def _exchange(handler: Handler, timeout_s: float = 10.0) -> AgiExchange:
    """One request to a server running `handler`, which is let finish before the end."""
    finished = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        finally:
            writer.close()
            finished.set()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        target = parse_agi_url(f"agi://127.0.0.1:{port}/route")
        exchange = await run_agi(target, [("agi_arg_1", "5000")], answer_timeout_s=timeout_s)
        await asyncio.wait_for(finished.wait(), 5)
        return exchange
    finally:
        server.close()
        await server.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> None:
    while (await reader.readline()).strip():
        pass


async def test_garbage_from_the_server_fails_the_request_and_nothing_more() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"\xff" * 10_000 + b"\n")
        await writer.drain()
        await reader.read()

    exchange = await _exchange(garbage)
    assert exchange.status == "FAILURE" and "broke off" in exchange.why


async def test_a_server_that_never_finishes_fails_after_the_timeout() -> None:
    async def stalls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b'SET VARIABLE QUEUE "support"\n')
        await writer.drain()
        await reader.read()

    exchange = await _exchange(stalls, timeout_s=0.2)
    assert exchange.status == "FAILURE" and "did not finish in time" in exchange.why
    assert exchange.variables == {"QUEUE": "support"}  # what was set before stays set
