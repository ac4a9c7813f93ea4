"""FastAGI as Asterisk speaks it to a server: the `agi_*` request, then commands and replies.

`AGI(agi://host:port/script,arg1,...)` in a dialplan connects to the server (2 s per address
before giving up: res_agi's MAX_AGI_CONNECT), sends one `agi_name: value` line per request
field and an empty line, then reads one command per line and answers each with a line such as
`200 result=1`, until the server closes the connection. `run_agi` does that on asyncio
streams, so a simulated PBX waiting for its routing server never blocks its own loop.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

DEFAULT_AGI_PORT = 4573
CONNECT_TIMEOUT_S = 2.0  # res_agi's MAX_AGI_CONNECT (ms 2000)
MAX_LINE = 4096


@dataclass(frozen=True, slots=True)
class AgiTarget:
    """Where `agi://host[:port]/script` points."""

    url: str
    host: str
    port: int
    script: str


def parse_agi_url(url: str) -> AgiTarget:
    """`agi://127.0.0.1:4573/route` -> its parts; ValueError with one sentence if it is not."""
    parts = urlsplit(url.strip())
    if parts.scheme != "agi" or not parts.hostname:
        raise ValueError(f"not a FastAGI address like agi://127.0.0.1:4573/route: {url!r}")
    try:
        port = parts.port or DEFAULT_AGI_PORT
    except ValueError:
        raise ValueError(f"the port of {url!r} is not a port number") from None
    return AgiTarget(url.strip(), parts.hostname, port, parts.path.lstrip("/"))


@dataclass(frozen=True, slots=True)
class AgiCommand:
    """One command the server sent, and the reply given (`200 result=1`)."""

    text: str
    code: int
    result: str
    reply: str


@dataclass(slots=True)
class AgiExchange:
    """What came of one FastAGI request: Asterisk's AGISTATUS, and the variables set."""

    status: str = "SUCCESS"  # SUCCESS, FAILURE (no connection) or HANGUP
    variables: dict[str, str] = field(default_factory=dict)
    commands: list[AgiCommand] = field(default_factory=list)
    why: str = ""


def answer(command: str, variables: dict[str, str]) -> AgiCommand:
    """Carry out one AGI command on the channel's variables; the reply Asterisk sends."""
    try:
        words = shlex.split(command, posix=True)
    except ValueError:
        words = command.split()
    verb = " ".join(words[:2]).upper()
    if verb == "SET VARIABLE" and len(words) >= 4:
        variables[words[2]] = words[3]
        return AgiCommand(command, 200, "Success", "200 result=1")
    if verb == "SET VARIABLE":
        return AgiCommand(
            command, 520, "Usage", "520 Invalid command syntax.  Proper usage not available."
        )
    if verb == "GET VARIABLE" and len(words) >= 3:
        value = variables.get(words[2])
        reply = "200 result=0" if value is None else f"200 result=1 ({value})"
        return AgiCommand(command, 200, "Success", reply)
    if words and words[0].upper() in ("NOOP", "VERBOSE", "ANSWER"):
        return AgiCommand(command, 200, "Success", "200 result=0")
    return AgiCommand(command, 510, "Invalid", "510 Invalid or unknown command")


async def run_agi(
    target: AgiTarget,
    request: list[tuple[str, str]],
    *,
    on_command: Callable[[AgiCommand], None] | None = None,
    hung_up: asyncio.Event | None = None,
    answer_timeout_s: float = 10.0,
) -> AgiExchange:
    """Ask the server: send the request block, carry out its commands until it closes.

    `on_command` hears each command as it is carried out. If `hung_up` is set meanwhile (the
    caller hung up), the server is told with a `HANGUP` line, as with `agi sighup`.
    A server that takes longer than `answer_timeout_s` in all is left (AGISTATUS FAILURE).
    """
    exchange = AgiExchange()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(target.host, target.port, limit=MAX_LINE),
            CONNECT_TIMEOUT_S,
        )
    except (OSError, TimeoutError) as exc:
        exchange.status, exchange.why = "FAILURE", f"cannot connect to {target.url} ({exc!r})"
        return exchange
    try:
        block = "".join(f"{name}: {value}\n" for name, value in request) + "\n"
        writer.write(block.encode("utf-8"))
        await writer.drain()
        async with asyncio.timeout(answer_timeout_s):
            await _converse(reader, writer, exchange, on_command, hung_up)
    except TimeoutError:
        exchange.status, exchange.why = "FAILURE", f"{target.url} did not finish in time"
    except (OSError, ValueError, asyncio.IncompleteReadError) as exc:  # ValueError: a line
        # longer than MAX_LINE (StreamReader.readline's overrun)
        exchange.status, exchange.why = "FAILURE", f"{target.url} broke off ({exc!r})"
    finally:
        writer.close()
    return exchange


async def _converse(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    exchange: AgiExchange,
    on_command: Callable[[AgiCommand], None] | None,
    hung_up: asyncio.Event | None,
) -> None:
    watching = hung_up
    reading = asyncio.ensure_future(reader.readline())
    try:
        while True:
            if watching is not None and not await _line_first(reading, watching):
                # The caller hung up: the server is told (agi sighup), and the dead channel
                # still answers what the server sends until it closes (tests/fixtures/agi).
                exchange.status, watching = "HANGUP", None
                writer.write(b"HANGUP\n")
                await writer.drain()
                continue
            line = await reading
            if not line:
                return  # the server closed the connection: the script is done
            reading = asyncio.ensure_future(reader.readline())
            text = line.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            command = answer(text, exchange.variables)
            exchange.commands.append(command)
            if on_command is not None:
                on_command(command)
            writer.write(command.reply.encode() + b"\n")
            await writer.drain()
    finally:
        reading.cancel()


async def _line_first(reading: asyncio.Future[bytes], hung_up: asyncio.Event) -> bool:
    """Wait for the server's next line or the caller's hang-up: True if the line came first."""
    if hung_up.is_set():
        return reading.done()
    waiting: asyncio.Future[object] = asyncio.ensure_future(hung_up.wait())
    either: set[asyncio.Future[object]] = {reading, waiting}  # type: ignore[arg-type]
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    return reading.done()
