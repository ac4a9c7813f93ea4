"""`cti run` and `ami record` as real processes against the in-test PBX, and their bad input."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.calls.service import list_calls
from callcenter.cli import main
from callcenter.cti.connection import AmiConnection
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.recorder import StreamRecorder
from callcenter.events import CallEnded
from tests.conftest import FIXTURES
from tests.cti.amiserver import AmiServer, fully_booted, response
from tests.cti.pbxstate import BANNER, split_capture
from tests.waiting import until

ANSWERED = FIXTURES / "ami" / "answered" / "ami.raw"


@pytest.fixture(autouse=True)
def no_configured_pbx(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CALLCENTER_AMI_URL", raising=False)
    yield


@pytest.fixture
async def server() -> AsyncIterator[AmiServer]:
    async with AmiServer(rng=random.Random(5), max_chunk=512) as pbx:
        yield pbx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def callcenter(*args: str) -> asyncio.subprocess.Process:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLCENTER_")}
    return await asyncio.create_subprocess_exec(
        Path(sys.executable).with_name("callcenter"),  # the installed console script
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def finish(process: asyncio.subprocess.Process) -> tuple[int, str]:
    async with asyncio.timeout(30):
        _, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def poll(check: Callable[[], bool]) -> None:
    """Until `check()` holds, looking every 20 ms (a process writes in its own time)."""
    async with asyncio.timeout(30):
        while not check():
            await asyncio.sleep(0.02)


def replay_records(data: bytes) -> dict[str, CallRecord]:
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pipeline = Pipeline(server="pbx", bus=bus)
    pipeline.feed_bytes(data)
    pipeline.close(end_open_calls=True)
    return {event.record.linkedid: event.record for event in ended}


# -- bad input: one sentence on stderr, exit code 2 -----------------------------------------

BAD_INPUT = [
    (["cti", "run", "--ami", "http://crm:s@pbx:5038"], "AMI URL must start with ami://"),
    (["cti", "run"], "no PBX configured: set CALLCENTER_AMI_URL"),
    (["ami", "record", "out.raw", "--ami", "ami://pbx:5038"], "AMI URL needs user and secret"),
    (["ami", "record", "no/such/dir/out.raw", "--ami", "ami://a:b@pbx"], "cannot write to"),
]


@pytest.mark.parametrize(("argv", "sentence"), BAD_INPUT)
def test_bad_input_is_one_sentence_and_exit_2(
    argv: list[str],
    sentence: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert sentence in error
    assert error.count("\n") == 1


def test_an_invalid_configured_url_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CALLCENTER_AMI_URL", "pbx.example.com")
    assert main(["ami", "record", "out.raw"]) == 2
    assert "CALLCENTER_AMI_URL is invalid: AMI URL must start" in capsys.readouterr().err


def test_record_says_when_the_pbx_is_unreachable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"ami://crm:secret@127.0.0.1:{free_port()}"
    assert main(["ami", "record", str(tmp_path / "out.raw"), "--ami", url]) == 2
    assert "cannot reach the PBX at 127.0.0.1" in capsys.readouterr().err
    assert not (tmp_path / "out.raw").exists()


def test_run_wants_a_migrated_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'empty.db'}"
    url = f"ami://crm:secret@127.0.0.1:{free_port()}"
    assert main(["cti", "run", "--ami", url, "--database", database]) == 2
    assert "run `callcenter db upgrade`" in capsys.readouterr().err


async def test_run_says_when_the_login_is_refused(server: AmiServer, database_url: str) -> None:
    wrong = server.url.replace(":crmsecret@", ":nope@")
    code, error = await finish(
        await callcenter("cti", "run", "--ami", wrong, "--database", database_url)
    )
    assert code == 2
    assert error.strip().endswith("refused the login of AMI user 'crm': Authentication failed")


# -- the live commands end to end --------------------------------------------------------------


async def test_cti_run_writes_the_calls_and_stops_cleanly_on_sigterm(
    server: AmiServer, database_url: str, sessions: sessionmaker[Session]
) -> None:
    _, body = split_capture(ANSWERED.read_bytes())
    process = await callcenter(
        "cti", "run", "--ami", server.url, "--database", database_url, "--server", "pbx-1"
    )
    await server.wait_for(lambda: server.count("CoreShowChannels") == 1, timeout=30)
    await server.stream(body)

    def stored() -> list[CallRecord]:
        with sessions() as session:
            return list_calls(session, server="pbx-1")

    await poll(lambda: len(stored()) == 1)
    process.send_signal(signal.SIGTERM)
    code, error = await finish(process)

    assert code == 0, error
    assert "connected to the PBX at 127.0.0.1" in error
    assert server.count("Logoff") == 1
    [call] = stored()
    assert (call.caller_name, call.outcome, call.agent, call.data_gap) == (
        "Ann Customer",
        "answered",
        "Alice",
        False,
    )


def session_bytes(server: AmiServer, session: int, body: bytes) -> bytes:
    """What the in-test PBX sent in its `session`th login session, after the banner."""
    logins = [a["ActionID"] for a in server.actions if a["Action"] == "Login"]
    logoffs = [a["ActionID"] for a in server.actions if a["Action"] == "Logoff"]
    return (
        response(logins[session], "Authentication accepted")
        + fully_booted()
        + body
        + response(logoffs[session], "Thanks for all the fish.", "Goodbye")
    )


async def test_ami_record_appends_the_exact_stream_which_replays_like_the_capture(
    server: AmiServer, tmp_path: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    capture = ANSWERED.read_bytes()
    _, body = split_capture(capture)
    out = tmp_path / "pbx.raw"
    process = await callcenter("ami", "record", str(out), "--ami", server.url)
    await server.wait_for(lambda: server.logins == 1, timeout=30)
    await server.stream(body)
    await poll(lambda: out.exists() and out.stat().st_size >= len(body))
    await poll(lambda: body in out.read_bytes())
    process.send_signal(signal.SIGINT)
    code, error = await finish(process)

    assert code == 0, error
    recorded = out.read_bytes()
    assert recorded == BANNER + session_bytes(server, 0, body)
    assert replay_records(recorded) == replay_records(capture)
    assert main(["ami", "replay", str(out), "--database", database_url]) == 0
    with sessions() as session:
        [call] = list_calls(session)
    assert (call.caller_name, call.outcome, call.agent) == ("Ann Customer", "answered", "Alice")


async def test_a_second_recording_appends_without_a_second_banner(
    server: AmiServer, tmp_path: Path
) -> None:
    _, body = split_capture(ANSWERED.read_bytes())
    half = body.index(b"\r\n\r\n", len(body) // 2) + 4
    parts = (body[:half], body[half:])
    out = tmp_path / "pbx.raw"

    async def record(part: bytes) -> None:  # what one `ami record` run does
        with out.open("ab") as file:
            recorder = StreamRecorder(file)
            async with AmiConnection(server.target, recorder):
                await server.stream(part)
                await until(lambda: out.read_bytes().endswith(part))
            recorder.close()

    await record(parts[0])
    await record(parts[1])

    assert out.read_bytes() == BANNER + b"".join(
        session_bytes(server, session, part) for session, part in enumerate(parts)
    )


async def test_a_recording_across_a_reconnect_keeps_whole_frames_only(
    server: AmiServer, tmp_path: Path
) -> None:
    _, body = split_capture(ANSWERED.read_bytes())
    half = body.index(b"\r\n\r\n", len(body) // 2) + 4
    out = tmp_path / "pbx.raw"
    with out.open("ab") as file:
        recorder = StreamRecorder(file)
        async with AmiConnection(server.target, recorder, first_retry=0.01):
            await server.stream(body[: half + 25])  # the link drops 25 bytes into a frame
            server.drop()
            await until(lambda: server.logins == 2)
            await server.stream(body[half:])
            await until(lambda: out.read_bytes().endswith(body[half:]))
        recorder.close()

    logins = [a["ActionID"] for a in server.actions if a["Action"] == "Login"]
    [logoff] = [a["ActionID"] for a in server.actions if a["Action"] == "Logoff"]
    assert out.read_bytes() == (
        BANNER
        + response(logins[0], "Authentication accepted")
        + fully_booted()
        + body[:half]
        + response(logins[1], "Authentication accepted")
        + fully_booted()
        + body[half:]
        + response(logoff, "Thanks for all the fish.", "Goodbye")
    )
    assert recorder.bytes_dropped == 25
