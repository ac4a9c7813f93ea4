"""The PBX link from another process: AMI commands, event watches and call legs by request
(the serving side: `callcenter.cti.pbx_link`)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Mapping
from typing import Any

import redis.asyncio as aioredis

from callcenter.cti.ami_commands import Requests
from callcenter.cti.connection import AmiConnection
from callcenter.cti.frames import Frame, Wants
from callcenter.cti.pbx_link import POLL_S, CallLegs, PbxLink
from callcenter.cti.protocol import (
    ActionRefused,
    AmiAction,
    AmiError,
    AmiMessage,
    AnswerLost,
    CommandError,
    ConnectFailed,
    LoginFailed,
    NotConnected,
    OutcomeUnknown,
    lost_answer,
)
from callcenter.rpc import Handler, RpcClient, RpcFailed, RpcService, RpcUnavailable, serving

log = logging.getLogger(__name__)

# A generic request function: `await call(method, timeout_s=..., **args)` (RpcClient.call).
Call = Callable[..., Awaitable[Any]]

# A follow-up event (OriginateResponse) is awaited at most this long.
FOLLOW_UP_S = 300.0

_AMI_ERRORS: dict[str, type[AmiError]] = {
    cls.__name__: cls
    for cls in (
        AmiError,
        ConnectFailed,
        LoginFailed,
        CommandError,
        NotConnected,
        AnswerLost,
        OutcomeUnknown,
    )
}


def pbx_handlers(connection: AmiConnection, tracker: CallLegs | None) -> dict[str, Handler]:
    """The requests the PBX's process answers for `RemoteAmi` and `RemoteCalls`."""
    link = PbxLink(connection, tracker)
    return {
        "ami.call": link.call,
        "ami.watch_events": link.watch_events,
        "ami.unwatch": link.unwatch,
        "calls.agent_channel": link.agent_channel,
    }


@contextlib.asynccontextmanager
async def serving_pbx(
    url: str,
    server: str,
    connection: AmiConnection,
    tracker: CallLegs | None,
    more: Mapping[str, Handler] | None = None,
) -> AsyncIterator[RpcService]:
    """Serve the PBX link of `server` (and `more` handlers, the consoles' say) on the Redis
    at `url` while the context lasts: what the active `cti run` of `server` starts."""
    handlers = pbx_handlers(connection, tracker)
    clash = sorted(handlers.keys() & (more or {}).keys())
    if clash:
        raise ValueError(f"handler names served twice: {', '.join(clash)}")
    async with serving(url, pbx_service_name(server), {**handlers, **(more or {})}) as service:
        yield service


def pbx_service_name(server: str) -> str:
    """The name the active PBX process of `server` serves its requests under."""
    return f"pbx:{server}"


def pbx_client(client: aioredis.Redis, server: str) -> RpcClient:
    """Requests to the active PBX process of `server` (its errors name "the PBX link")."""
    return RpcClient(client, pbx_service_name(server), what=f"the PBX link ({server})")


# -- the side without the connection ---------------------------------------------------

_OPENING: contextvars.ContextVar[tuple[_RemoteWatch, ...]] = contextvars.ContextVar(
    "remote_watches", default=()
)


class _RemoteWatch:
    """A local watcher fed with the frames its served twin collects on the PBX's side."""

    def __init__(self, remote: RemoteAmi, watcher: Callable[[Frame], None]) -> None:
        self.id = uuid.uuid4().hex
        self.remote = remote
        self.watcher = watcher
        self.sent = False
        self.closed = False
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.task is None and not self.closed:
            self.task = self.remote.background(self._read())

    async def _read(self) -> None:
        """Ask for the watch's frames until it closes (never cancelled mid-request: a reply
        half read would be lost, and the Redis connection with it)."""
        seen = 0
        while not self.closed:
            try:
                got = await self.remote.send(
                    "ami.watch_events", POLL_S + 2.0, watch=self.id, after=seen, wait_s=POLL_S
                )
            except (RpcUnavailable, RpcFailed) as exc:
                log.info("stopped reading the PBX's events for a watch: %s", exc)
                return
            for frame in got["frames"]:
                if self.closed:
                    return
                try:
                    self.watcher(frame)
                except Exception:
                    log.exception("a PBX event watcher failed on %r", frame)
            seen = int(got["last"])
            if not got["open"]:
                return

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.sent:
            self.remote.chore("ami.unwatch", watch=self.id)


class RemoteAmi(Requests):
    """The AMI connection's commands (`call`, `request`, `request_list`, `call_followed`,
    `watching`) done by the process holding the PBX link, through `call`; errors come back
    as the PBX process raised them (same class, same sentence)."""

    def __init__(
        self,
        call: Call,
        *,
        label: str = "the PBX link",
        action_timeout: float = 10.0,
        connect_wait: float = 2.0,
    ) -> None:
        self._call = call
        self.label = label
        self.action_timeout = action_timeout
        self.connect_wait = connect_wait
        self._chores: set[asyncio.Task[Any]] = set()

    async def send(self, method: str, timeout_s: float, **args: Any) -> Any:
        return await self._call(method, timeout_s=timeout_s, **args)

    def chore(self, method: str, **args: Any) -> None:
        """Send a request nobody waits for (closing a watch); its failure is only logged."""
        self.background(self._chore(method, args))

    def background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)
        return task

    async def aclose(self, timeout_s: float = POLL_S + 3.0) -> None:
        """Let the watches' last requests end (at once, as they are closed on the PBX's side)."""
        if self._chores:
            await asyncio.wait([*self._chores], timeout=timeout_s)

    async def _chore(self, method: str, args: dict[str, Any]) -> None:
        with contextlib.suppress(RpcUnavailable, RpcFailed):
            await self.send(method, 2.0, **args)

    async def call(
        self,
        action: AmiAction,
        *,
        timeout: float | None = None,
        wait_connected: float | None = None,
    ) -> AmiMessage | list[AmiMessage]:
        limit = self.action_timeout if timeout is None else timeout
        wait = self.connect_wait if wait_connected is None else wait_connected
        opening = [w for w in _OPENING.get() if w.remote is self and not w.sent]
        for watch in opening:
            watch.sent = True
        try:
            answer = await self.send(
                "ami.call",
                limit + wait + 1.0,
                headers=dict(action),
                as_list=bool(action.as_list),
                timeout=limit,
                wait_connected=wait,
                watches=[watch.id for watch in opening],
            )
        except RpcUnavailable as exc:
            if exc.taken is False:
                raise NotConnected(f"{exc}; {action.name} was not sent") from exc
            raise lost_answer(action.name, str(exc)) from exc
        except RpcFailed as exc:
            raise pbx_error(exc, action.name) from exc
        finally:
            for watch in opening:
                watch.start()
        if isinstance(answer, dict):
            return AmiMessage(answer)
        return [AmiMessage(frame) for frame in answer]

    async def call_followed(
        self, action: AmiAction, *, timeout: float | None = None
    ) -> tuple[AmiMessage, asyncio.Future[Frame]]:
        """Like `call`, plus a future for the event carrying the action's ActionID (watched
        on the PBX's side from before the action is sent)."""
        follow_up: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()

        def follow(frame: Frame) -> None:
            if frame.get("ActionID") == action.id and not follow_up.done():
                follow_up.set_result(frame)

        watch = _RemoteWatch(self, follow)
        token = _OPENING.set((*_OPENING.get(), watch))
        try:
            answer = await self.call(action, timeout=timeout)
        except BaseException:
            watch.close()
            raise
        finally:
            _OPENING.reset(token)
        assert isinstance(answer, AmiMessage)
        if answer.frame.get("Response") != "Success":
            watch.close()
            follow_up.cancel()
            return answer, follow_up
        follow_up.add_done_callback(lambda _: watch.close())
        asyncio.get_running_loop().call_later(FOLLOW_UP_S, watch.close)
        return answer, follow_up

    @contextlib.contextmanager
    def watching(
        self, watcher: Callable[[Frame], None], events: Wants | None = None
    ) -> Iterator[None]:
        """Show `watcher` the PBX's events from the next command sent in this block (it is
        opened on the PBX's side before that command is written) until the block ends.

        `events` is not sent: the PBX's side collects every event while the watch lasts
        (a transfer's few seconds) and the watcher picks what it reads."""
        watch = _RemoteWatch(self, watcher)
        token = _OPENING.set((*_OPENING.get(), watch))
        try:
            yield
        finally:
            _OPENING.reset(token)
            watch.close()


class RemoteCalls:
    """The tracker's answer to "which channel is this agent's leg", asked of the PBX process."""

    def __init__(self, call: Call, *, timeout_s: float = 5.0) -> None:
        self._call = call
        self.timeout_s = timeout_s

    async def agent_channel(self, interface: str, linkedid: str | None) -> str | None:
        try:
            found = await self._call(
                "calls.agent_channel",
                timeout_s=self.timeout_s,
                interface=interface,
                linkedid=linkedid,
            )
        except RpcUnavailable as exc:
            raise NotConnected(str(exc)) from exc
        except RpcFailed as exc:
            raise pbx_error(exc, "the call lookup") from exc
        return None if found is None else str(found)


def pbx_error(failed: RpcFailed, action: str) -> AmiError:
    """The error the PBX's process raised, raised again here with the same sentence."""
    if failed.kind == "ActionRefused":
        detail = failed.detail
        return ActionRefused(
            str(detail.get("action", action)), str(detail.get("reason", failed.message))
        )
    if failed.kind == "TimeoutError":
        return lost_answer(action, f"the PBX process did not finish {action} in time")
    known = _AMI_ERRORS.get(failed.kind)
    if known is not None:
        return known(failed.message)
    return CommandError(f"the PBX process could not do {action}: {failed.message} ({failed.kind})")
