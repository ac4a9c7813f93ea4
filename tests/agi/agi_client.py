"""An Asterisk-like FastAGI client for the tests: the request Asterisk sends, and the replies."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

# What Asterisk 22 sends for AGI(agi://127.0.0.1:4573/route,+4930100,2) from a trunk.
HEADERS = """\
agi_network: yes
agi_network_script: route
agi_request: agi://127.0.0.1:4573/route
agi_channel: PJSIP/trunk-0000002a
agi_language: en
agi_type: PJSIP
agi_uniqueid: 1764669600.42
agi_version: 22.10.1
agi_callerid: +4917012345
agi_calleridname: Ann Customer
agi_callingpres: 0
agi_callingani2: 0
agi_callington: 0
agi_callingtns: 0
agi_dnid: +4930100
agi_rdnis: unknown
agi_context: from-trunk
agi_extension: +4930100
agi_priority: 4
agi_enhanced: 0.0
agi_accountcode:
agi_threadid: 140234
agi_arg_1: +4930100
agi_arg_2: 2

"""


def request_for(caller: str, dialed: str, uniqueid: str = "1764669600.42") -> str:
    """HEADERS for another caller, dialled number and channel."""
    return (
        HEADERS.replace("+4917012345", caller)
        .replace("+4930100", dialed)
        .replace("1764669600.42", uniqueid)
    )


async def converse(port: int, request: str, replies: Sequence[str] | None = None) -> list[str]:
    """Send `request`, answer each command with `200 result=1` (or the next of `replies`),
    return the commands received until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request.encode())
    await writer.drain()
    commands: list[str] = []
    answers = list(replies) if replies is not None else None
    while line := await asyncio.wait_for(reader.readline(), 5):
        commands.append(line.decode().rstrip("\n"))
        reply = "200 result=1\n" if answers is None else (answers.pop(0) if answers else "")
        if reply:
            writer.write(reply.encode())
            await writer.drain()
    writer.close()
    return commands
