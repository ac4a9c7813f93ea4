"""The FastAGI wire: the `agi_*` header block, commands and their `200 result=` replies."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# Asterisk sends some 30 headers of a few dozen bytes; anything far beyond is not Asterisk.
MAX_HEADERS = 200
MAX_LINE = 4096
_HEADER = re.compile(r"agi_[a-z0-9_]+")
_REPLY = re.compile(r"(\d{3})[ -](.*)")


class BadRequest(Exception):
    """The peer sent something that is not a FastAGI request (the sentence says what)."""


class HungUp(Exception):
    """The caller hung up (Asterisk sent `HANGUP`) or the connection closed."""


class CommandFailed(Exception):
    """Asterisk answered a command with something other than `200 result=`."""


@dataclass(frozen=True, slots=True)
class AgiRequest:
    """A request's header block: `headers` by name (`agi_callerid`), the script asked for,
    and the arguments (`agi_arg_1`, ...) in order."""

    headers: dict[str, str]

    @property
    def script(self) -> str:
        """The script: `agi_network_script`, else the path of `agi_request`."""
        script = self.headers.get("agi_network_script")
        if script is None:
            script = urlsplit(self.headers.get("agi_request", "")).path
        return script.strip("/")

    @property
    def args(self) -> list[str]:
        """`agi_arg_1`, `agi_arg_2`, ... in order, up to the first one missing."""
        found: list[str] = []
        while (value := self.headers.get(f"agi_arg_{len(found) + 1}")) is not None:
            found.append(value)
        return found

    def get(self, name: str) -> str:
        """Header `agi_<name>`, "" when absent or "unknown" (Asterisk's word for none)."""
        value = self.headers.get(f"agi_{name}", "")
        return "" if value == "unknown" else value


async def read_request(reader: asyncio.StreamReader) -> AgiRequest:
    """Read the header block up to its empty line; BadRequest when it is not one, HungUp
    when the peer closes before the end."""
    headers: dict[str, str] = {}
    while True:
        line = await _line(reader)
        if line == "":
            break
        name, sep, value = line.partition(":")
        if not sep or not _HEADER.fullmatch(name):
            raise BadRequest(f"not an agi_* header line: {line[:80]!r}")
        if len(headers) >= MAX_HEADERS:
            raise BadRequest(f"more than {MAX_HEADERS} header lines")
        headers[name] = value.strip()
    if not headers:
        raise BadRequest("an empty header block")
    if "agi_network_script" not in headers and "agi_request" not in headers:
        raise BadRequest("no agi_network_script or agi_request header")
    return AgiRequest(headers)


def set_variable(name: str, value: str) -> bytes:
    """`SET VARIABLE NAME "value"` with the quoting Asterisk's AGI parser undoes."""
    quoted = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'SET VARIABLE {name} "{quoted}"\n'.encode()


async def read_reply(reader: asyncio.StreamReader) -> str:
    """The reply to a command (`200 result=1`, returned as "result=1"); HungUp when a
    `HANGUP` line or the end of the stream comes first, CommandFailed for an error reply.

    A `520-` usage reply spans lines up to `520 End of proper usage.`; it is read whole."""
    line = await _line(reader)
    if line == "HANGUP":
        raise HungUp("the caller hung up")
    match = _REPLY.fullmatch(line)
    if match is None:
        raise CommandFailed(f"not an AGI reply: {line[:80]!r}")
    code, rest = match.groups()
    if code == "520" and line[3] == "-":
        while not (await _line(reader)).startswith("520 "):
            pass
    if code != "200":
        raise CommandFailed(f"{code} {rest}")
    return rest


async def _line(reader: asyncio.StreamReader) -> str:
    try:
        raw = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise BadRequest(f"cut off after {len(exc.partial)} bytes of a line") from None
        raise HungUp("the connection closed") from None
    except asyncio.LimitOverrunError:
        raise BadRequest(f"a line longer than {MAX_LINE} bytes") from None
    # A caller's name may come in any 8-bit encoding: shown, never refused.
    return raw.decode("utf-8", errors="replace").rstrip("\r\n")
