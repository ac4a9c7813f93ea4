"""The AMI wire protocol under panoramisk: project framing, explicit answers, no silent re-sends."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from callcenter.cti.frames import Frame, FrameParser, Wants, merged_wants

log = logging.getLogger(__name__)

# Frames of one read routed before the loop gets a turn (other tasks' writes, replies read).
WORK_SLICE_S = 0.002


class WireListener(Protocol):
    """What the protocol tells as bytes arrive (callcenter.cti.connection.AmiListener is one).

    `wanted_events`: the events `event_received` needs (None: all); the others are not
    decoded unless a watcher wants them.
    """

    @property
    def wanted_events(self) -> Wants | None: ...

    def transport_opened(self) -> None: ...

    def raw_received(self, data: bytes) -> None: ...

    def event_received(self, frame: Frame, received_at: float) -> None: ...


# Actions that only read state: if their answer is lost they can simply be asked again.
# Every other action may have changed something on the PBX (a call, a queue member).
READ_ONLY_ACTIONS = frozenset(
    {
        "coreshowchannels",
        "getvar",
        "login",
        "logoff",
        "ping",
        "queuestatus",
        "queuesummary",
        "status",
    }
)

Headers = Mapping[str, str | Sequence[str]]


class AmiError(Exception):
    """Talking to the PBX over AMI went wrong; the message is one sentence for a person."""


class ConnectFailed(AmiError):
    """The PBX could not be reached, or did not speak AMI."""


class LoginFailed(AmiError):
    """The PBX refused the AMI user or secret."""


class CommandError(AmiError):
    """A PBX action did not do what was asked; the message says why."""


class ActionRefused(CommandError):
    """Asterisk answered the action with an error."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"Asterisk refused {action}: {reason}")
        self.action = action
        self.reason = reason


class NotConnected(CommandError):
    """No connection to the PBX; nothing was sent."""


class AnswerLost(CommandError):
    """A read-only action lost its answer (disconnect or timeout); asking again is safe."""


class OutcomeUnknown(CommandError):
    """An action with side effects was sent but its answer never came.

    It may or may not have happened on the PBX (an Originate may have rung a phone), so it
    is never re-sent behind the caller's back.
    """


def lost_answer(action: str, situation: str) -> CommandError:
    """The error for an action whose answer will never come, by whether it changes anything."""
    if action.lower() in READ_ONLY_ACTIONS:
        return AnswerLost(f"{situation}; it is safe to send again")
    return OutcomeUnknown(f"{situation}; whether it took effect is unknown, so it was not re-sent")


class AmiMessage(Message):
    """A panoramisk Message that keeps the project frame it was built from."""

    def __init__(self, frame: Frame) -> None:
        super().__init__(frame)
        self.frame = frame


class AmiAction(Action):
    """One AMI action and its answer, the caller saying whether a list of events follows.

    panoramisk's `Action` guesses list answers from the response text: it takes "Added
    interface to queue" (QueueAdd) and "Atxfer successfully queued" for the start of a list
    and never resolves them, and a refused list action (`Response: Error`) never resolves
    either. Here `as_list` is explicit: a single answer resolves with its message, a list
    with every message up to the one carrying `EventList: Complete`, a refusal at once.
    `on_done` runs synchronously when the answer is complete, before the next frame of the
    same read is handled (the resync relies on that ordering).
    """

    def __init__(
        self,
        headers: Headers,
        *,
        as_list: bool = False,
        on_done: Callable[[AmiAction], None] | None = None,
    ) -> None:
        super().__init__(
            {
                key: list(value) if not isinstance(value, str) else value
                for key, value in headers.items()
            },
            as_list=as_list,
        )
        self.on_done = on_done
        self.name = str(self["Action"])
        # An answer nobody awaits any more (caller gone, connection closed) must not be
        # reported by asyncio as a "never retrieved" exception.
        self.future.add_done_callback(_retrieve)

    def add_message(self, message: AmiMessage) -> bool:
        """Take one message answering this action; True once the answer is complete."""
        self.responses.append(message)
        future: asyncio.Future[Any] = self.future
        if future.done():
            return True
        first: AmiMessage = self.responses[0]
        if not self.as_list or first.frame.get("Response") != "Success":
            future.set_result(first)
        elif len(self.responses) > 1 and _ends_list(message.frame):
            future.set_result(list(self.responses))
        else:
            return False
        if self.on_done is not None:
            self.on_done(self)
        return True

    def fail(self, error: BaseException) -> None:
        """End the wait for an answer that will never come."""
        future: asyncio.Future[Any] = self.future
        if not future.done():
            future.set_exception(error)
            if self.on_done is not None:
                self.on_done(self)

    @property
    def frames(self) -> list[Frame]:
        """The frames received so far, the response first."""
        return [message.frame for message in self.responses]


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _ends_list(frame: Frame) -> bool:
    return frame.get("EventList") == "Complete" or frame.get("Event", "").endswith("Complete")


class AmiProtocol(AMIProtocol):
    """panoramisk's protocol with the project's framing and honest failure of lost actions.

    Replaced from panoramisk 1.4, and why:
    - `data_received` decodes every TCP read on its own with errors ignored, so a UTF-8
      character split across two reads ('José Núñez', '张伟') is silently dropped; here
      bytes go through `FrameParser`, which decodes whole frames only and logs and skips a
      malformed frame.
    - answers are routed to their action by ActionID as panoramisk does, but events go
      straight to the listener as plain frames, with their arrival time, instead of through
      `Manager.dispatch`'s pattern matching.
    - `close` queues unanswered actions to be re-sent after the next login, which repeats
      side effects (a second Originate is a second phone call); here each one fails with
      `OutcomeUnknown` (or `AnswerLost` when it only read state).
    - the encoding is set to UTF-8 here: the protocol's own default is ASCII (only
      `Manager.connect`, not used, overrides it), and a name that fails to encode is just
      logged, leaving its action waiting forever.
    """

    def __init__(self, listener: WireListener | None = None) -> None:
        super().__init__()
        self.closed = False
        self.factory: Any = None
        self.listener = listener
        self.parser = FrameParser(wanted=self._listener_wants())
        self.lost: asyncio.Future[BaseException | None] | None = None
        self.event_waiters: dict[str, asyncio.Future[Frame]] = {}
        # Who else reads events as they arrive (a console awaiting a transfer's outcome),
        # with the events each one needs (None: all).
        self.watchers: dict[Callable[[Frame], None], Wants | None] = {}
        self._backlog: deque[tuple[Frame, float]] = deque()
        self._working = False

    def _listener_wants(self) -> Wants | None:
        return None if self.listener is None else self.listener.wanted_events

    def watch(self, watcher: Callable[[Frame], None], events: Wants | None = None) -> None:
        """Show `watcher` the events it names (None: every event) from the next bytes read."""
        self.watchers[watcher] = events
        self._want()

    def unwatch(self, watcher: Callable[[Frame], None]) -> None:
        if watcher in self.watchers:
            del self.watchers[watcher]
            self._want()

    def _want(self) -> None:
        """Decode only what the listener or a watcher reads: on a real PBX most frames are
        VarSet, Newexten and device states nobody here reads."""
        self.parser.set_wanted(merged_wants(self._listener_wants(), *self.watchers.values()))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.encoding = "utf-8"
        self.lost = asyncio.get_running_loop().create_future()
        if self.listener is not None:
            self.listener.transport_opened()

    @property
    def banner(self) -> str | None:
        """The PBX's greeting line (`Asterisk Call Manager/11.0.0`), once received."""
        return self.parser.banner

    def send(self, data: Any, as_list: bool | None = False) -> asyncio.Future[Any]:
        """Write an action and remember it until its answer is complete."""
        if self.closed:
            action = data if isinstance(data, AmiAction) else AmiAction(data)
            action.fail(
                NotConnected(f"the connection to the PBX is closed; {action.name} was not sent")
            )
            return action.future
        if not isinstance(data, AmiAction):
            data = AmiAction(data, as_list=bool(as_list))
        return super().send(data, as_list=data.as_list)

    def forget(self, action: AmiAction) -> None:
        """Stop waiting for `action`'s answer; a late answer is logged and dropped."""
        self.responses.pop(action.id, None)

    def expect_event(self, action_id: str) -> asyncio.Future[Frame]:
        """A future for the event that later reports on an action (e.g. OriginateResponse)."""
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
        self.event_waiters[action_id] = future
        return future

    def data_received(self, data: bytes) -> None:
        received_at = time.time()
        listener = self.listener
        if listener is not None:
            listener.raw_received(data)
        self._backlog.extend((frame, received_at) for frame in self.parser.feed(data))
        if not self._working:
            self._work()

    def _work(self) -> None:
        """Route the frames read so far, a slice at a time: a long burst pauses reading and
        goes on at the loop's next turn, so what its first frames published (a screen pop on
        its way to Redis) leaves before the rest is worked through."""
        backlog = self._backlog
        deadline = time.perf_counter() + WORK_SLICE_S
        try:
            while backlog:
                self.frame_received(*backlog.popleft())
                if backlog and time.perf_counter() > deadline:
                    self._working = True
                    if not self.closed:
                        self.transport.pause_reading()
                    asyncio.get_running_loop().call_soon(self._work_on)
                    return
        except BaseException:
            backlog.clear()  # as a failed read did: the rest of it is dropped with the link
            raise

    def _work_on(self) -> None:
        self._working = False
        try:
            self._work()
        except Exception:
            log.exception("a frame from the PBX could not be routed; reconnecting to resync")
            self.transport.abort()
            return
        if not self._working and not self.closed:
            self.transport.resume_reading()

    def frame_received(self, frame: Frame, received_at: float) -> None:
        """Route one frame: to the action it answers, else to the listener as an event."""
        action_id = frame.get("ActionID")
        if action_id is not None:
            action: AmiAction | None = self.responses.get(action_id)
            if action is not None:
                if action.add_message(AmiMessage(frame)):
                    self.forget(action)
                return
            waiter = self.event_waiters.pop(action_id, None) if "Event" in frame else None
            if waiter is not None and not waiter.done():
                waiter.set_result(frame)
        if "Event" in frame:
            if self.listener is not None:
                self.listener.event_received(frame, received_at)
            for watcher in [*self.watchers]:
                watcher(frame)
        else:
            log.debug("dropped an answer nobody waits for: %r", frame)

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            while self._backlog:  # what was read comes before the loss, as it happened
                self.frame_received(*self._backlog.popleft())
        except Exception:
            self._backlog.clear()
            log.exception("a frame from the PBX could not be routed as the link went down")
        was_open = not self.closed
        self._fail_pending("the connection to the PBX was lost")
        self.closed = True
        if self.lost is not None and not self.lost.done():
            self.lost.set_result(exc)
        if was_open and self.factory is not None:
            self.factory.connection_lost(exc)

    def close(self) -> None:
        """Close the connection; actions still waiting fail instead of being re-sent later."""
        self._fail_pending("the connection to the PBX was closed")
        if not self.closed:
            self.closed = True
            self.transport.close()

    def _fail_pending(self, why: str) -> None:
        pending: dict[int, AmiAction] = {id(action): action for action in self.responses.values()}
        self.responses.clear()
        for action in pending.values():
            action.fail(lost_answer(action.name, f"{why} before Asterisk answered {action.name}"))
        waiters, self.event_waiters = self.event_waiters, {}
        for waiter in waiters.values():
            if not waiter.done():
                waiter.set_exception(
                    OutcomeUnknown(f"{why} before Asterisk reported how the action ended")
                )
