"""One PBX over AMI: log in, keep alive, reconnect with capped backoff, hand frames on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from panoramisk import Manager

from callcenter.cti.ami_commands import Requests
from callcenter.cti.frames import Frame, Wants
from callcenter.cti.protocol import (
    AmiAction,
    AmiMessage,
    AmiProtocol,
    CommandError,
    ConnectFailed,
    LoginFailed,
    NotConnected,
    lost_answer,
)
from callcenter.settings import AmiTarget

log = logging.getLogger(__name__)

MAX_RECONNECT_DELAY = 5.0


def reconnect_delays(
    *, first: float = 0.5, cap: float = MAX_RECONNECT_DELAY, rng: random.Random | None = None
) -> Iterator[float]:
    """Seconds to wait before each reconnect attempt: doubling from `first`, never above `cap`.

    Each wait is drawn between half and all of its step ("equal jitter") so that adapters
    cut off together do not all knock on a recovering PBX at the same instant.
    """
    if not 0 < first <= cap:
        raise ValueError(f"the first reconnect delay must be in (0, {cap}] s, got {first}")
    rng = rng or random.Random()
    step = first
    while True:
        yield rng.uniform(step / 2, step)
        step = min(cap, step * 2)


class AmiListener:
    """What a connection tells its owner, in wire order; every method is a no-op by default.

    `wanted_events`: the events `event_received` reads (None, the default: every event).
    """

    wanted_events: Wants | None = None

    def transport_opened(self) -> None:
        """A TCP connection to the PBX opened; its banner comes next."""

    def raw_received(self, data: bytes) -> None:
        """Bytes exactly as read from the socket, before framing."""

    def session_started(self, connection: AmiConnection) -> None:
        """Logged in (first connect and every reconnect); actions may be submitted now."""

    def event_received(self, frame: Frame, received_at: float) -> None:
        """An event that answers no pending action, with its arrival time (epoch seconds)."""

    def connection_lost(self, at: float) -> None:
        """A logged-in connection dropped (not called for a deliberate close)."""


class AmiConnection(Requests, Manager):
    """The connection to one PBX, on panoramisk's Manager: connect, events and commands.

    Kept from panoramisk: action ids and wire format, answer routing, `protocol_factory`
    (set to `AmiProtocol`). Replaced, and why:
    - connecting: `Manager.connect` falls back to `asyncio.get_event_loop()`, hides a failed
      first attempt and retries on a fixed timer forever. Here `start()` runs in the loop,
      raises `ConnectFailed`/`LoginFailed` on the first attempt (so a CLI can say so), then
      a supervisor task reconnects with `reconnect_delays` (capped, jittered).
    - login: panoramisk notes a refused login in a flag; here it is an error.
    - keepalive: panoramisk's ping never checks for the answer, so a half-open TCP
      connection goes unnoticed; here a Ping unanswered within `ping_timeout` drops the
      connection, which triggers the reconnect and resync.
    - unanswered actions: panoramisk re-sends them after the next login; here they fail
      (see `AmiProtocol`), and nothing is sent while disconnected (`NotConnected`).
    """

    def __init__(
        self,
        target: AmiTarget,
        listener: AmiListener | None = None,
        *,
        ping_interval: float = 10.0,
        ping_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        action_timeout: float = 10.0,
        first_retry: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(
            host=target.host,
            port=target.port,
            username=target.username,
            secret=target.secret,
            events="on",
            encoding="utf-8",
            protocol_factory=AmiProtocol,
        )
        self.target = target
        self.listener = listener or AmiListener()
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.connect_timeout = connect_timeout
        self.action_timeout = action_timeout
        self.first_retry = first_retry
        self.connected = asyncio.Event()
        self.sessions = 0
        self._rng = rng or random.Random()
        self._closing = False
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def label(self) -> str:
        """`host:port` of the PBX, for messages."""
        return f"{self.target.host}:{self.target.port}"

    def connect(self, *_: Any, **__: Any) -> Any:
        """Not used: panoramisk's connect loop is replaced by `start()` (see the class doc)."""
        raise NotImplementedError("use `await AmiConnection.start()`")

    async def start(self) -> None:
        """Connect and log in once (raising on failure), then stay connected in the background."""
        if self._supervisor is not None:
            raise RuntimeError("this connection was already started")
        self.loop = asyncio.get_running_loop()
        protocol = await self._open()
        self._supervisor = asyncio.create_task(self._supervise(protocol), name=f"ami {self.label}")

    async def __aenter__(self) -> AmiConnection:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def close(self) -> None:
        """Drop the connection for good (no reconnect, no `connection_lost` to the listener)."""
        self._closing = True
        self.connected.clear()
        if self._supervisor is not None:
            self._supervisor.cancel()
        if self.protocol is not None:
            self.protocol.close()

    async def aclose(self) -> None:
        """Log off politely when connected, then close and wait for the background tasks."""
        if self.connected.is_set() and not self._closing:
            with contextlib.suppress(CommandError):
                await self.call(AmiAction({"Action": "Logoff"}), timeout=1.0)
        self.close()
        if self._supervisor is not None:
            await asyncio.gather(self._supervisor, return_exceptions=True)

    # -- actions ------------------------------------------------------------------------

    def submit(self, action: AmiAction) -> asyncio.Future[Any]:
        """Send `action` now on the current connection; its future holds the answer."""
        if not self.connected.is_set() or self.protocol is None:
            raise NotConnected(f"not connected to the PBX at {self.label}; nothing was sent")
        return self.protocol.send(action)

    async def call(
        self,
        action: AmiAction,
        *,
        timeout: float | None = None,
        wait_connected: float | None = None,
    ) -> AmiMessage | list[AmiMessage]:
        """Send `action` (waiting up to `wait_connected` s for a connection) and await its answer.

        A missing answer never leads to a re-send: it raises `OutcomeUnknown` for an action
        with side effects, `AnswerLost` for one that only reads.
        """
        await self._wait_connected(
            self.action_timeout if wait_connected is None else wait_connected
        )
        future = self.submit(action)
        limit = self.action_timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                return await asyncio.shield(future)
        except TimeoutError:
            if self.protocol is not None:
                self.protocol.forget(action)
            raise lost_answer(
                action.name, f"Asterisk did not answer {action.name} within {limit:g} s"
            ) from None

    async def call_followed(
        self, action: AmiAction, *, timeout: float | None = None
    ) -> tuple[AmiMessage, asyncio.Future[Frame]]:
        """Like `call`, plus a future for the event that later reports on the action.

        That event (e.g. OriginateResponse) carries the action's ActionID; the future is
        registered before the action is written so it cannot be missed.
        """
        await self._wait_connected(self.action_timeout)
        protocol: AmiProtocol = self.protocol
        follow_up = protocol.expect_event(action.id)
        try:
            answer = await self.call(action, timeout=timeout, wait_connected=0)
        except CommandError:
            protocol.event_waiters.pop(action.id, None)
            follow_up.cancel()
            raise
        assert isinstance(answer, AmiMessage)
        if answer.frame.get("Response") != "Success":
            protocol.event_waiters.pop(action.id, None)
            follow_up.cancel()
        return answer, follow_up

    @contextlib.contextmanager
    def watching(
        self, watcher: Callable[[Frame], None], events: Wants | None = None
    ) -> Iterator[None]:
        """Show `watcher` the events of the current session, in wire order, until the block
        ends (it stops with the session: a reconnect starts without it, and while
        disconnected it sees nothing, as any action sent meanwhile fails).

        `events`: the events it reads (None: all). Frames nobody reads are not decoded, so
        the watcher may not see them; it still gets every frame someone else wants.
        """
        protocol: AmiProtocol | None = self.protocol
        if protocol is None:
            yield
            return
        protocol.watch(watcher, events)
        try:
            yield
        finally:
            protocol.unwatch(watcher)

    async def _wait_connected(self, limit: float) -> None:
        if self._closing:
            raise NotConnected("the connection to the PBX is closed; nothing was sent")
        if self.connected.is_set():
            return
        try:
            async with asyncio.timeout(limit):
                await self.connected.wait()
        except TimeoutError:
            raise NotConnected(
                f"not connected to the PBX at {self.label} within {limit:g} s; nothing was sent"
            ) from None

    # -- connection life ----------------------------------------------------------------

    async def _open(self) -> AmiProtocol:
        loop = asyncio.get_running_loop()
        factory = partial(self.config["protocol_factory"], self.listener)
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, protocol = await loop.create_connection(
                    factory, self.target.host, self.target.port, ssl=self.config["ssl"]
                )
        except TimeoutError:
            raise ConnectFailed(
                f"cannot reach the PBX at {self.label}: no answer within {self.connect_timeout:g} s"
            ) from None
        except OSError as exc:
            # asyncio words a refused connect "Connect call failed (...)"; the errno says more.
            reason = os.strerror(exc.errno) if exc.errno else str(exc) or type(exc).__name__
            raise ConnectFailed(f"cannot reach the PBX at {self.label}: {reason}") from exc
        protocol.factory = self
        protocol.log = self.log
        self.protocol = protocol
        return await self._login(protocol)

    async def _login(self, protocol: AmiProtocol) -> AmiProtocol:
        login = AmiAction(
            {
                "Action": "Login",
                "Username": self.target.username,
                "Secret": self.target.secret,
                "Events": "on",
            }
        )
        try:
            async with asyncio.timeout(self.connect_timeout):
                answer: AmiMessage = await protocol.send(login)
        except (TimeoutError, CommandError):
            protocol.close()
            if protocol.banner is None:
                raise ConnectFailed(
                    f"the service at {self.label} does not speak AMI "
                    "(no 'Asterisk Call Manager' greeting)"
                ) from None
            raise ConnectFailed(f"the PBX at {self.label} did not answer the login") from None
        if answer.frame.get("Response") != "Success":
            protocol.close()
            reason = answer.frame.get("Message") or "no reason given"
            raise LoginFailed(
                f"the PBX at {self.label} refused the login of AMI user "
                f"{self.target.username!r}: {reason}"
            )
        return protocol

    def connection_lost(self, exc: Exception | None) -> None:
        """Called by the protocol when a connection drops; tells the listener if logged in."""
        if not self.connected.is_set():
            return
        self.connected.clear()
        if self._closing:
            return
        log.warning("lost the connection to the PBX at %s: %s", self.label, exc or "closed by peer")
        self.listener.connection_lost(time.time())

    async def _supervise(self, protocol: AmiProtocol) -> None:
        while True:
            if not protocol.closed:  # it may have dropped right after the login answer
                self.sessions += 1
                self.connected.set()
                log.info("logged in to the PBX at %s (session %d)", self.label, self.sessions)
                self.listener.session_started(self)
                await self._serve(protocol)
            if self._closing:
                return
            protocol = await self._reconnect()

    async def _serve(self, protocol: AmiProtocol) -> None:
        keepalive = asyncio.create_task(self._keepalive(protocol))
        try:
            assert protocol.lost is not None
            await asyncio.shield(protocol.lost)
        finally:
            keepalive.cancel()
            await asyncio.gather(keepalive, return_exceptions=True)

    async def _reconnect(self) -> AmiProtocol:
        delays = reconnect_delays(first=self.first_retry, rng=self._rng)
        for attempt, delay in enumerate(delays, start=1):
            log.info("reconnecting to %s in %.2f s (attempt %d)", self.label, delay, attempt)
            await asyncio.sleep(delay)
            try:
                return await self._open()
            except (ConnectFailed, LoginFailed) as exc:
                log.warning("reconnect attempt %d failed: %s", attempt, exc)
        raise AssertionError("the reconnect schedule never ends")

    async def _keepalive(self, protocol: AmiProtocol) -> None:
        while not protocol.closed:
            await asyncio.sleep(self.ping_interval)
            ping = AmiAction({"Action": "Ping"})
            try:
                async with asyncio.timeout(self.ping_timeout):
                    await asyncio.shield(protocol.send(ping))
            except TimeoutError:
                protocol.forget(ping)
                log.warning(
                    "the PBX at %s did not answer Ping within %g s; reconnecting",
                    self.label,
                    self.ping_timeout,
                )
                protocol.transport.abort()
                return
            except CommandError:
                return
