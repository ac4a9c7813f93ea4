"""The producer side of the Redis pop hub: numbers agents' frames and writes them to Redis.

It lives in the console projector (the active adapter's process). `publish` stays cheap: the
sequence is kept in memory (continued from Redis by `load()` when the process becomes active)
and the frame is queued; a background writer appends queued frames, a batch per script call,
to the agent's replay log `cc:console:<uid>:log`, the last sequences in `cc:console:seq` and
the fan-out stream `cc:frames` that every web worker's relay follows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from agent_ui.hub import ConsoleFrame, numbered_frame
from callcenter.redis_link import key

log = logging.getLogger(__name__)

FRAMES_STREAM = key("frames")
SEQ_HASH = key("console", "seq")
ACKED_HASH = key("console", "acked")

# The stream only has to cover a relay's reading lag (a tab that misses frames resyncs).
STREAM_MAX_FRAMES = 100_000
# Frames waiting for Redis; beyond this the oldest are dropped and their consoles resync.
OUTBOX_LIMIT = 100_000
WRITE_BATCH = 512
FIRST_RETRY_S = 0.1
LAST_RETRY_S = 2.0

# What a Redis out of reach raises (a cancelled command may surface as one of these too).
REDIS_DOWN = (RedisError, OSError)

# A batch of frames in one script call, so logs, sequences and stream move together for every
# reader (a script runs whole, like a transaction) at one reply per batch: a pipelined
# transaction costs the producer's event loop a reply per command, ten times the CPU.
# KEYS: the stream, the sequences' hash, then the agents' logs. ARGV: the stream's length,
# the frames a log keeps, the number of shows; per show its user ids and text; per frame its
# user id, sequence, kind, text and its log's index in KEYS (0: not logged).
_WRITE_FRAMES = """
local maxlen, keep, shows = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local i = 4
for _ = 1, shows do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*',
    'uid', 0, 'uids', ARGV[i], 'seq', 0, 'kind', '', 'text', ARGV[i + 1])
  i = i + 2
end
local tops = {}
while i <= #ARGV do
  local logged = tonumber(ARGV[i + 4])
  if logged > 0 then
    redis.call('RPUSH', KEYS[logged], ARGV[i + 3])
    tops[ARGV[i]] = {ARGV[i + 1], logged}
  end
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*',
    'uid', ARGV[i], 'seq', ARGV[i + 1], 'kind', ARGV[i + 2], 'text', ARGV[i + 3])
  i = i + 5
end
for user_id, top in pairs(tops) do
  redis.call('LTRIM', KEYS[top[2]], -keep, -1)
  redis.call('HSET', KEYS[2], user_id, top[1])
end
return 0
"""


def log_key(user_id: int) -> str:
    """The agent's replay log: the text of the last frames, oldest first."""
    return key("console", user_id, "log")


class Retry:
    """Backoff between attempts at a Redis that does not answer."""

    def __init__(self) -> None:
        self.delay = FIRST_RETRY_S

    async def wait(self) -> None:
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, LAST_RETRY_S)

    def reset(self) -> None:
        self.delay = FIRST_RETRY_S


class FrameProducer:
    """Every agent's sequence and the frames on their way to Redis."""

    def __init__(
        self,
        client: aioredis.Redis,
        replay_frames: int,
        *,
        stream_max_frames: int = STREAM_MAX_FRAMES,
        outbox_limit: int = OUTBOX_LIMIT,
    ) -> None:
        self.replay_frames = replay_frames
        self.stream_max_frames = stream_max_frames
        self.outbox_limit = outbox_limit
        self.loaded = False
        self._client = client
        self._write_script = client.register_script(_WRITE_FRAMES)
        self._seqs: dict[int, int] = {}
        self._outbox: deque[tuple[int, ConsoleFrame]] = deque()
        # Unnumbered frames (callers waiting) by text: one stream entry for every agent shown
        # the same text, however many they are (a floor's worth each second).
        self._shows: dict[str, list[int]] = {}
        self._writing = 0
        self._dropped = 0
        self._overflowing = False
        self._frames_due = asyncio.Event()
        self._stopping = False
        self._writer: asyncio.Task[None] | None = None

    async def load(self) -> None:
        """Become the producer: continue every agent's numbering from Redis (waiting for it
        to answer), then write published frames in the background."""
        retry = Retry()
        while True:
            try:
                stored = await self._client.hgetall(SEQ_HASH)
                break
            except REDIS_DOWN as exc:
                log.warning("console hub cannot read the sequences from Redis (%s); retrying", exc)
                await retry.wait()
        for user_id, seq in stored.items():
            self._seqs[int(user_id)] = max(self._seqs.get(int(user_id), 0), int(seq))
        self.loaded = True
        self._writer = asyncio.create_task(self._write_frames(), name="console-hub-writer")

    def publish(self, user_id: int, kind: str, payload: dict[str, Any]) -> ConsoleFrame:
        """Number `payload` as the agent's next frame and queue it for Redis (and the relays)."""
        if not self.loaded:
            raise RuntimeError(
                "console frames are numbered by the producer only: call load() first "
                "(a relay-only web worker asks the console projector to publish)"
            )
        seq = self._seqs.get(user_id, 0) + 1
        self._seqs[user_id] = seq
        frame = numbered_frame(seq, kind, payload)
        self._queue(user_id, frame)
        return frame

    def show(self, user_id: int, text: str) -> None:
        """Send `text` to the agent's open tabs on every worker: no sequence, not logged."""
        if self.loaded:
            self._shows.setdefault(text, []).append(user_id)
            self._frames_due.set()

    def _queue(self, user_id: int, frame: ConsoleFrame) -> None:
        self._outbox.append((user_id, frame))
        if len(self._outbox) > self.outbox_limit:
            self._drop_oldest()
        self._frames_due.set()

    def _drop_oldest(self) -> None:
        """The outbox is full: the oldest frames go (their consoles see the hole and resync)."""
        if len(self._outbox) <= self.outbox_limit:
            return
        while len(self._outbox) > self.outbox_limit:
            self._outbox.popleft()
            self._dropped += 1
        if not self._overflowing:
            self._overflowing = True
            log.warning(
                "more than %d console frames wait for Redis: dropping the oldest "
                "(%d so far); their consoles will resync",
                self.outbox_limit,
                self._dropped,
            )

    async def _write_frames(self) -> None:
        retry = Retry()
        while not self._stopping:
            if not self._outbox and not self._shows:
                self._frames_due.clear()
                await self._frames_due.wait()
                continue
            batch = [self._outbox.popleft() for _ in range(min(WRITE_BATCH, len(self._outbox)))]
            shows, self._shows = self._shows, {}
            self._writing = len(batch) + len(shows)
            try:
                await self._write(batch, shows)
            except REDIS_DOWN as exc:
                # Numbered frames are kept for later; callers waiting are shown afresh then.
                self._outbox.extendleft(reversed(batch))
                if self._stopping:  # a cancelled command may surface as a Redis error
                    return
                if retry.delay == FIRST_RETRY_S:
                    log.warning("console hub cannot write frames to Redis (%s); retrying", exc)
                self._drop_oldest()
                await retry.wait()
                continue
            finally:
                self._writing = 0
            if retry.delay != FIRST_RETRY_S:
                log.info("console hub writes frames to Redis again")
            retry.reset()
            self._overflowing = False

    async def _write(
        self, batch: list[tuple[int, ConsoleFrame]], shows: dict[str, list[int]]
    ) -> None:
        """One script call: logs, sequences and stream move together for every reader."""
        keys: list[str] = [FRAMES_STREAM, SEQ_HASH]
        logs: dict[int, int] = {}
        args: list[str | int] = [self.stream_max_frames, self.replay_frames, len(shows)]
        for text, user_ids in shows.items():
            args += [",".join(map(str, user_ids)), text]
        for user_id, frame in batch:
            logged = 0
            if frame.seq:
                logged = logs.get(user_id, 0)
                if not logged:
                    keys.append(log_key(user_id))
                    logged = logs[user_id] = len(keys)
            args += [user_id, frame.seq, frame.kind, frame.text, logged]
        await self._write_script(keys=keys, args=args)

    def last_seq(self, user_id: int) -> int:
        """The agent's latest sequence number."""
        return self._seqs.get(user_id, 0)

    async def flushed(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` until every published frame is in Redis; whether it is."""
        deadline = time.monotonic() + timeout_s
        while self._outbox or self._shows or self._writing:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def drop_pending(self) -> int:
        """Forget the frames not written yet (the PBX's lease went to another process while
        this one was cut off from Redis); their consoles see the hole and resync."""
        dropped = len(self._outbox)
        self._outbox.clear()
        self._shows.clear()
        if dropped:
            log.warning("dropped %d console frames queued for Redis", dropped)
        return dropped

    async def stop(self, flush_s: float) -> None:
        """Give the writer `flush_s` to put queued frames in Redis, then stop it."""
        if not await self.flushed(flush_s):
            log.warning("console hub stops with %d frames not written", len(self._outbox))
        self._stopping = True
        self._frames_due.set()
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.wait([self._writer], timeout=5)
        self.loaded = False
