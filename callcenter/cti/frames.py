"""The one AMI parser: bytes in any split to frames (header dicts), UTF-8 safe."""

from __future__ import annotations

import logging
from collections.abc import Mapping

log = logging.getLogger(__name__)

Frame = dict[str, str]
# Event names to decode, each with the bytes (or alternatives) one of which a frame of that
# name must carry to be decoded, or None for every frame of the name.
Wants = Mapping[str, bytes | tuple[bytes, ...] | None]

_SEPARATOR = b"\r\n\r\n"
_BANNER_PREFIX = b"Asterisk Call Manager/"
_ACTION_ID = b"\r\nActionID: "


class MalformedStream(ValueError):
    """The bytes are not an AMI stream at all."""


class BadHeader(ValueError):
    """A header value no PBX sends (a Timestamp of 1e300, a Position of `nan`, ...)."""

    def __init__(self, header: str, value: str) -> None:
        super().__init__(f"impossible {header} header {value[:40]!r}")
        self.header = header
        self.value = value


class FrameParser:
    """Incremental AMI framing.

    Bytes are buffered until a blank line closes a frame, and only whole frames are decoded,
    so a multi-byte character split across TCP reads survives. A frame that is not AMI
    (a line without `Key: value`, or neither `Event` nor `Response`) is logged and skipped;
    the stream goes on. Invalid UTF-8 is replaced, never fatal.
    """

    __slots__ = (
        "_buffer",
        "_ignore",
        "_needles",
        "_started",
        "_wanted",
        "_wanted_heads",
        "banner",
        "decoded",
        "ignored",
        "skipped",
    )

    def __init__(
        self,
        ignore: frozenset[str] = frozenset(),
        *,
        wanted: Wants | None = None,
    ) -> None:
        """Fast paths: frames not decoded, only counted in `ignored`.

        `ignore`: event names to skip. `wanted`: when given, the only event names decoded
        (a whitelist); a name may map to bytes (or alternatives) of which one must also occur
        in the frame, so a busy event is decoded only when it carries something of interest.
        Responses, frames that do not open with `Event:` and events that answer an action
        (they carry an `ActionID`) are always decoded.
        """
        self._buffer = b""
        self._started = False
        self._ignore = frozenset(b"Event: " + name.encode() + b"\r\n" for name in ignore)
        self._wanted: dict[bytes, tuple[bytes, ...] | None] | None = None
        self._wanted_heads: frozenset[bytes] = frozenset()
        self._needles: dict[bytes, tuple[bytes, ...]] = {}
        self.set_wanted(wanted)
        self.banner: str | None = None
        self.skipped = 0
        self.ignored = 0
        self.decoded = 0

    def set_wanted(self, wanted: Wants | None) -> None:
        """Decode from now on only the events `wanted` names (None: every event)."""
        if wanted is None:
            self._wanted, self._wanted_heads, self._needles = None, frozenset(), {}
            return
        self._wanted = {
            b"Event: " + name.encode() + b"\r\n": _alternatives(needle)
            for name, needle in wanted.items()
        }
        self._wanted_heads = frozenset(self._wanted)
        self._needles = {head: n for head, n in self._wanted.items() if n is not None}

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
        total = len(parts)
        wanted = self._wanted
        if wanted is not None:
            # One pass in a comprehension (the hot loop of a busy PBX): keep wanted events,
            # anything that is not an event and an action's answer; needles then thin out
            # the few that have one.
            keep = self._wanted_heads
            parts = [
                raw
                for raw in parts
                if raw[: raw.find(b"\r\n") + 2] in keep
                or not raw.startswith(b"Event: ")
                or _ACTION_ID in raw
            ]
            if self._needles:
                parts = [raw for raw in parts if self._has_needle(raw)]
        elif self._ignore:
            ignore = self._ignore
            parts = [raw for raw in parts if raw[: raw.find(b"\r\n") + 2] not in ignore]
        self.ignored += total - len(parts)
        parse = self._parse
        frames = [frame for frame in map(parse, parts) if frame is not None]
        self.decoded += len(frames)
        return frames

    def _has_needle(self, raw: bytes) -> bool:
        needles = self._needles.get(raw[: raw.find(b"\r\n") + 2])
        if needles is None:
            return True
        return any(needle in raw for needle in needles) or _ACTION_ID in raw

    def close(self) -> list[Frame]:
        """Frames still in the buffer at end of stream (a last frame without its blank line)."""
        rest, self._buffer = self._buffer.strip(b"\r\n"), b""
        if not rest:
            return []
        frame = self._parse(rest)
        if frame is None:
            return []
        self.decoded += 1
        return [frame]

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
        # Splitting the whole text at once is faster than line by line; it is only right
        # when no value contains ": ", which the count of pieces proves.
        pieces = text.replace("\r\n", ": ").split(": ")
        if len(pieces) == 2 * (text.count("\r\n") + 1):
            keys_values = iter(pieces)
            frame: Frame = dict(zip(keys_values, keys_values, strict=False))
        else:
            lines = text.split("\r\n")
            try:
                frame = dict(line.split(": ", 1) for line in lines)
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


def _alternatives(needle: bytes | tuple[bytes, ...] | None) -> tuple[bytes, ...] | None:
    return (needle,) if isinstance(needle, bytes) else needle


def merged_wants(*wants: Wants | None) -> dict[str, bytes | tuple[bytes, ...] | None] | None:
    """What several readers of one stream want together (None: one of them reads everything)."""
    merged: dict[str, bytes | tuple[bytes, ...] | None] = {}
    for want in wants:
        if want is None:
            return None
        for name, needle in want.items():
            if name in merged and merged[name] is None:
                continue
            found = _alternatives(needle)
            if found is None:
                merged[name] = None
            else:
                merged[name] = (*(_alternatives(merged.get(name)) or ()), *found)
    return merged


def parse_stream(data: bytes) -> list[Frame]:
    """Every frame of a whole saved stream; MalformedStream if nothing in it is AMI."""
    parser = FrameParser()
    frames = parser.feed(data)
    frames.extend(parser.close())
    if not frames and data.strip():
        raise MalformedStream("the input is not an AMI stream (no Event or Response frames)")
    return frames
