"""The domain-event bus shared by several processes through one Redis stream (docs/bus.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError, ResponseError

from callcenter import redis_link
from callcenter.event_codec import CodecError, codec
from callcenter.events import (
    AgentStateClosed,
    BusLinkChanged,
    CallRouted,
    DomainEvent,
    KpiAlertCleared,
    KpiAlertRaised,
)
from callcenter.local_bus import Bus

log = logging.getLogger(__name__)

STREAM = redis_link.key("events")
# Set once by whoever finds it missing: another value after a reconnect means Redis lost
# what it held (restarted empty), so what this process had not read yet is gone.
EPOCH = redis_link.key("events", "epoch")
OUTBOX_LIMIT = 100_000
STREAM_MAXLEN = 200_000  # approximate: Redis trims whole nodes, cheaply
BATCH = 500
# Events of one read delivered before the loop gets a turn (a screen pop to relay, a socket).
DELIVER_SLICE_S = 0.002
# What each process works out for itself from the events it sees (sending it on would have
# every process receive every other process's copy), and what only the publishing process
# takes: an agent's finished state interval is stored by the PBX's process that closed it
# (three an answered call, a quarter of the stream at a busy floor's rate, for nobody else).
LOCAL_EVENTS: frozenset[type[DomainEvent]] = frozenset(
    {BusLinkChanged, KpiAlertRaised, KpiAlertCleared, AgentStateClosed}
)
# What also goes to a stream of its own, read by a process that does not follow the whole
# stream: the PBX's process hears the routing server's decisions there (a customer card says
# how its call came the first time it is shown) without decoding every other event.
APART_EVENTS: frozenset[type[DomainEvent]] = frozenset({CallRouted})
APART_STREAM = redis_link.key("events", "apart")
APART_MAXLEN = 10_000  # a decision matters for the seconds before its call rings
LINK_ERRORS = (RedisError, OSError)
# A batch of events in one script call: one reply per batch rather than one per XADD (the
# publishing process's event loop parses every reply), and the batch is in the stream whole
# or not at all. KEYS: the stream, the stream apart. ARGV: their lengths, the origin, then per
# event its sequence, type, server, encoded body and whether it also goes apart ("1").
_SEND = """
local maxlen, apart_maxlen, origin = ARGV[1], ARGV[2], ARGV[3]
for i = 4, #ARGV, 5 do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*',
    'e', ARGV[i + 3], 'o', origin, 'n', ARGV[i], 'k', ARGV[i + 1], 's', ARGV[i + 2])
  if ARGV[i + 4] == '1' then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', apart_maxlen, '*',
      'e', ARGV[i + 3], 'o', origin, 'n', ARGV[i], 'k', ARGV[i + 1], 's', ARGV[i + 2])
  end
end
return 0
"""


def stream_id(value: bytes | str) -> tuple[int, int]:
    """`b"1700000000000-3"` -> (1700000000000, 3), for comparing stream ids."""
    text = value.decode() if isinstance(value, bytes) else value
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


class RedisBus(Bus):
    """A Bus whose events also reach every other process on the same Redis, and theirs it.

    `publish` (any thread) delivers to this process's handlers at once, as `Bus` does, and
    queues the event for the stream; a writer task sends the queue in batches, one script
    call each. A reader task reads the stream from where it was and delivers the other
    processes' events on the event loop, each origin's in the order it published them. The
    link going down and coming back is published here as BusLinkChanged.
    """

    def __init__(
        self,
        url: str,
        *,
        outbox_limit: int = OUTBOX_LIMIT,
        maxlen: int = STREAM_MAXLEN,
        backoff_s: tuple[float, float] = (0.5, 5.0),
        block_s: float = 1.0,
        flush_s: float = 2.0,
        follow: bool = True,
    ) -> None:
        super().__init__()
        # follow=False: the active PBX process, whose consumers take only its own PBX's
        # events: of other processes' events it reads only those kept apart (APART_EVENTS),
        # not every one.
        self.follow = follow
        self._stream = STREAM if follow else APART_STREAM
        self.url = url
        self.origin = uuid.uuid4().hex
        self.outbox_limit, self.maxlen = outbox_limit, maxlen
        self.backoff_s, self.block_s, self.flush_s = backoff_s, block_s, flush_s
        self.outbox: deque[tuple[int, DomainEvent]] = deque()
        self.up: bool | None = None  # None: not connected yet
        self.sent = self.received = 0
        self._lock = threading.Lock()
        self._seq = 0
        self._dropped = 0  # overflowed out of the outbox, not reported yet
        self._seen: dict[bytes, int] = {}  # the last sequence number delivered, per origin
        self._last_id = b"0-0"
        self._epoch: bytes | str | None = None
        self._codec = codec()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._wake_pending = False
        self._sending = False
        self._stopping = False
        self._wake, self._linked = asyncio.Event(), asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Connect and start the reader and the writer. Redis down: BusLinkChanged(up=False)
        at once and retries in the background (this process keeps working on its own)."""
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._loop_thread = threading.get_ident()
        self._client = redis_link.async_client(self.url)
        self._send_script = self._client.register_script(_SEND)
        self._reader = redis_link.async_client(
            self.url, command_timeout_s=self.block_s + redis_link.COMMAND_TIMEOUT_S
        )
        try:
            await self._connect()
        except LINK_ERRORS as exc:
            self._link_lost(exc)
        self._wake.set()  # what was published before the start
        self._tasks = [
            asyncio.create_task(self._read(), name="bus-reader"),
            asyncio.create_task(self._write(), name="bus-writer"),
        ]

    def drop_pending(self) -> int:
        """Forget the events not sent to Redis yet (a PBX process that lost its lease while
        cut off from Redis); how many. Readers see the gap in this origin's sequence."""
        dropped = len(self.outbox)
        self.outbox.clear()
        if dropped:
            log.warning("dropped %d events queued for Redis", dropped)
        return dropped

    async def stop(self) -> None:
        """Send what is queued (for at most flush_s while the link is up), then disconnect."""
        if self._loop is None:
            return
        deadline = time.monotonic() + self.flush_s
        while self.up and (self.outbox or self._sending) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if self.outbox:
            log.warning("bus stopping with %d events not sent to Redis", len(self.outbox))
        # redis-py may swallow a cancellation mid-command: the loops also end on this flag.
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.wait(self._tasks, timeout=self.block_s + redis_link.COMMAND_TIMEOUT_S)
        await self._client.aclose()
        await self._reader.aclose()
        self._loop = None

    def publish(self, event: DomainEvent) -> None:
        """Queue `event` for the other processes (in publish order), then deliver it here."""
        if type(event) not in LOCAL_EVENTS:
            with self._lock:
                self._seq += 1
                if len(self.outbox) >= self.outbox_limit:
                    self.outbox.popleft()
                    self._dropped += 1
                self.outbox.append((self._seq, event))
            self._nudge()
        super().publish(event)

    def _nudge(self) -> None:
        loop = self._loop
        if loop is None or self._wake_pending:
            return
        self._wake_pending = True
        if threading.get_ident() == self._loop_thread:
            self._wake.set()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake.set)

    # The link.
    def _link_lost(self, exc: BaseException) -> None:
        self._linked.clear()
        if self.up is not False:
            log.warning("bus link to %s down: %s", redis_link.describe(self.url), exc)
            self.up = False
            self._announce(up=False, lost=None)

    def _link_back(self, lost: int | None) -> None:
        was = self.up
        self.up = True
        self._linked.set()
        if was is False or lost != 0:  # back, or events known or feared lost
            log.warning("bus link to %s up (lost: %s)", redis_link.describe(self.url), lost)
            self._announce(up=True, lost=lost)

    def _announce(self, *, up: bool, lost: int | None) -> None:
        Bus.publish(self, BusLinkChanged(at=datetime.now(UTC), server="", up=up, lost=lost))

    def _take_dropped(self) -> int:
        with self._lock:
            dropped, self._dropped = self._dropped, 0
        return dropped

    async def _connect(self) -> None:
        """Check what Redis still holds, then mark the link up with what is known lost."""
        epoch = await self._client.get(EPOCH)
        if epoch is None:
            await self._client.set(EPOCH, uuid.uuid4().hex, nx=True)
            epoch = await self._client.get(EPOCH)
        lost: int | None = 0
        info = await self._stream_info()
        if self._epoch is None:  # first contact: start from the end of the stream
            self._last_id = info.get("last-generated-id") or b"0-0"
        elif epoch != self._epoch:  # Redis restarted empty: read all it has now
            lost, self._last_id = None, b"0-0"
        elif stream_id(info.get("max-deleted-entry-id") or b"0-0") > stream_id(self._last_id):
            lost = None  # trimmed past what this process had read
        self._epoch = epoch
        dropped = self._take_dropped()
        self._link_back(None if lost is None else lost + dropped)

    async def _stream_info(self) -> dict[str, Any]:
        try:
            info = await self._client.xinfo_stream(self._stream)
        except ResponseError:  # no such stream yet
            return {}
        return {k.decode() if isinstance(k, bytes) else k: v for k, v in info.items()}

    def hears(self, kind: type[DomainEvent]) -> bool:
        return self.follow or kind in APART_EVENTS

    # The reader.
    async def _read(self) -> None:
        delay = self.backoff_s[0]
        while not self._stopping:
            if not self.up:
                try:
                    await self._connect()
                except LINK_ERRORS as exc:
                    self._link_lost(exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.backoff_s[1])
                    continue
                delay = self.backoff_s[0]
            try:
                reply: Any = await self._reader.xread(
                    {self._stream: self._last_id}, count=BATCH, block=int(self.block_s * 1000)
                )
            except LINK_ERRORS as exc:
                self._link_lost(exc)
                continue
            for _, entries in reply or ():
                await self._deliver_in_slices(entries)

    async def _deliver_in_slices(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        """Deliver a read a slice at a time, the loop getting a turn between slices: what
        else this process relays (a screen pop from Redis) waits for a slice, not a read."""
        pending = iter(entries)
        while self._deliver(pending, time.perf_counter() + DELIVER_SLICE_S):
            await asyncio.sleep(0)

    def _deliver(self, entries: Iterator[tuple[bytes, dict[bytes, bytes]]], until: float) -> bool:
        """Hand other processes' events to this process's handlers until `until` (perf
        counter); whether entries may remain. Counts the gaps (on the whole stream: an
        origin's events kept apart skip the numbers of the others)."""
        origin, lost, more = self.origin.encode(), 0, False
        for entry_id, fields in entries:
            lost += self._deliver_one(entry_id, fields, origin)
            if time.perf_counter() > until:
                more = True
                break
        if lost:
            log.warning("bus: %d events of other processes lost", lost)
            self._announce(up=True, lost=lost)
        return more

    def _deliver_one(self, entry_id: bytes, fields: dict[bytes, bytes], origin: bytes) -> int:
        """One entry to this process's handlers; the sender's events found missing before
        it. An event of a type no handler here takes is not decoded: only its server is
        passed on."""
        self._last_id = entry_id
        sender = fields.get(b"o", b"")
        if sender == origin:
            return 0
        try:
            seq = int(fields[b"n"])
        except (KeyError, ValueError) as exc:
            log.warning("bus entry %s skipped: %s", entry_id, exc)
            return 0
        last = self._seen.get(sender)
        if last is not None and seq <= last:
            return 0  # a batch sent again when its reply was lost
        kind = self._codec.kind(fields.get(b"k", b"").decode(errors="replace"))
        event: DomainEvent | None = None
        if kind is None or self.wants(kind):
            try:
                event = self._codec.decode(fields[b"e"])
            except (KeyError, ValueError, CodecError) as exc:
                log.warning("bus entry %s skipped: %s", entry_id, exc)
                return 0
        self._seen[sender] = seq
        self.received += 1
        if event is None:
            self._server_seen(fields.get(b"s", b"").decode(errors="replace"))
        else:
            Bus.publish(self, event)
        return seq - last - 1 if last is not None and self.follow else 0

    # The writer.
    async def _write(self) -> None:
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            self._wake_pending = False
            while self.outbox and not self._stopping:
                await self._linked.wait()
                batch = self._take(BATCH)
                self._sending = True
                try:
                    await self._send(batch)
                except LINK_ERRORS as exc:
                    self._put_back(batch)
                    self._link_lost(exc)
                    continue
                finally:
                    self._sending = False
                self.sent += len(batch)
                dropped = self._take_dropped() if self.up else 0
                if dropped:
                    log.warning("bus outbox overflowed: %d events not sent", dropped)
                    self._announce(up=True, lost=dropped)

    def _take(self, count: int) -> list[tuple[int, DomainEvent]]:
        with self._lock:
            return [self.outbox.popleft() for _ in range(min(count, len(self.outbox)))]

    def _put_back(self, batch: list[tuple[int, DomainEvent]]) -> None:
        with self._lock:
            self.outbox.extendleft(reversed(batch))
            while len(self.outbox) > self.outbox_limit:
                self.outbox.popleft()
                self._dropped += 1

    async def _send(self, batch: list[tuple[int, DomainEvent]]) -> None:
        args: list[Any] = [self.maxlen, APART_MAXLEN, self.origin]
        for seq, event in batch:
            try:
                data = self._codec.encode(event)
            except (TypeError, KeyError):
                log.exception("bus: %s cannot be sent to other processes", type(event).__name__)
                continue
            # The type and server beside the event: a reader skips what it has no handler for
            # without decoding it.
            apart = "1" if type(event) in APART_EVENTS else "0"
            args += [seq, type(event).__name__, event.server, data, apart]
        if len(args) > 3:
            await self._send_script(keys=[STREAM, APART_STREAM], args=args)
