"""The one path from AMI bytes to records: frames -> typed events -> tracker -> bus."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from callcenter.bus import Bus
from callcenter.cti.frames import BadHeader, Frame, FrameParser
from callcenter.cti.log_limit import LimitedLog
from callcenter.cti.pbx_events import QueueParamsListed
from callcenter.cti.tracker import Tracker
from callcenter.cti.tracker_reconcile import reconcile
from callcenter.cti.tracker_state import to_datetime
from callcenter.cti.translate import FRAME_FILTERS, TRANSLATORS, translated
from callcenter.events import PbxConnectionChanged, QueueParamsReported
from callcenter.settings import DEFAULT_WRAP_UP_REASON

log = logging.getLogger(__name__)

# Identifiers longer than any PBX makes (Asterisk: 150 bytes at most; stored in 64).
MAX_ID_LENGTH = 64
_ID_HEADERS = ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid")


class Pipeline:
    """A live connection and a replay feed the same object; records come out on the bus.

    Feed raw bytes (`feed_bytes`, any split) or frames a protocol already parsed
    (`feed_frame`). Time is each event's `Timestamp` header, else `received_at`; a saved
    stream without either gets times derived from the PBX's own fields (see EventClock).
    The pipeline only publishes: who stores or shows what is wired on the bus by the
    composition root (callcenter.wiring).

    A frame no PBX could send never stops the stream: one with an impossible Timestamp or
    identifier is skipped (`skipped`), an impossible number in it is ignored as if absent
    (`ignored_headers`), one the tracker cannot place is dropped (`failed`); each kind is
    logged at most once a minute (`warnings`), with a count of those held back.
    """

    def __init__(
        self,
        *,
        server: str,
        bus: Bus,
        region: str = "US",
        wrap_up_reason: str = DEFAULT_WRAP_UP_REASON,
    ) -> None:
        self.server = server
        self.bus = bus
        self.tracker = Tracker(
            server=server, publish=bus.publish, region=region, wrap_up_reason=wrap_up_reason
        )
        self.clock = self.tracker.clock
        self.parser = FrameParser(wanted=FRAME_FILTERS)
        self.frames = 0
        self.malformed = 0
        self.failed = 0
        self.skipped = 0
        self.ignored_headers = 0
        self.warnings = LimitedLog(log)
        self._closed = False

    @property
    def events_seen(self) -> int:
        """Frames taken in: decoded ones plus those skipped undecoded as irrelevant."""
        return self.frames + self.parser.ignored

    def feed_bytes(self, data: bytes, received_at: float | None = None) -> None:
        """A chunk of the raw AMI stream, split anywhere."""
        apply = self._apply
        for frame in self.parser.feed(data):
            apply(frame, received_at)

    def feed_frame(self, frame: Frame, received_at: float) -> None:
        """One frame parsed elsewhere, received at `received_at` (epoch seconds)."""
        self._apply(frame, received_at)

    def _apply(self, frame: Frame, received_at: float | None) -> None:
        self.frames += 1
        name = frame.get("Event")
        if name is None:
            return  # a Response: the connection's business
        translator = TRANSLATORS.get(name)
        if translator is None:
            return
        try:
            at = self.clock.tick(frame.get("Timestamp"), received_at)
            _check_ids(frame)
        except BadHeader as bad:
            self.skipped += 1
            self.warnings.warning(
                f"{name} {bad.header}", "skipped a %s event with an %s", name, bad
            )
            return
        try:
            event = translated(translator, frame, lambda bad: self._ignored(name, bad))
        except KeyError as missing:
            self.malformed += 1
            self.warnings.warning(
                f"{name} {missing}", "skipped a %s event without its %s header", name, missing
            )
            return
        if event is None:
            return
        if type(event) is QueueParamsListed:
            self._queue_listed(event, at)  # a queue's settings: nothing to track
            return
        try:
            self.tracker.apply(event, at)
        except Exception as error:
            # One event the tracker cannot place must not stop the stream for every call.
            self.failed += 1
            kind = f"{name} {error.__class__.__name__}"
            if self.warnings.warning(
                kind, "the tracker failed on a %s event (%r); going on", name, error
            ):
                log.debug("the tracker's failure on a %s event", name, exc_info=True)

    def _apply_listed(self, frame: Frame, at: float) -> None:
        """A QueueParams item of a resync's QueueStatus answer."""
        try:
            event = translated(
                TRANSLATORS["QueueParams"], frame, lambda bad: self._ignored("QueueParams", bad)
            )
        except KeyError as missing:
            self.malformed += 1
            self.warnings.warning(
                f"QueueParams {missing}", "skipped a QueueParams answer without its %s", missing
            )
            return
        if isinstance(event, QueueParamsListed):
            self._queue_listed(event, at)

    def _queue_listed(self, listed: QueueParamsListed, at: float) -> None:
        """Publish a queue's settings as the PBX listed them (its service-level threshold)."""
        self.bus.publish(
            QueueParamsReported(
                at=to_datetime(at),
                server=self.server,
                queue=listed.queue,
                strategy=listed.strategy,
                service_level_s=listed.service_level_s,
                waiting=listed.calls,
                completed=listed.completed,
                abandoned=listed.abandoned,
                service_level_perf=listed.service_level_perf,
                service_level_perf2=listed.service_level_perf2,
            )
        )

    def _ignored(self, name: str, bad: BadHeader) -> None:
        self.ignored_headers += 1
        self.warnings.warning(f"{name} {bad.header}", "ignored an %s on a %s event", bad, name)

    def connection_lost(self, at: float) -> None:
        """The PBX link dropped: calls in flight are flagged data_gap."""
        self.tracker.connection_lost(at)

    def reconcile(self, frames: Sequence[Frame], at: float) -> None:
        """After each (re)connect: the answers to QueueStatus, QueueSummary, CoreShowChannels."""
        self.clock.tick(None, at)
        reconcile(self.tracker, frames, at)
        for frame in frames:
            if frame.get("Event") == "QueueParams":
                self._apply_listed(frame, at)
        self.bus.publish(
            PbxConnectionChanged(at=to_datetime(at), server=self.server, connected=True)
        )

    def resync_pending(self, at: float, reason: str) -> None:
        """A resync was refused or failed: until one succeeds the live view has a gap."""
        self.bus.publish(
            PbxConnectionChanged(
                at=to_datetime(at),
                server=self.server,
                connected=False,
                detail=f"resync pending ({reason})",
            )
        )

    def close(self, at: float | None = None, *, end_open_calls: bool = False) -> None:
        """End of stream: finish what the bytes allow and publish it.

        Calls waiting only for a trailing AgentComplete are closed. With `end_open_calls`
        (a replayed file, or a live adapter stopping) calls still in flight are closed
        with what is known and flagged data_gap, and open agent intervals end at `at`
        (else the last event time), flagged too; without it they stay in memory.
        """
        if self._closed:
            return
        self._closed = True
        for frame in self.parser.close():
            self._apply(frame, None)
        self.tracker.finish_parked()
        if end_open_calls:
            self.tracker.end_all(at if at is not None else self.clock.now)


def _check_ids(frame: Frame) -> None:
    """BadHeader for an identifier longer than any PBX makes."""
    get = frame.get
    if (
        len(get("Uniqueid", "")) > MAX_ID_LENGTH
        or len(get("Linkedid", "")) > MAX_ID_LENGTH
        or len(get("DestUniqueid", "")) > MAX_ID_LENGTH
        or len(get("DestLinkedid", "")) > MAX_ID_LENGTH
    ):
        header = next(h for h in _ID_HEADERS if len(get(h, "")) > MAX_ID_LENGTH)
        raise BadHeader(header, frame[header])
