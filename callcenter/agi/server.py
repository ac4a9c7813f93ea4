"""A FastAGI server on asyncio streams: one connection per AGI() call, scripts by name.

Why not panoramisk's `fast_agi` (1.4, the version installed): its header loop
(`while b'\\n\\n' not in buffer: buffer += await reader.read(100)`) spins forever at full CPU
on a peer that closes half-way, and waits forever on one that stalls; it has no bound on a
request's size, reads a `HANGUP` line as a command's result, and wraps plain functions with
`asyncio.coroutine`, which Python 3.11 no longer has. The wire itself is a few lines
(callcenter.agi.protocol), so the server here reads it with deadlines and limits: a request
that is garbage, too large or not finished within `header_timeout` is logged and dropped,
and the server goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from callcenter.agi.protocol import (
    MAX_LINE,
    AgiRequest,
    BadRequest,
    CommandFailed,
    HungUp,
    read_reply,
    read_request,
    set_variable,
)

log = logging.getLogger(__name__)

DEFAULT_PORT = 4573


class AgiChannel:
    """The script's side of one connection: send commands, read Asterisk's replies."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reply_timeout: float
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.reply_timeout = reply_timeout
        self.hung_up = False

    async def set_variables(self, variables: Mapping[str, str]) -> bool:
        """SET VARIABLE each in turn, reading each reply (all within `reply_timeout` each);
        False when the caller hung up (the rest is not sent)."""
        try:
            async with asyncio.timeout(self.reply_timeout * max(1, len(variables))):
                for name, value in variables.items():
                    self.writer.write(set_variable(name, value))
                    await self.writer.drain()
                    await read_reply(self.reader)
        except (HungUp, ConnectionError):
            self.hung_up = True
            return False
        return True


Script = Callable[[AgiRequest, AgiChannel], Awaitable[None]]


class FastAgiServer:
    """Serves `scripts` by name (`agi://host:4573/route` runs `scripts["route"]`).

    Each connection: the header block (within `header_timeout`), the script, then the
    socket closes, which ends Asterisk's AGI() step. A script's errors are logged; nothing
    a peer sends stops the server."""

    def __init__(
        self,
        scripts: Mapping[str, Script],
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        header_timeout: float = 2.0,
        reply_timeout: float = 2.0,
    ) -> None:
        self.scripts = dict(scripts)
        self.host = host
        self.port = port
        self.header_timeout = header_timeout
        self.reply_timeout = reply_timeout
        self.dropped = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen (port 0 picks a free one; `port` then says which)."""
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, limit=MAX_LINE
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("FastAGI listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and let the calls being answered finish (at most a few seconds)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self._connections:
            await asyncio.wait(set(self._connections), timeout=self.reply_timeout * 2)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        peer = writer.get_extra_info("peername")
        try:
            await self._serve(reader, writer, peer)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: object
    ) -> None:
        try:
            request = await asyncio.wait_for(read_request(reader), self.header_timeout)
        except (BadRequest, HungUp, ConnectionError, TimeoutError) as exc:
            self.dropped += 1
            why = (
                f"no complete request within {self.header_timeout} s"
                if isinstance(exc, TimeoutError)
                else str(exc) or type(exc).__name__
            )
            log.warning("FastAGI request from %s dropped: %s", peer, why)
            return
        script = self.scripts.get(request.script)
        if script is None:
            self.dropped += 1
            log.warning("FastAGI request from %s for unknown script %r", peer, request.script)
            return
        try:
            await script(request, AgiChannel(reader, writer, self.reply_timeout))
        except (CommandFailed, TimeoutError) as exc:
            log.warning("FastAGI script %s for %s: %s", request.script, peer, exc or "no reply")
        except Exception:
            log.exception("FastAGI script %s failed for %s", request.script, peer)
