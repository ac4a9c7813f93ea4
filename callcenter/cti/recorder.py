"""`ami record`: a PBX's raw AMI bytes appended to a file that `ami replay` reads back."""

from __future__ import annotations

import logging
from typing import BinaryIO

from callcenter.cti.connection import AmiListener
from callcenter.cti.frames import Wants

log = logging.getLogger(__name__)

_BANNER_PREFIX = b"Asterisk Call Manager/"
_FRAME_END = b"\r\n\r\n"


class StreamRecorder(AmiListener):
    """Writes the bytes each connection receives, exactly, so the file stays one AMI stream.

    Two things keep a file valid across reconnects and repeated runs: a connection's banner
    line is written only at the start of an empty file (a banner in the middle would corrupt
    the next frame for a parser), and a frame cut short by a disconnect is dropped (only whole
    frames, up to their blank line, are written, so a half frame never merges with the next
    connection's bytes). Everything else is byte for byte what the PBX sent.
    """

    wanted_events: Wants = {}  # the bytes are written as read: no event is decoded

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._pending = b""
        self._in_greeting = True
        self.bytes_written = 0
        self.bytes_dropped = 0

    def transport_opened(self) -> None:
        self._drop_pending()
        self._in_greeting = True

    def raw_received(self, data: bytes) -> None:
        buffer = self._pending + data if self._pending else data
        if self._in_greeting:
            buffer = self._take_banner(buffer)
            if self._in_greeting:
                self._pending = buffer
                return
        end = buffer.rfind(_FRAME_END)
        if end < 0:
            self._pending = buffer
            return
        self._write(buffer[: end + len(_FRAME_END)])
        self._pending = buffer[end + len(_FRAME_END) :]

    def connection_lost(self, at: float) -> None:
        self._drop_pending()

    def close(self) -> None:
        """At the end of recording: a half frame still buffered is not written."""
        self._drop_pending()
        self._out.flush()

    def _take_banner(self, buffer: bytes) -> bytes:
        if len(buffer) < len(_BANNER_PREFIX) and _BANNER_PREFIX.startswith(buffer):
            return buffer  # too short to tell yet
        self._in_greeting = False
        if not buffer.startswith(_BANNER_PREFIX):
            return buffer
        end = buffer.find(b"\r\n")
        if end < 0:
            self._in_greeting = True
            return buffer
        if self._out.tell() == 0:
            self._write(buffer[: end + 2])
        return buffer[end + 2 :]

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._out.flush()
        self.bytes_written += len(data)

    def _drop_pending(self) -> None:
        if self._pending and not self._in_greeting:
            log.warning("dropped %d bytes of a frame cut off by the disconnect", len(self._pending))
            self.bytes_dropped += len(self._pending)
        self._pending = b""
