"""The one AMI parser: bytes in any split to frames (header dicts), UTF-8 safe."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

Frame = dict[str, str]

_SEPARATOR = b"\r\n\r\n"
_BANNER_PREFIX = b"Asterisk Call Manager/"


class MalformedStream(ValueError):
    """The bytes are not an AMI stream at all."""


class FrameParser:
    """Incremental AMI framing.

    Bytes are buffered until a blank line closes a frame, and only whole frames are decoded,
    so a multi-byte character split across TCP reads survives. A frame that is not AMI
    (a line without `Key: value`, or neither `Event` nor `Response`) is logged and skipped;
    the stream goes on. Invalid UTF-8 is replaced, never fatal.
    """

    __slots__ = ("_buffer", "_ignore", "_started", "banner", "ignored", "skipped")

    def __init__(self, ignore: frozenset[str] = frozenset()) -> None:
        """`ignore`: event names whose frames are counted but not decoded (a fast path)."""
        self._buffer = b""
        self._started = False
        self._ignore = frozenset(b"Event: " + name.encode() + b"\r\n" for name in ignore)
        self.banner: str | None = None
        self.skipped = 0
        self.ignored = 0

    def feed(self, data: bytes) -> list[Frame]:
        """The frames completed by `data` (possibly none)."""
        buffer = self._buffer + data if self._buffer else data
        if not self._started:
            buffer = self._take_banner(buffer)
            if not self._started:
                self._buffer = buffer
                return []
        parts = buffer.split(_SEPARATOR)
        self._buffer = parts.pop()
        frames: list[Frame] = []
        append = frames.append
        ignore = self._ignore
        for raw in parts:
            if ignore and raw[: raw.find(b"\r\n") + 2] in ignore:
                self.ignored += 1
                continue
            frame = self._parse(raw)
            if frame is not None:
                append(frame)
        return frames

    def close(self) -> list[Frame]:
        """Frames still in the buffer at end of stream (a last frame without its blank line)."""
        rest, self._buffer = self._buffer.strip(b"\r\n"), b""
        if not rest:
            return []
        frame = self._parse(rest)
        return [frame] if frame is not None else []

    @property
    def pending(self) -> int:
        """Bytes buffered that do not yet form a frame."""
        return len(self._buffer)

    def _take_banner(self, buffer: bytes) -> bytes:
        if len(buffer) < len(_BANNER_PREFIX) and _BANNER_PREFIX.startswith(buffer):
            return buffer
        if not buffer.startswith(_BANNER_PREFIX):
            self._started = True
            return buffer
        end = buffer.find(b"\r\n")
        if end < 0:
            return buffer
        self.banner = buffer[:end].decode("utf-8", "replace")
        self._started = True
        return buffer[end + 2 :]

    def _parse(self, raw: bytes) -> Frame | None:
        text = raw.decode("utf-8", "replace").lstrip("\r\n")
        if not text:
            return None
        lines = text.split("\r\n")
        try:
            frame: Frame = dict(line.split(": ", 1) for line in lines)
        except ValueError:
            frame = self._parse_slow(lines)
            if not frame:
                self._skip(text)
                return None
        if "Event" in frame or "Response" in frame:
            return frame
        self._skip(text)
        return None

    def _parse_slow(self, lines: list[str]) -> Frame:
        frame: Frame = {}
        for line in lines:
            key, sep, value = line.partition(":")
            if not sep or not key or " " in key.strip():
                if frame.get("Response") == "Follows":
                    continue  # free-form command output
                return {}
            frame[key.strip()] = value[1:] if value.startswith(" ") else value
        return frame

    def _skip(self, text: str) -> None:
        self.skipped += 1
        log.warning("skipped a malformed AMI frame: %r", text[:200])


def parse_stream(data: bytes) -> list[Frame]:
    """Every frame of a whole saved stream; MalformedStream if nothing in it is AMI."""
    parser = FrameParser()
    frames = parser.feed(data)
    frames.extend(parser.close())
    if not frames and data.strip():
        raise MalformedStream("the input is not an AMI stream (no Event or Response frames)")
    return frames
