"""`callcenter sim pbx`: the command serves AMI until stopped; bad input exits 2."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys

import pytest

from callcenter.cli import main
from tests.sim.pbx_client import AmiTestClient, send_caller


def _free_port() -> int:
    """A TCP port nobody listens on now (`--port` takes 1-65535, so not 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_sim_pbx_serves_the_scenario_until_terminated() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter.cli", "sim", "pbx", "demo",
        "--port", str(_free_port()), "--speed", "20", "--no-arrivals",
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    try:
        line = (await asyncio.wait_for(process.stderr.readline(), 30)).decode()
        port = int(re.search(r":(\d+) ", line).group(1))  # type: ignore[union-attr]
        client = await AmiTestClient.connect(port)
        try:
            reply = await client.login("crm", "crmsecret")
            send_caller(client, "+15551230001", "Ann Customer")
            join = await client.event("QueueCallerJoin")
        finally:
            await client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    assert reply["Response"] == "Success"
    assert (join["Queue"], join["CallerIDName"]) == ("support", "Ann Customer")
    assert code == 0


def test_unknown_scenario_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "pbx", "/nonexistent/scenario.toml"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("callcenter: /nonexistent/scenario.toml: cannot read the file")
    assert error.count("\n") == 1


def test_speed_must_be_positive() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sim", "pbx", "demo", "--speed", "0"])
    assert exited.value.code == 2
