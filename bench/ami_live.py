"""Live AMI path: the load capture over real TCP through `cti run`'s adapter into SQLite.

A minimal AMI server in the same process logs the adapter in, answers the resync with empty
lists and streams the load_realistic capture (400 calls) in 64 KiB writes as fast as the
socket takes it. The clock runs from the first byte to the moment a Ping sent after the
last byte is answered (every frame before it handled) plus the final flush to the database.
The same bytes through the replay path (`Pipeline.feed_bytes`, also into SQLite) are timed
beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callcenter.bus import Bus  # noqa: E402
from callcenter.cti.adapter import LiveAdapter  # noqa: E402
from callcenter.cti.pipeline import Pipeline  # noqa: E402
from callcenter.cti.record_writer import RecordWriter  # noqa: E402
from callcenter.cti.writer_process import writer_for  # noqa: E402
from callcenter.db import make_engine, make_sessionmaker, upgrade  # noqa: E402
from callcenter.settings import AmiTarget  # noqa: E402
from kpi.rollups.keeping import rollup_listener  # noqa: E402
from kpi.thresholds import ThresholdBook  # noqa: E402

CAPTURE = ROOT / "tests" / "fixtures" / "ami" / "load_realistic" / "ami.raw.gz"
CHUNK = 64 * 1024
LISTS = {
    "QueueStatus": ("Queue status will follow", "QueueStatusComplete"),
    "QueueSummary": ("Queue summary will follow", "QueueSummaryComplete"),
    "CoreShowChannels": ("Channels will follow", "CoreShowChannelsComplete"),
}


def answer(action: dict[str, str]) -> bytes:
    """Asterisk's answer to the few actions the adapter sends."""
    name, action_id = action.get("Action", ""), action.get("ActionID", "")
    if name in LISTS:
        message, complete = LISTS[name]
        return (
            f"Response: Success\r\nActionID: {action_id}\r\nEventList: start\r\n"
            f"Message: {message}\r\n\r\nEvent: {complete}\r\nActionID: {action_id}\r\n"
            "EventList: Complete\r\nListItems: 0\r\n\r\n"
        ).encode()
    if name == "Logoff":
        return f"Response: Goodbye\r\nActionID: {action_id}\r\n\r\n".encode()
    message = "Authentication accepted" if name == "Login" else "Pong"
    return f"Response: Success\r\nActionID: {action_id}\r\nMessage: {message}\r\n\r\n".encode()


async def live(body: bytes, database_url: str) -> tuple[float, int]:
    """Seconds for the adapter to take `body` over TCP into the database, and calls written."""
    resynced = asyncio.Event()
    clients: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        clients.append(writer)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        while raw := await reader.readuntil(b"\r\n\r\n"):
            action = dict(line.split(": ", 1) for line in raw.decode().split("\r\n") if line)
            writer.write(answer(action))
            if action.get("Action") == "CoreShowChannels":
                resynced.set()
            if action.get("Action") == "Logoff":
                writer.close()
                return

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = make_engine(database_url)
    bus, sessions = Bus(), make_sessionmaker(engine)
    # The records only (no customer history), written as `cti run` writes them.
    records = writer_for(sessions)(bus, sessions, after_store=[rollup_listener(ThresholdBook())])
    adapter = LiveAdapter(
        AmiTarget(host="127.0.0.1", port=port, username="crm", secret="x"),
        server="bench",
        bus=bus,
    )
    await adapter.start()
    await resynced.wait()
    [writer] = clients
    started = time.perf_counter()
    for offset in range(0, len(body), CHUNK):
        writer.write(body[offset : offset + CHUNK])
        await writer.drain()
    await adapter.connection.request({"Action": "Ping"}, timeout=600)
    await adapter.stop()
    await records.drain()
    records.close()
    elapsed = time.perf_counter() - started
    calls = records.written_calls
    server.close()
    await server.wait_closed()
    engine.dispose()
    return elapsed, calls


def replay(body: bytes, database_url: str) -> float:
    """Seconds for the same bytes through the replay path into the database."""
    engine = make_engine(database_url)
    bus = Bus()
    records = RecordWriter(
        bus, make_sessionmaker(engine), after_store=[rollup_listener(ThresholdBook())]
    )
    pipeline = Pipeline(server="bench", bus=bus)
    started = time.perf_counter()
    for offset in range(0, len(body), CHUNK):
        pipeline.feed_bytes(body[offset : offset + CHUNK])
    pipeline.close(end_open_calls=True)
    records.close()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture", type=Path, default=CAPTURE, help="ami.raw or ami.raw.gz")
    args = parser.parse_args()
    raw = args.capture.read_bytes()
    data = gzip.decompress(raw) if args.capture.suffix == ".gz" else raw
    body = data[data.index(b"Event: ") :]
    events = body.count(b"\r\n\r\n")
    with tempfile.TemporaryDirectory() as folder:
        live_url, replay_url = (f"sqlite:///{Path(folder) / name}" for name in ("a.db", "b.db"))
        upgrade(live_url)
        upgrade(replay_url)
        elapsed, calls = asyncio.run(live(body, live_url))
        replayed = replay(body, replay_url)
    print(f"live AMI over TCP: {events} events, {calls} calls, {len(body) / 1e6:.1f} MB")
    print(f"  live adapter: {elapsed:6.2f} s {events / elapsed:9,.0f} events/s")
    print(f"  replay path:  {replayed:6.2f} s {events / replayed:9,.0f} events/s")
    print(f"  live / replay: {elapsed / replayed:.2f}")
    print(
        "  (both paths skip undecoded the events nobody reads; the live one also decodes"
        " every answer to its actions)"
    )


if __name__ == "__main__":
    main()
