"""The live CTI adapter: a PBX connection feeding the pipeline, resynced after every login."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from callcenter.bus import Bus
from callcenter.cti import checkpoint
from callcenter.cti.connection import AmiConnection, AmiListener, reconnect_delays
from callcenter.cti.frames import BadHeader, Frame, Wants
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.protocol import ActionRefused, AmiAction, AmiMessage, NotConnected
from callcenter.cti.tracker_clock import parse_timestamp
from callcenter.cti.translate import FRAME_FILTERS
from callcenter.settings import DEFAULT_WRAP_UP_REASON, AmiTarget

log = logging.getLogger(__name__)

# Asked after every login, in this order; Asterisk answers a session's actions in order, so
# CoreShowChannels (the list that says which calls still exist) completes last.
RESYNC_ACTIONS = ("QueueStatus", "QueueSummary", "CoreShowChannels")
# A refused or failed resync is asked again after these many seconds, doubling up to the cap
# (Asterisk refuses QueueStatus until app_queue has loaded, seconds into a restart).
RESYNC_FIRST_RETRY_S = 1.0
RESYNC_RETRY_CAP_S = 15.0

# How a retry is put off: `call_later(delay, callback)`, the loop's own unless a test injects one.
Scheduler = Callable[[float, Callable[[], None]], asyncio.Handle]


class LivePipeline(Protocol):
    """What the feed needs from the pipeline (callcenter.cti.pipeline.Pipeline)."""

    def feed_frame(self, frame: Frame, received_at: float) -> object: ...

    def connection_lost(self, at: float) -> object: ...

    def reconcile(self, frames: Sequence[Frame], at: float) -> object: ...

    def resync_pending(self, at: float, reason: str) -> object: ...


class PipelineFeed(AmiListener):
    """Hands a live connection's events to the pipeline and rebuilds its view after each login.

    After every login (and when Asterisk says FullyBooted, if this session has no resync
    yet) it sends QueueStatus, QueueSummary and CoreShowChannels and hands their
    event lists to `pipeline.reconcile` the moment the last list completes, synchronously,
    before any later frame is fed: every event that arrived before that point is already in
    the tracker and every later one happened after the snapshot, so the two agree and a call
    that started during the resync is not mistaken for one that vanished.

    Times it hands over (the loss, the resync) are on the PBX's clock like the events' own
    `Timestamp` headers: the local time shifted by how far the PBX's clock was from ours on
    the last timestamped event (zero when the PBX sends no timestamps).

    A resync that is refused (Asterisk still booting: `Invalid/unknown command` until
    app_queue loads) or fails is asked again with a growing delay for as long as the
    session lasts, and at once when FullyBooted arrives; meanwhile the pipeline is told the
    resync is pending, which the board shows as a data gap.

    Only the events the pipeline translates (and FullyBooted) are decoded off the wire.
    """

    wanted_events: Wants = {**FRAME_FILTERS, "FullyBooted": None}

    def __init__(
        self,
        pipeline: LivePipeline,
        *,
        first_retry: float = RESYNC_FIRST_RETRY_S,
        retry_cap: float = RESYNC_RETRY_CAP_S,
        call_later: Scheduler | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.call_later = call_later
        self.resyncs = 0
        self.failed_resyncs = 0
        self.clock_offset = 0.0
        self.first_retry = first_retry
        self.retry_cap = max(retry_cap, first_retry)
        self._resync: list[AmiAction] = []
        self._connection: AmiConnection | None = None
        self._synced = False  # this session's view was rebuilt
        self._refusals = 0  # resyncs Asterisk refused in a row
        self._delays: Iterator[float] = iter(())
        self._retry: asyncio.Handle | None = None

    def session_started(self, connection: AmiConnection) -> None:
        self._cancel_retry()
        self._connection, self._synced, self._resync = connection, False, []
        self._refusals = 0
        self._delays = reconnect_delays(first=self.first_retry, cap=self.retry_cap)
        self._start_resync()

    def _start_resync(self) -> None:
        connection = self._connection
        if connection is None or self._synced or self._resync:
            return
        actions = [
            AmiAction({"Action": name}, as_list=True, on_done=self._answered)
            for name in RESYNC_ACTIONS
        ]
        self._resync = actions
        try:
            for action in actions:
                connection.submit(action)
        except NotConnected:
            self._resync = []  # the connection dropped already; the next login resyncs

    def event_received(self, frame: Frame, received_at: float) -> None:
        stamp = frame.get("Timestamp")
        if stamp is not None:
            with contextlib.suppress(BadHeader):  # the pipeline says so and skips the frame
                self.clock_offset = parse_timestamp(stamp) - received_at
        if frame.get("Event") == "FullyBooted" and not self._synced and not self._resync:
            # Every module is loaded now: a resync refused while booting will be answered.
            self._cancel_retry()
            self._start_resync()
        self.pipeline.feed_frame(frame, received_at)

    def connection_lost(self, at: float) -> None:
        self._cancel_retry()
        self._connection, self._resync = None, []
        self.pipeline.connection_lost(at + self.clock_offset)

    def close(self) -> None:
        """No more retries: the adapter is stopping."""
        self._cancel_retry()
        self._connection = None

    def _cancel_retry(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None

    def _retry_later(self) -> None:
        connection = self._connection
        if connection is None or not connection.connected.is_set():
            return  # the next login resyncs
        delay = next(self._delays)
        log.info("asking for the resync again in %.1f s", delay)
        call_later = self.call_later or asyncio.get_running_loop().call_later
        self._retry = call_later(delay, self._retry_now)

    def _retry_now(self) -> None:
        self._retry = None
        self._start_resync()

    def _answered(self, action: AmiAction) -> None:
        if not any(pending is action for pending in self._resync):
            return  # an earlier session's resync
        if not all(pending.future.done() for pending in self._resync):
            return
        actions, self._resync = self._resync, []
        problems = [problem for problem in map(_problem, actions) if problem]
        if problems:
            self.failed_resyncs += 1
            refused = any(_refusal(action) is not None for action in actions)
            self._refusals = self._refusals + 1 if refused else 0
            # A refusal while booting passes by itself; one that lasts needs a person (the
            # AMI user lacks a class). A lost connection resyncs after the next login.
            log.log(
                logging.ERROR if self._refusals > 3 else logging.WARNING,
                "resync failed (%s); calls cut by the disconnect stay open until their "
                "events arrive or a resync succeeds",
                "; ".join(problems),
            )
            self.pipeline.resync_pending(time.time() + self.clock_offset, "; ".join(problems))
            self._retry_later()
            return
        frames = [frame for pending in actions for frame in pending.frames[1:]]
        self._synced = True
        self.pipeline.reconcile(frames, time.time() + self.clock_offset)
        self.resyncs += 1
        log.info("resynced from %d list events", len(frames))


def _refusal(action: AmiAction) -> ActionRefused | None:
    future = action.future
    if future.cancelled() or future.exception() is not None:
        return None
    answer = future.result()
    if isinstance(answer, AmiMessage):
        return ActionRefused(action.name, answer.frame.get("Message") or "no reason given")
    return None


def _problem(action: AmiAction) -> str | None:
    future = action.future
    if future.cancelled():
        return f"{action.name} was cancelled"
    error = future.exception() or _refusal(action)
    return str(error) if error is not None else None


class LiveAdapter:
    """`callcenter cti run`: one PBX's events, as domain events on the bus, until stopped.

    The tracker stays on the loop reading the PBX; whoever stores or shows the records is
    subscribed to the bus by the composition root (callcenter.wiring), so this loop (and
    whatever else shares it, like the agent console) never waits on the database. `stop()`
    logs off and closes the pipeline, which publishes what the bytes allowed to finish and,
    for every call still in flight and every open agent interval, a record flagged data_gap.
    With `checkpoints` those calls are saved there too, and the next start resumes them
    before its first resync (callcenter.cti.checkpoint).
    """

    def __init__(
        self,
        target: AmiTarget,
        *,
        server: str,
        bus: Bus,
        region: str = "US",
        wrap_up_reason: str = DEFAULT_WRAP_UP_REASON,
        resync_first_retry: float = RESYNC_FIRST_RETRY_S,
        checkpoints: checkpoint.Checkpoints | None = None,
        **connection_options: Any,
    ) -> None:
        self.server = server
        self.checkpoints = checkpoints
        self.pipeline = Pipeline(
            server=server, bus=bus, region=region, wrap_up_reason=wrap_up_reason
        )
        self.feed = PipelineFeed(self.pipeline, first_retry=resync_first_retry)
        self.connection = AmiConnection(target, self.feed, **connection_options)

    async def start(self) -> None:
        """Connect and log in (`ConnectFailed`/`LoginFailed` if not), then run in the background.

        The calls a previous run saved at its stop are taken back first, so that the first
        resync finishes them; they are forgotten once the login succeeded."""
        store = self.checkpoints
        saved = await asyncio.to_thread(store.load, self.server) if store is not None else None
        if saved is not None:
            resumed = checkpoint.resume(self.pipeline.tracker, saved)
            log.info("resumed %d calls in flight at the last stop", resumed)
        await self.connection.start()
        if saved is not None and store is not None:
            await asyncio.to_thread(store.clear, self.server)

    async def stop(self) -> None:
        """Log off; publish what the stream allows to finish, then what is still in flight
        (records flagged data_gap, saved to the checkpoint first for the next start)."""
        self.feed.close()
        await self.connection.aclose()
        at = time.time() + self.feed.clock_offset
        tracker = self.pipeline.tracker
        tracker.finish_parked()
        if self.checkpoints is not None:
            saved = checkpoint.document(tracker, at)
            try:
                await asyncio.to_thread(self.checkpoints.save, saved)
            except SQLAlchemyError as error:
                log.error("could not save the calls in flight: %s", error)
            else:
                log.info("saved %d calls in flight for the next start", len(saved["calls"]))
        self.pipeline.close(at=at, end_open_calls=True)

    async def abandon(self) -> None:
        """Log off and drop what is in flight, writing and saving nothing for it: another
        process follows this PBX now (a lost lease) and its resync adopts those calls. At
        once: no Logoff is waited for."""
        self.feed.close()
        self.connection.close()
        await self.connection.aclose()  # only waits for the background tasks now
