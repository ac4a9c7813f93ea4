"""The pop hub over Redis: one producer numbers agents' frames, every web worker relays them.

Producer (the console projector in the active adapter's process): see `hub_producer`.
Relay (each web worker): one reader follows the stream `cc:frames` and hands each frame to
the open tabs of its agent in this process. A tab that reconnects on any
worker reads the log and resumes after its last sequence; a frame it gets both from the log
and from the stream is sent once, and a hole (a trimmed log, frames dropped while Redis was
away, a Redis restarted empty) means a fresh snapshot (`resync`), never a silent gap.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from agent_ui.hub import Attachment, ConsoleFrame, HubUnavailable, Tab
from agent_ui.hub_producer import (
    ACKED_HASH,
    FRAMES_STREAM,
    OUTBOX_LIMIT,
    REDIS_DOWN,
    SEQ_HASH,
    STREAM_MAX_FRAMES,
    FrameProducer,
    Retry,
    log_key,
)

log = logging.getLogger(__name__)

READ_COUNT = 1000
READ_BLOCK_MS = 1000
# Acks arriving within this many seconds go to Redis in one script call: a busy worker's
# consoles ack every frame, and the stored figure only ever serves a tab attaching later.
ACK_GATHER_S = 0.05

# An ack only ever raises an agent's acknowledged sequence, whichever worker sends it.
_MAX_ACKS = """
local out = {}
for i = 1, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  local seq = tonumber(ARGV[i + 1])
  if seq > current then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    current = seq
  end
  out[#out + 1] = current
end
return out
"""

_LOGGED = re.compile(r'\{"seq":(\d+),"type":"([\w.-]*)"')


def _logged_frame(text: str) -> ConsoleFrame:
    found = _LOGGED.match(text)
    if found:
        return ConsoleFrame(int(found[1]), found[2], text)
    body = json.loads(text)
    return ConsoleFrame(int(body["seq"]), str(body["type"]), text)


@dataclass(eq=False)
class RelayTab(Tab):
    """A tab served by this relay; `floor` is the last sequence queued to it (None: attaching)."""

    floor: int | None = None


class RedisHub:
    """`PopHub`'s API over Redis; `load()` makes it the producer, `start_relay()` a relay."""

    def __init__(
        self,
        client: aioredis.Redis,
        replay_frames: int = 256,
        *,
        stream_max_frames: int = STREAM_MAX_FRAMES,
        outbox_limit: int = OUTBOX_LIMIT,
    ) -> None:
        self.producer = FrameProducer(
            client, replay_frames, stream_max_frames=stream_max_frames, outbox_limit=outbox_limit
        )
        self.client = client
        self._max_acks = client.register_script(_MAX_ACKS)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        # This process's tabs, what the stream showed, acks not yet in Redis.
        self._tabs: dict[int, set[RelayTab]] = {}
        self._relaying = asyncio.Event()
        self._seen: dict[int, int] = {}
        self._acked: dict[int, int] = {}
        self._acks_due: dict[int, int] = {}
        self._acks_wake = asyncio.Event()

    # -- producer -------------------------------------------------------------------------

    async def load(self) -> None:
        """Become the producer: continue every agent's numbering from Redis (waiting for it
        to answer), then write published frames in the background."""
        await self.producer.load()

    def publish(self, user_id: int, kind: str, payload: dict[str, Any]) -> ConsoleFrame:
        """Number `payload` as the agent's next frame and queue it for Redis (and the relays)."""
        return self.producer.publish(user_id, kind, payload)

    def show(self, user_id: int, text: str) -> None:
        """Send `text` to the agent's open tabs on every worker: no sequence, not logged."""
        self.producer.show(user_id, text)

    async def flushed(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` until every published frame is in Redis; whether it is."""
        return await self.producer.flushed(timeout_s)

    # -- relay ----------------------------------------------------------------------------

    async def start_relay(self) -> None:
        """Serve tabs in this process: follow the stream (retrying while Redis is away)."""
        self._tasks.append(asyncio.create_task(self._relay(), name="console-hub-relay"))
        self._tasks.append(asyncio.create_task(self._write_acks(), name="console-hub-acks"))

    async def until_relaying(self) -> None:
        """Return once the relay follows the stream (tabs may attach)."""
        await self._relaying.wait()

    async def _relay(self) -> None:
        retry = Retry()
        while not self._stopping:
            try:
                last_id = await self._stream_end()
                self._relaying.set()
                retry.reset()
                while not self._stopping:
                    last_id = await self._read(last_id)
            except REDIS_DOWN as exc:
                if self._relaying.is_set():
                    log.warning("console hub lost Redis (%s): closing this worker's tabs", exc)
                self._relaying.clear()
                self._seen.clear()
                self.close()
                if not self._stopping:
                    await retry.wait()

    async def _stream_end(self) -> bytes:
        """Where to read from: after the stream's last entry (every open tab was closed when
        the relay lost Redis, so what came before is in the logs)."""
        entries: Any = await self.client.xrevrange(FRAMES_STREAM, count=1)
        return bytes(entries[0][0]) if entries else b"0-0"

    async def _read(self, last_id: bytes) -> bytes:
        answer: Any = await self.client.xread(
            {FRAMES_STREAM: last_id}, count=READ_COUNT, block=READ_BLOCK_MS
        )
        for _stream, entries in answer or ():
            for entry_id, fields in entries:
                last_id = entry_id
                shown_to = fields.get(b"uids")
                if shown_to is None:
                    user_id, seq = int(fields[b"uid"]), int(fields[b"seq"])
                    if user_id not in self._tabs:  # another worker's agent: its sequence only
                        if seq > self._seen.get(user_id, 0):
                            self._seen[user_id] = seq
                        continue
                    users = [user_id]
                else:  # one unnumbered frame for many agents
                    users = [int(u) for u in shown_to.split(b",") if int(u) in self._tabs]
                    if not users:
                        continue
                # Decoded only for the agents with a tab here (a worker holds a share of them).
                frame = ConsoleFrame(
                    int(fields[b"seq"]), fields[b"kind"].decode(), fields[b"text"].decode()
                )
                for user_id in users:
                    self._deliver(user_id, frame)
        return last_id

    def _deliver(self, user_id: int, frame: ConsoleFrame) -> None:
        if frame.seq > self._seen.get(user_id, 0):
            self._seen[user_id] = frame.seq
        for tab in list(self._tabs.get(user_id, ())):
            if frame.seq and tab.floor is not None:
                if frame.seq <= tab.floor:
                    continue  # the tab had it from the log
                if frame.seq != tab.floor + 1:
                    log.warning("console tab of user %s missed frames; it resyncs", user_id)
                    self._drop(tab)
                    continue
                tab.floor = frame.seq
            try:
                tab.queue.put_nowait(frame)
            except asyncio.QueueFull:
                log.warning("console tab of user %s is not reading; dropping it", user_id)
                self._drop(tab)

    async def attach(self, user_id: int, since: int | None) -> Attachment:
        """Open a tab; `since` is the last sequence this tab showed (None: a fresh tab).

        The tab listens before the log is read, so a frame written meanwhile comes one way
        or the other; `floor` then keeps each sequence once, in order.
        """
        if not self._relaying.is_set():
            raise HubUnavailable("the console hub has no Redis at the moment")
        tab = RelayTab(user_id)
        self._tabs.setdefault(user_id, set()).add(tab)
        try:
            top, logged, acked = await self._read_log(user_id)
        except REDIS_DOWN as exc:
            self.detach(tab)
            raise HubUnavailable(f"the console hub cannot read Redis ({exc})") from exc
        self._seen[user_id] = max(self._seen.get(user_id, 0), top)
        self._acked[user_id] = max(self._acked.get(user_id, 0), acked)
        replay = _replay(logged, since, top)
        self._settle(tab, top)
        if replay is None:
            return Attachment(tab, [], True, top)
        return Attachment(tab, replay, False, top)

    async def _read_log(self, user_id: int) -> tuple[int, list[bytes], int]:
        pipe = self.client.pipeline(transaction=True)
        pipe.hget(SEQ_HASH, str(user_id))
        pipe.lrange(log_key(user_id), 0, -1)
        pipe.hget(ACKED_HASH, str(user_id))
        seq, logged, acked = await pipe.execute()
        return int(seq or 0), list(logged), int(acked or 0)

    def _settle(self, tab: RelayTab, top: int) -> None:
        """Keep, of what the stream queued while the log was read, only what comes after it."""
        if tab not in self._tabs.get(tab.user_id, ()):
            return  # closed meanwhile (Redis lost, too slow): the console reconnects
        queued: list[ConsoleFrame] = []
        while not tab.queue.empty():
            frame = tab.queue.get_nowait()
            if frame is not None:
                queued.append(frame)
        tab.floor = top
        for frame in queued:
            if frame.seq and frame.seq <= tab.floor:
                continue
            if frame.seq and frame.seq != tab.floor + 1:
                log.warning("console tab of user %s missed frames; it resyncs", tab.user_id)
                self._drop(tab)
                return
            tab.floor = frame.seq or tab.floor
            tab.queue.put_nowait(frame)

    def detach(self, tab: Tab) -> None:
        """Close a tab."""
        tabs = self._tabs.get(tab.user_id)
        if tabs is not None:
            tabs.discard(tab)
            if not tabs:
                del self._tabs[tab.user_id]

    def ack(self, tab: Tab, seq: int) -> None:
        """The tab has shown every frame up to `seq` (kept in Redis, the highest wins)."""
        floor = tab.floor if isinstance(tab, RelayTab) else None
        seq = min(seq, floor or 0)
        if seq <= tab.acked:
            return
        tab.acked = seq
        if seq > self._acked.get(tab.user_id, 0):
            self._acked[tab.user_id] = seq
            self._acks_due[tab.user_id] = seq
            self._acks_wake.set()

    async def _write_acks(self) -> None:
        retry = Retry()
        while not self._stopping:
            if not self._acks_due:
                self._acks_wake.clear()
                await self._acks_wake.wait()
                continue
            await asyncio.sleep(ACK_GATHER_S)
            due, self._acks_due = self._acks_due, {}
            args = [part for user_id, seq in due.items() for part in (user_id, seq)]
            try:
                highest = await self._max_acks(keys=[ACKED_HASH], args=args)
            except REDIS_DOWN as exc:
                if self._stopping:
                    return
                log.info("console hub cannot write acks to Redis (%s); retrying", exc)
                for user_id, seq in due.items():
                    self._acks_due[user_id] = max(self._acks_due.get(user_id, 0), seq)
                await retry.wait()
                continue
            retry.reset()
            for user_id, value in zip(due, highest, strict=True):
                self._acked[user_id] = max(self._acked.get(user_id, 0), int(value))

    def acked(self, user_id: int) -> int:
        """The highest sequence a tab of the agent acknowledged, as this process last knew it."""
        return self._acked.get(user_id, 0)

    def last_seq(self, user_id: int) -> int:
        """The agent's latest sequence: the producer's, or the latest this relay saw."""
        return max(self.producer.last_seq(user_id), self._seen.get(user_id, 0))

    def close(self) -> None:
        """End every tab of this process (they reconnect and resume or resync)."""
        for tabs in list(self._tabs.values()):
            for tab in list(tabs):
                self._drop(tab)

    async def stop(self, flush_s: float = 2.0) -> None:
        """Close the tabs, give the writer `flush_s` to put queued frames in Redis, and stop."""
        self.close()
        await self.producer.stop(flush_s)
        self._stopping = True
        self._acks_wake.set()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        self._tasks.clear()
        self._relaying.clear()

    def _drop(self, tab: RelayTab) -> None:
        self.detach(tab)
        tab.close()


def _replay(logged: list[bytes], since: int | None, top: int) -> list[ConsoleFrame] | None:
    """The frames after `since` up to `top`, without a hole; None when only a resync will do."""
    if since is None or since > top:
        return None  # a fresh tab, or a sequence this Redis never had (it restarted empty)
    frames: list[ConsoleFrame] = []
    expected = since + 1
    for text in logged:
        frame = _logged_frame(text.decode())
        if frame.seq < expected:
            continue  # shown already, or written twice by a batch retried after a lost reply
        if frame.seq != expected:
            return None  # trimmed, dropped from a full outbox, or lost with Redis
        frames.append(frame)
        expected += 1
    return frames if expected == top + 1 else None
