"""A scripted FastAGI server for the simulated PBX's tests: fixed answers by caller number."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

# Every routing variable (callcenter/agi/variables.py), empty unless an answer sets it.
VARIABLES = (
    "QUEUE",
    "PRIORITY",
    "CUSTOMER_ID",
    "PREFERRED_MEMBER",
    "ROUTE_REASON",
    "QUEUE_PRIO",
    "QUEUE_MAX_PENALTY",
    "QUEUE_MIN_PENALTY",
    "ROUTE_RULE",
    "PREFERRED_EXTENSION",
)


@dataclass
class ScriptedAgi:
    """Answers each request with `answers[agi_callerid]` (else `default`), as SET VARIABLEs."""

    answers: dict[str, dict[str, str]]
    default: dict[str, str] = field(default_factory=lambda: {"QUEUE": "support"})
    requests: list[dict[str, str]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"agi://127.0.0.1:{self.port}/route"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request: dict[str, str] = {}
        while True:
            line = (await reader.readline()).decode().rstrip("\n")
            if not line:
                break
            name, _, value = line.partition(": ")
            request[name] = value
        self.requests.append(request)
        answer = self.answers.get(request.get("agi_callerid", ""), self.default)
        for name in VARIABLES:
            value = answer.get(name, "")
            if name == "QUEUE_PRIO":
                value = answer.get("PRIORITY", "")
            writer.write(f'SET VARIABLE {name} "{value}"\n'.encode())
            await writer.drain()
            self.replies.append((await reader.readline()).decode().strip())
        writer.close()
        with suppress(ConnectionError):
            await writer.wait_closed()


@asynccontextmanager
async def scripted_agi(
    answers: dict[str, dict[str, str]] | None = None,
) -> AsyncIterator[ScriptedAgi]:
    """A scripted FastAGI server on a free port of 127.0.0.1."""
    agi = ScriptedAgi(answers or {})
    server = await asyncio.start_server(agi.serve, "127.0.0.1", 0)
    agi.port = server.sockets[0].getsockname()[1]
    try:
        yield agi
    finally:
        server.close()
        await server.wait_closed()
