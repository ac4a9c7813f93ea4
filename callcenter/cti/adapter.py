"""The live CTI adapter: a PBX connection feeding the pipeline, resynced after every login."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

from callcenter.bus import Bus
from callcenter.cti.connection import AmiConnection, AmiListener
from callcenter.cti.frames import BadHeader, Frame
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.protocol import ActionRefused, AmiAction, AmiMessage, NotConnected
from callcenter.cti.tracker_clock import parse_timestamp
from callcenter.settings import DEFAULT_WRAP_UP_REASON, AmiTarget

log = logging.getLogger(__name__)

# Asked after every login, in this order; Asterisk answers a session's actions in order, so
# CoreShowChannels (the list that says which calls still exist) completes last.
RESYNC_ACTIONS = ("QueueStatus", "QueueSummary", "CoreShowChannels")


class LivePipeline(Protocol):
    """What the feed needs from the pipeline (callcenter.cti.pipeline.Pipeline)."""

    def feed_frame(self, frame: Frame, received_at: float) -> object: ...

    def connection_lost(self, at: float) -> object: ...

    def reconcile(self, frames: Sequence[Frame], at: float) -> object: ...


class PipelineFeed(AmiListener):
    """Hands a live connection's events to the pipeline and rebuilds its view after each login.

    After every login it sends QueueStatus, QueueSummary and CoreShowChannels and hands their
    event lists to `pipeline.reconcile` the moment the last list completes, synchronously,
    before any later frame is fed: every event that arrived before that point is already in
    the tracker and every later one happened after the snapshot, so the two agree and a call
    that started during the resync is not mistaken for one that vanished.

    Times it hands over (the loss, the resync) are on the PBX's clock like the events' own
    `Timestamp` headers: the local time shifted by how far the PBX's clock was from ours on
    the last timestamped event (zero when the PBX sends no timestamps).
    """

    def __init__(self, pipeline: LivePipeline) -> None:
        self.pipeline = pipeline
        self.resyncs = 0
        self.failed_resyncs = 0
        self.clock_offset = 0.0
        self._resync: list[AmiAction] = []

    def session_started(self, connection: AmiConnection) -> None:
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
        self.pipeline.feed_frame(frame, received_at)

    def connection_lost(self, at: float) -> None:
        self.pipeline.connection_lost(at + self.clock_offset)

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
            # A refusal needs a person (the AMI user lacks a class); a lost connection
            # resyncs again after the next login.
            log.log(
                logging.ERROR if refused else logging.WARNING,
                "resync skipped (%s); calls cut by the disconnect stay open until their "
                "events arrive or the next resync",
                "; ".join(problems),
            )
            return
        frames = [frame for pending in actions for frame in pending.frames[1:]]
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
    logs off and closes the pipeline, which publishes what the bytes allowed to finish.
    """

    def __init__(
        self,
        target: AmiTarget,
        *,
        server: str,
        bus: Bus,
        region: str = "US",
        wrap_up_reason: str = DEFAULT_WRAP_UP_REASON,
        **connection_options: Any,
    ) -> None:
        self.pipeline = Pipeline(
            server=server, bus=bus, region=region, wrap_up_reason=wrap_up_reason
        )
        self.feed = PipelineFeed(self.pipeline)
        self.connection = AmiConnection(target, self.feed, **connection_options)

    async def start(self) -> None:
        """Connect and log in (`ConnectFailed`/`LoginFailed` if not), then run in the background."""
        await self.connection.start()

    async def stop(self) -> None:
        """Log off, then publish what the stream allows to finish."""
        await self.connection.aclose()
        self.pipeline.close(at=time.time() + self.feed.clock_offset)
