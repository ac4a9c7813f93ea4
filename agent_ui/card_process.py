"""Customer cards looked up in a child process, so the consoles' event loop only sends pops.

Under a floor's load the card lookup (SQL, ORM and the card's template) was half of the
consoles' process's work, done on its event loop (SQLite) or in threads that fight that loop
for the GIL (a server database): every pop behind a lookup waited for it. `CardLookups` hands
each lookup to a child process over a socket (a length-prefixed pickle each way) read and
written by the event loop itself, so the parent's share of a card is two pickles.

The child opens the database by URL (a SQLite file or a server; an in-memory database lives in
one process and keeps its lookups in place, see `lookups_in_a_process`) and answers requests
(one at a time on SQLite, a few at once on a server database). It exits when the parent goes
away (end of file on its socket). A child that dies fails the lookups it had (their cards say
they could not be loaded) and the next lookup starts a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import pickle
import signal
import socket
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from agent_ui.console_state import LiveCall, PopCard, build_card, stored_decision
from agent_ui.route_note import RoutingFacts
from callcenter.cti.writer_process import shareable
from callcenter.events import AgentRinging
from callcenter.queues.routing.store import StoredDecision

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("!I")
# Lookups a child runs at once on a server database (each waits on its round trips).
SERVER_LOOKUPS_AT_ONCE = 4
# Seconds a stopping parent waits for its child to exit once its socket is closed.
STOP_WAIT_S = 5.0


# The lookups a child owes: their number -> the asker's future.
Pending = dict[int, "asyncio.Future[Any]"]


class CardLookupFailed(Exception):
    """The child could not answer a lookup (it failed there, or the child is gone)."""


def lookups_in_a_process(sessions: sessionmaker[Session]) -> bool:
    """Whether cards are looked up in a child process: wherever one can open the database."""
    return shareable(sessions) is not None


class CardLookups:
    """The parent's side: one child process, started on the first lookup (and again after it
    died); each answer names its lookup."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        url = shareable(sessions)
        if url is None:
            raise ValueError("an in-memory database cannot be read from another process")
        self.url = url
        self.process: Any = None
        self._writer: asyncio.StreamWriter | None = None
        self._answers: asyncio.Task[None] | None = None
        self._launch: asyncio.Future[None] | None = None
        self._pending: Pending = {}
        self._asked = 0
        self._starting = asyncio.Lock()
        self._stopped = False

    async def card(
        self, region: str, event: AgentRinging | LiveCall, route: RoutingFacts | None
    ) -> PopCard:
        """The caller's card (`build_card`), looked up in the child."""
        found: PopCard = await self._ask("card", region, event, route)
        return found

    async def decision(self, linkedid: str) -> StoredDecision | None:
        """The call's stored routing decision (`stored_decision`), read in the child."""
        found: StoredDecision | None = await self._ask("decision", linkedid)
        return found

    async def _ask(self, kind: str, *args: Any) -> Any:
        writer, pending = await self._running()
        self._asked += 1
        number = self._asked
        answer = asyncio.get_running_loop().create_future()
        pending[number] = answer
        payload = pickle.dumps((number, kind, args), pickle.HIGHEST_PROTOCOL)
        writer.write(_LENGTH.pack(len(payload)) + payload)
        try:
            return await answer
        finally:
            pending.pop(number, None)

    async def _running(self) -> tuple[asyncio.StreamWriter, Pending]:
        """The live child's socket and the lookups it owes (a child is started if none is)."""
        async with self._starting:
            if self._stopped:
                raise CardLookupFailed("the card lookups are stopped")
            if self._writer is None or self._writer.is_closing():
                self._pending = {}  # a dead child's lookups are failed by its own reader
                self._writer = await self._start(self._pending)
            return self._writer, self._pending

    async def _start(self, pending: Pending) -> asyncio.StreamWriter:
        mine, theirs = socket.socketpair()
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["callcenter.cti.writer_process", __name__])
        self.process = context.Process(
            target=serve, args=(self.url, theirs), name="card-lookups", daemon=True
        )
        # The first child of a process waits for the fork server to start (about a second).
        starting = self._launch = asyncio.ensure_future(asyncio.to_thread(self.process.start))
        try:
            await asyncio.shield(starting)
        except BaseException:  # cancelled (the consoles stop): the child, once out, sees EOF
            starting.add_done_callback(lambda _: _close(theirs, mine))
            raise
        theirs.close()  # only the child keeps its end: either side dying ends the other's
        try:
            reader, writer = await asyncio.open_connection(sock=mine)
        except BaseException:
            mine.close()
            raise
        self._answers = asyncio.create_task(
            self._read_answers(reader, writer, pending), name="card-answers"
        )
        return writer

    async def _read_answers(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pending: Pending
    ) -> None:
        """Hand each answer of one child to its asker; when the child ends, fail the rest."""
        try:
            while True:
                (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
                number, ok, result = pickle.loads(await reader.readexactly(length))
                answer = pending.get(number)
                if answer is None or answer.done():
                    continue  # its asker was cancelled
                if ok:
                    answer.set_result(result)
                else:
                    answer.set_exception(CardLookupFailed(result))
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            if not self._stopped:
                log.error("the card lookup process ended (%s); the next lookup starts another",
                          type(exc).__name__)  # fmt: skip
        finally:
            writer.close()
            for answer in pending.values():
                if not answer.done():
                    answer.set_exception(CardLookupFailed("the card lookup process ended"))

    async def stop(self) -> None:
        """Fail what is pending, close the child's socket and wait for the child to exit."""
        if self._launch is not None and not self._launch.done():
            # A start whose lookup was cancelled: let it finish, its callback closes both ends.
            with contextlib.suppress(Exception):
                await self._launch
            await asyncio.sleep(0)
        async with self._starting:
            self._stopped = True
            if self._writer is not None:
                self._writer.close()
                with contextlib.suppress(ConnectionError):
                    await self._writer.wait_closed()
            if self._answers is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await self._answers
            if self.process is not None and self.process.pid is not None:
                await asyncio.to_thread(self.process.join, STOP_WAIT_S)
                if self.process.is_alive():
                    self.process.kill()


def _close(*channels: socket.socket) -> None:
    for channel in channels:
        channel.close()


def _received(channel: socket.socket, length: int) -> bytes | None:
    data = bytearray()
    while len(data) < length:
        chunk = channel.recv(length - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def serve(url: str, channel: socket.socket) -> None:
    """The child: answer each lookup until the parent closes the socket (in order on SQLite,
    whose reads wait for nothing; several at once on a server, whose round trips do)."""
    from callcenter.db import make_engine, make_sessionmaker

    # Ctrl-C reaches the whole process group: the parent decides when this process ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    at_once = 1 if engine.dialect.name == "sqlite" else SERVER_LOOKUPS_AT_ONCE
    lookups = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="card-lookup")
    sending = threading.Lock()
    try:
        while True:
            header = _received(channel, _LENGTH.size)
            if header is None:
                return
            body = _received(channel, _LENGTH.unpack(header)[0])
            if body is None:
                return
            lookups.submit(_answer, sessions, channel, sending, body)
    except OSError:
        return  # the parent went away
    finally:
        lookups.shutdown(wait=False, cancel_futures=True)
        engine.dispose()
        channel.close()


def _answer(
    sessions: sessionmaker[Session], channel: socket.socket, sending: threading.Lock, body: bytes
) -> None:
    number, kind, args = pickle.loads(body)
    try:
        if kind == "card":
            result: Any = build_card(sessions, *args)
        else:
            result = stored_decision(sessions, *args)
        answer = pickle.dumps((number, True, result), pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        log.exception("card lookup %s failed", kind)
        answer = pickle.dumps((number, False, f"{type(exc).__name__}: {exc}"))
    with sending, contextlib.suppress(OSError):  # a parent gone: nobody to answer
        channel.sendall(_LENGTH.pack(len(answer)) + answer)
