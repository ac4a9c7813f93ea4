"""The FastAGI wire in detail: quoting, the request's names, multi-line and error replies."""

from __future__ import annotations

import asyncio

import pytest

from callcenter.agi.protocol import (
    AgiRequest,
    CommandFailed,
    HungUp,
    read_reply,
    read_request,
    set_variable,
)
from tests.agi.agi_client import HEADERS


def stream(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


def test_values_are_quoted_as_asterisk_unquotes_them() -> None:
    assert set_variable("ROUTE_RULE", 'say "hi" \\ now') == (
        b'SET VARIABLE ROUTE_RULE "say \\"hi\\" \\\\ now"\n'
    )
    assert set_variable("QUEUE", "") == b'SET VARIABLE QUEUE ""\n'


async def test_the_request_block_script_and_arguments() -> None:
    request = await read_request(stream(HEADERS.encode()))
    assert (request.script, request.args) == ("route", ["+4930100", "2"])
    assert request.get("rdnis") == "" and request.get("calleridname") == "Ann Customer"
    by_url = AgiRequest({"agi_request": "agi://10.0.0.5:4573/route?x=1"})
    assert by_url.script == "route"


async def test_replies() -> None:
    assert await read_reply(stream(b"200 result=1\n")) == "result=1"
    usage = b"520-Invalid command syntax.  Proper usage follows:\nUsage: ...\n"
    usage += b"520 End of proper usage.\n"
    with pytest.raises(CommandFailed, match="520"):
        await read_reply(stream(usage))
    with pytest.raises(CommandFailed, match="511"):
        await read_reply(stream(b"511 Command Not Permitted on a dead channel\n"))
    with pytest.raises(HungUp):
        await read_reply(stream(b"HANGUP\n200 result=1\n"))
    with pytest.raises(HungUp):
        await read_reply(stream(b""))
