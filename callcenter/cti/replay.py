"""Reading a saved AMI byte stream (plain or gzip, a file or stdin) through the pipeline.

The command that stores what is read (`ami replay`, callcenter.pbx_cli) hands in the
consumers to wire on the bus; this module only reads, checks and publishes.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from callcenter.bus import Bus
from callcenter.cti.pipeline import Pipeline
from callcenter.settings import DEFAULT_WRAP_UP_REASON

CHUNK_SIZE = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
# Bytes read without a single AMI frame before deciding the input is something else.
_PATIENCE = 1 << 16
_FRAME_LINE = re.compile(rb"(?:^|\r\n)(?:Event|Response): ")
NOTHING_STORED = "nothing was stored"


class NotAnAmiStream(ValueError):
    """The input is not a saved AMI stream (or not a readable, whole one)."""


@dataclass(frozen=True)
class ReadResult:
    """What reading a saved stream took in."""

    events: int
    malformed: int


class ReplaySink(Protocol):
    """What a replay's bus feeds (callcenter.wiring.Consumers): `close` writes the rest."""

    def close(self) -> None: ...


def replay_file(
    source: str,
    *,
    server: str,
    open_sink: Callable[[Bus], ReplaySink],
    region: str = "US",
    wrap_up_reason: str = DEFAULT_WRAP_UP_REASON,
) -> ReadResult:
    """Read `source` (a path, or `-` for stdin) through the pipeline onto a new bus.

    `open_sink(bus)` subscribes whatever stores the records; it is called only once the input
    has been checked: bytes that are plainly not AMI, and a gzip input that is truncated or
    corrupt anywhere (read through once first, a pipe spooled to a temporary file for
    that), are NotAnAmiStream before anything is opened or stored. Calls still in flight when
    the bytes end are published with what is known, flagged data_gap.
    """
    with ExitStack() as stack:
        stream = _open(source, stack)
        try:
            chunks = checked_chunks(stream, stack)
            first = _first_chunk(chunks)
        except OSError as exc:
            raise NotAnAmiStream(f"cannot read {source}: {exc.strerror or exc}") from exc
        bus = Bus()
        sink = open_sink(bus)
        pipeline = Pipeline(server=server, bus=bus, region=region, wrap_up_reason=wrap_up_reason)
        try:
            feed_stream(pipeline, _prepend(first, chunks))
        except OSError as exc:
            raise NotAnAmiStream(f"cannot read {source}: {exc.strerror or exc}") from exc
        pipeline.close(end_open_calls=True)
        sink.close()
    return ReadResult(
        events=pipeline.events_seen, malformed=pipeline.malformed + pipeline.parser.skipped
    )


def _open(source: str, stack: ExitStack) -> BinaryIO:
    if source == "-":
        return sys.stdin.buffer
    try:
        return stack.enter_context(Path(source).open("rb"))
    except OSError as exc:
        raise NotAnAmiStream(f"cannot read {source}: {exc.strerror or exc}") from exc


def checked_chunks(stream: BinaryIO, stack: ExitStack) -> Iterator[bytes]:
    """The stream's bytes in chunks, gunzipped when it starts like gzip.

    A gzip stream is first read through to its end-of-stream check (a pipe is spooled into a
    temporary file for that, closed with `stack`): NotAnAmiStream, before a single byte is
    handed on, when it is truncated or corrupt.
    """
    start = stream.tell() if stream.seekable() else None
    first = stream.read(CHUNK_SIZE)
    if not first.startswith(_GZIP_MAGIC):
        return _prepend(first, _raw(stream)) if first else iter(())
    if start is None:
        spool = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 - closed by stack
        spool.write(first)
        shutil.copyfileobj(stream, spool, CHUNK_SIZE)
        stream, start = spool, 0
    stream.seek(start)
    for _ in _gunzip(_raw(stream)):
        pass
    stream.seek(start)
    return _gunzip(_raw(stream))


def _raw(stream: BinaryIO, size: int = CHUNK_SIZE) -> Iterator[bytes]:
    return iter(lambda: stream.read(size), b"")


def _gunzip(compressed: Iterable[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj(wbits=31)
    member_open = False  # bytes of a gzip member were read and its end not yet
    taken = 0
    try:
        for chunk in compressed:
            taken += len(chunk)
            while chunk:
                member_open = True
                out = inflater.decompress(chunk)
                if out:
                    yield out
                if not inflater.eof:
                    break
                # a concatenation of gzip members (as `gzip -c a b` makes) goes on
                member_open = False
                chunk = inflater.unused_data
                inflater = zlib.decompressobj(wbits=31)
    except zlib.error as exc:
        raise NotAnAmiStream(
            f"the input is not a valid gzip file ({exc}): {NOTHING_STORED}"
        ) from exc
    if member_open:
        raise NotAnAmiStream(f"the gzip input is truncated after {taken} bytes: {NOTHING_STORED}")


def _prepend(first: bytes, rest: Iterable[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def looks_like_ami(head: bytes) -> bool:
    """Whether the opening bytes of a stream can be AMI (a banner, or a frame's first line)."""
    return head.startswith(b"Asterisk Call Manager/") or bool(_FRAME_LINE.search(head[:_PATIENCE]))


def feed_stream(pipeline: Pipeline, chunks: Iterable[bytes]) -> None:
    """Feed every chunk; NotAnAmiStream as soon as the bytes clearly are not AMI."""
    fed = 0
    for chunk in chunks:
        if fed == 0 and not looks_like_ami(chunk):
            raise NotAnAmiStream("the input is not an AMI stream (no Event or Response frames)")
        pipeline.feed_bytes(chunk)
        fed += len(chunk)
        stuck = pipeline.parser.skipped or pipeline.parser.pending > _PATIENCE
        if pipeline.events_seen == 0 and pipeline.parser.banner is None and stuck:
            raise NotAnAmiStream("the input is not an AMI stream (no Event or Response frames)")
    if pipeline.events_seen == 0 and pipeline.parser.banner is None:
        pipeline.close(end_open_calls=True)  # a last frame may lack its blank line
        if fed == 0:
            raise NotAnAmiStream("the input is empty")
        if pipeline.events_seen == 0:
            raise NotAnAmiStream("the input is not an AMI stream (no Event or Response frames)")


def _first_chunk(chunks: Iterator[bytes]) -> bytes:
    """The stream's first chunk, or NotAnAmiStream when it is empty or clearly not AMI."""
    first = next(chunks, b"")
    if not first:
        raise NotAnAmiStream("the input is empty")
    if not looks_like_ami(first):
        raise NotAnAmiStream("the input is not an AMI stream (no Event or Response frames)")
    return first
