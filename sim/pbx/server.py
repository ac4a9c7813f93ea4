"""The AMI TCP server: banner, Login, Events on/off, Ping, Logoff, and the PBX's actions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sim.pbx.actions import ActionHandler, unknown_action
from sim.pbx.clock import ScaledClock
from sim.pbx.render import AmiEvent, Header, render_message, response

log = logging.getLogger(__name__)

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
# The actions app_queue registers: Asterisk knows none of them until that module has loaded,
# seconds into a restart (tests/fixtures/ami/resync/boot.raw).
APP_QUEUE_PREFIX = "queue"
# A client that stops reading is dropped once this much is queued for it (Asterisk's
# writetimeout does the same for a stuck manager session).
MAX_BUFFERED = 32 * 1024 * 1024


@dataclass(eq=False, slots=True)
class Session:
    """One connected AMI client."""

    writer: asyncio.StreamWriter
    number: int
    authenticated: bool = False
    username: str = ""
    events: bool = True
    peer: str = ""
    closed: bool = field(default=False)
    # What was sent during this turn of the event loop, written together at its end: a
    # call's events come in bursts, and one write per event was most of the PBX's system
    # time (and as many reads for the client).
    pending: list[bytes] = field(default_factory=list)

    def send(self, data: bytes) -> None:
        """Queue bytes for the client (dropping it when it stops reading)."""
        if self.closed:
            return
        if not self.pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self.pending.append(data)

    def flush(self) -> None:
        """Write what was queued (dropping the client when it stops reading)."""
        if not self.pending:
            return
        data = b"".join(self.pending)
        self.pending.clear()
        if self.closed:
            return
        transport = self.writer.transport
        if transport.is_closing():
            self.closed = True
            return
        if transport.get_write_buffer_size() > MAX_BUFFERED:
            log.warning("AMI client %s is not reading; disconnecting it", self.peer)
            self.closed = True
            transport.abort()
            return
        self.writer.write(data)


def parse_action(block: bytes) -> list[tuple[str, str]]:
    """The `Key: Value` lines of one action (keys keep their case; lookups ignore it)."""
    headers: list[tuple[str, str]] = []
    for raw in block.decode("utf-8", errors="replace").split("\n"):
        line = raw.rstrip("\r")
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        headers.append((key.strip(), value.strip()))
    return headers


class AmiServer:
    """Speaks AMI to any number of clients; events reach every logged-in client with Events on."""

    def __init__(
        self,
        handler: ActionHandler,
        clock: ScaledClock,
        emit: Callable[[str, str, list[Header], float], object],
        *,
        username: str,
        secret: str,
        timestamps: bool = True,
    ) -> None:
        self.handler = handler
        self.clock = clock
        self.emit = emit
        self.username = username
        self.secret = secret
        self.timestamps = timestamps
        self.sessions: set[Session] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._counter = 0
        # False while the PBX boots: logins are accepted, app_queue's actions are unknown, and
        # FullyBooted comes when `fully_booted()` is called, not at login.
        self.booted = True

    @property
    def port(self) -> int:
        """The TCP port actually bound (useful with port 0)."""
        assert self._server is not None and self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str, port: int) -> None:
        """Bind and start accepting clients."""
        self._server = await asyncio.start_server(self._serve, host, port)

    async def close(self) -> None:
        """Disconnect every client and stop listening."""
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            session.closed = True
            session.writer.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    def drop_clients(self) -> int:
        """Cut every client's connection (as a network failure would); returns how many."""
        sessions = list(self.sessions)
        for session in sessions:
            session.closed = True
            session.writer.transport.abort()
        return len(sessions)

    def fully_booted(self) -> None:
        """Every module has loaded: app_queue's actions are known, and FullyBooted is sent to
        every client logged in meanwhile, as Asterisk sends it at the end of its start."""
        self.booted = True
        uptime = str(int(self.clock.now()))
        self.emit(
            "FullyBooted",
            "system,all",
            [("Status", "Fully Booted"), ("Uptime", uptime), ("LastReload", uptime)],
            self.clock.now(),
        )

    def broadcast(self, event: AmiEvent) -> None:
        """Send a published event to every client that wants events."""
        data: bytes | None = None
        for session in self.sessions:
            if session.authenticated and session.events:
                if data is None:
                    data = event.render(self.timestamps)
                session.send(data)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._counter += 1
        peername = writer.get_extra_info("peername")
        session = Session(writer=writer, number=self._counter, peer=str(peername))
        self.sessions.add(session)
        try:
            writer.write(BANNER)
            while not session.closed:
                try:
                    block = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                except asyncio.LimitOverrunError:
                    log.warning("AMI client %s sent an oversized action; closing", session.peer)
                    break
                headers = parse_action(block)
                if headers and not self._dispatch(session, headers):
                    break
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.sessions.discard(session)
            session.flush()  # a Logoff's Goodbye
            session.closed = True
            writer.close()
            if task is not None:
                self._tasks.discard(task)

    def _dispatch(self, session: Session, headers: list[tuple[str, str]]) -> bool:
        """Handle one action; False ends the session (Logoff)."""
        fields = {key.lower(): value for key, value in headers}
        action = fields.get("action", "")
        action_id = fields.get("actionid")
        name = action.lower()
        if not action:
            session.send(response(action_id, "Error", message="Missing action in request"))
            return True
        if name == "login":
            self._login(session, fields, action_id)
            return True
        if name == "logoff":
            session.send(response(action_id, "Goodbye", message="Thanks for all the fish."))
            return False
        if not session.authenticated:
            session.send(response(action_id, "Error", message="Authentication Required"))
            return True
        if name == "ping":
            stamp = f"{self.clock.epoch_now():.6f}"
            session.send(response(action_id, "Success", ("Ping", "Pong"), ("Timestamp", stamp)))
        elif name == "events":
            self._events(session, fields, action_id)
        elif not self.booted and name.startswith(APP_QUEUE_PREFIX):
            self._not_loaded(session, action, action_id)
        else:
            for chunk in self.handler.handle(name, action, headers, fields, action_id):
                session.send(chunk)
        return True

    def _login(self, session: Session, fields: dict[str, str], action_id: str | None) -> None:
        if fields.get("username") != self.username or fields.get("secret") != self.secret:
            session.send(response(action_id, "Error", message="Authentication failed"))
            return
        session.authenticated = True
        session.username = self.username
        events = fields.get("events", "on").lower()
        session.events = events not in ("off", "no", "false", "0", "none")
        session.send(response(action_id, "Success", message="Authentication accepted"))
        if session.events and self.booted:
            session.send(
                render_message(
                    [
                        ("Event", "FullyBooted"),
                        ("Privilege", "system,all"),
                        ("Uptime", str(int(self.clock.now()))),
                        ("LastReload", str(int(self.clock.now()))),
                        ("Status", "Fully Booted"),
                    ]
                )
            )
        self._announce_login(session)

    def _not_loaded(self, session: Session, action: str, action_id: str | None) -> None:
        """An action of a module still loading: Asterisk's answer to an unknown action, and
        the security event RequestBadFormat (as boot.raw shows)."""
        session.send(unknown_action(action_id, action))
        tv, local, remote = self._security_context(session)
        self.emit(
            "RequestBadFormat",
            "security,all",
            [
                ("EventTV", tv),
                ("Severity", "Error"),
                ("Service", "AMI"),
                ("EventVersion", "1"),
                ("SessionID", f"0x{id(session):x}"),
                ("LocalAddress", local),
                ("RemoteAddress", remote),
                ("RequestType", f"Action: {action}"),
                ("SessionTV", tv),
                ("AccountID", session.username),
            ],
            self.clock.now(),
        )

    def _security_context(self, session: Session) -> tuple[str, str, str]:
        """A security event's time and the session's local and remote addresses."""
        stamp = datetime.fromtimestamp(self.clock.epoch_now(), tz=UTC)
        tv = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}+0000"
        local = session.writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        remote = session.writer.get_extra_info("peername") or ("127.0.0.1", 0)
        return tv, f"IPV4/TCP/{local[0]}/{local[1]}", f"IPV4/TCP/{remote[0]}/{remote[1]}"

    def _announce_login(self, session: Session) -> None:
        """SuccessfulAuth, the security event Asterisk publishes for every manager login."""
        tv, local, remote = self._security_context(session)
        self.emit(
            "SuccessfulAuth",
            "security,all",
            [
                ("EventTV", tv),
                ("Severity", "Informational"),
                ("Service", "AMI"),
                ("EventVersion", "1"),
                ("AccountID", session.username),
                ("SessionID", f"0x{id(session):x}"),
                ("LocalAddress", local),
                ("RemoteAddress", remote),
                ("UsingPassword", "0"),
                ("SessionTV", tv),
            ],
            self.clock.now(),
        )

    def _events(self, session: Session, fields: dict[str, str], action_id: str | None) -> None:
        mask = fields.get("eventmask", "on").lower()
        session.events = mask not in ("off", "no", "false", "0", "none")
        state = "On" if session.events else "Off"
        session.send(
            render_message([("Response", "Success"), *_action_id(action_id), ("Events", state)])
        )


def _action_id(action_id: str | None) -> list[tuple[str, str]]:
    return [("ActionID", action_id)] if action_id is not None else []
