"""Replaying a saved AMI byte stream (plain or gzip, a file or stdin) through the pipeline."""

from __future__ import annotations

import argparse
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.exc import ArgumentError, OperationalError

from callcenter.bus import Bus
from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.cti.pipeline import Pipeline
from callcenter.db import make_engine, make_sessionmaker, upgrade
from callcenter.settings import Settings
from callcenter.wiring import wire_consumers

CHUNK_SIZE = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
# Bytes read without a single AMI frame before deciding the input is something else.
_PATIENCE = 1 << 16
_FRAME_LINE = re.compile(rb"(?:^|\r\n)(?:Event|Response): ")


class NotAnAmiStream(ValueError):
    """The input is not a saved AMI stream (or not a readable one)."""


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did."""

    events: int
    calls: int
    agent_states: int
    malformed: int
    interactions: int = 0
    callbacks: int = 0


def read_chunks(stream: BinaryIO, size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The stream's bytes in chunks, gunzipped on the fly when it starts like gzip."""
    first = stream.read(size)
    rest: Iterable[bytes] = iter(lambda: stream.read(size), b"")
    if first.startswith(_GZIP_MAGIC):
        yield from _gunzip(first, rest)
        return
    if first:
        yield first
    yield from rest


def _gunzip(first: bytes, rest: Iterable[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj(wbits=31)
    try:
        for chunk in _prepend(first, rest):
            while chunk:
                out = inflater.decompress(chunk)
                if out:
                    yield out
                if not inflater.eof:
                    break
                # a concatenation of gzip members (as `gzip -c a b` makes) goes on
                chunk = inflater.unused_data
                inflater = zlib.decompressobj(wbits=31)
    except zlib.error as exc:
        raise NotAnAmiStream(f"the input is not a valid gzip file ({exc})") from exc


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


def replay_file(source: str, *, server: str, settings: Settings) -> ReplayResult:
    """Replay `source` (a path, or `-` for stdin) into the settings' database.

    The schema is brought up to date first. The records are stored and the calls land in
    their customers' history, as with a live PBX (callcenter.wiring). Calls still in flight
    when the bytes end are written with what is known, flagged data_gap; a later replay of a
    longer capture replaces them (records are keyed by server and Linkedid).
    """
    stream: BinaryIO
    if source == "-":
        stream = sys.stdin.buffer
    else:
        try:
            stream = Path(source).open("rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise NotAnAmiStream(f"cannot read {source}: {exc.strerror or exc}") from exc
    try:
        # Refuse input that is plainly not AMI before touching the database at all.
        chunks = read_chunks(stream)
        first = _first_chunk(chunks, source)
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            bus = Bus()
            consumers = wire_consumers(bus, make_sessionmaker(engine), settings, live=False)
            pipeline = Pipeline(
                server=server,
                bus=bus,
                region=settings.default_region,
                wrap_up_reason=settings.wrap_up_reason,
            )
            try:
                feed_stream(pipeline, _prepend(first, chunks))
            except OSError as exc:
                raise NotAnAmiStream(f"cannot read {source}: {exc.strerror or exc}") from exc
            pipeline.close(end_open_calls=True)
            consumers.close()
            records, history = consumers.records, consumers.history_written
            assert records is not None
            return ReplayResult(
                events=pipeline.events_seen,
                calls=records.written_calls,
                agent_states=records.written_states,
                malformed=pipeline.malformed + pipeline.parser.skipped,
                interactions=history.interactions,
                callbacks=history.callbacks_opened,
            )
        finally:
            engine.dispose()
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _first_chunk(chunks: Iterator[bytes], source: str) -> bytes:
    """The stream's first chunk, or NotAnAmiStream when it is empty or clearly not AMI."""
    try:
        first = next(chunks, b"")
    except OSError as exc:
        raise NotAnAmiStream(f"cannot read {source}: {exc.strerror or exc}") from exc
    if not first:
        raise NotAnAmiStream("the input is empty")
    if not looks_like_ami(first):
        raise NotAnAmiStream("the input is not an AMI stream (no Event or Response frames)")
    return first


def add_replay_command(ami_actions: Any) -> None:
    """`ami replay FILE|-`."""
    command = ami_actions.add_parser(
        "replay",
        help="a saved AMI byte stream (plain or gzip) through the pipeline into the database",
    )
    command.add_argument("file", metavar="FILE", help="the saved stream, or - for stdin")
    command.add_argument(
        "--server", metavar="NAME", help="PBX name on the records (default: settings' server)"
    )
    add_database_option(command)
    command.set_defaults(func=replay_command)


def replay_command(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        result = replay_file(args.file, server=args.server or settings.server, settings=settings)
    except NotAnAmiStream as exc:
        source = "stdin" if args.file == "-" else args.file
        raise UsageError(f"{source}: {exc}") from exc
    except (ArgumentError, OperationalError) as exc:
        raise UsageError(
            f"cannot open the database {settings.database_url!r}: {exc.__class__.__name__}"
        ) from exc
    print(
        f"replayed {result.events} events: {result.calls} calls and "
        f"{result.agent_states} agent-state intervals written, {result.interactions} "
        f"interactions and {result.callbacks} callbacks into customer history"
        + (f", {result.malformed} malformed frames skipped" if result.malformed else "")
    )
    return 0
