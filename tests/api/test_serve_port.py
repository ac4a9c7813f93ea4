"""`callcenter serve` as a real process: a port already taken stops it before the PBX."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
import urllib.request
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.cti.amiserver import AmiServer


@pytest.fixture
async def pbx() -> AsyncIterator[AmiServer]:
    async with AmiServer(rng=random.Random(3), max_chunk=512) as server:
        yield server


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port some other program is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


async def start_serve(port: int, database_url: str, ami_url: str) -> asyncio.subprocess.Process:
    """`callcenter serve` in its own process, following the PBX at `ami_url`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLCENTER_")}
    env["CALLCENTER_AMI_URL"] = ami_url
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter", "serve", "--port", str(port),
        "--database", database_url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip


async def test_a_taken_port_fails_before_the_pbx_login(
    pbx: AmiServer, taken_port: int, database_url: str
) -> None:
    process = await start_serve(taken_port, database_url, pbx.url)
    async with asyncio.timeout(60):
        _, stderr = await process.communicate()
    assert process.returncode == 2
    sentence = f"cannot listen on 127.0.0.1:{taken_port}: the port is already in use"
    assert stderr.decode() == f"callcenter: {sentence}\n"
    assert pbx.connections == 0
    assert pbx.logins == 0


async def test_a_free_port_serves_with_the_pbx_logged_in(pbx: AmiServer, database_url: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = await start_serve(port, database_url, pbx.url)
    try:
        async with asyncio.timeout(60):
            while (answer := await asyncio.to_thread(health, port)) is None:
                await asyncio.sleep(0.1)
        assert answer == 200
        assert pbx.logins == 1
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(60):
            await process.communicate()
    assert process.returncode == 0


def health(port: int) -> int | None:
    """The status of GET /healthz, or None while nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            return int(reply.status)
    except OSError:
        return None
