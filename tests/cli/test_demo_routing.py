"""`callcenter demo` routes its DID callers by a routing server of its own, by default."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.cli import main
from callcenter.demo import demo_routing, routing_line
from callcenter.settings import Settings
from tests.cli.test_databases import clean_env
from tests.cli.test_demo_database import PASSWORD, _listening_socket
from tests.waiting import until


def decisions(database: Path) -> list[tuple[str, int, str, str | None]]:
    """(reason, priority, queue, customer) of every stored routing decision."""
    if not database.exists():
        return []
    try:
        with sqlite3.connect(database) as db:
            rows = db.execute("SELECT reason, priority, queue, customer_id FROM route_decisions")
            return list(rows)
    except sqlite3.OperationalError:  # not migrated yet, or busy
        return []


@pytest.mark.slow
def test_the_demo_routes_vip_callers_ahead_by_its_own_routing_server(tmp_path: Path) -> None:
    with _listening_socket() as probe:
        port = probe.getsockname()[1]
    argv = ["demo", "--port", str(port), "--speed", "60", "--password", PASSWORD]
    demo = subprocess.Popen(
        [sys.executable, "-m", "callcenter", *argv],
        cwd=tmp_path,
        env=clean_env() | {"PYTHONPATH": str(Path(__file__).parents[2])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert demo.stderr is not None
    announced: list[str] = []
    database = tmp_path / "var" / "callcenter.db"
    try:
        for line in demo.stderr:
            announced.append(line)
            if line.startswith("user "):
                break
        assert any("callers are routed by agi://127.0.0.1:" in line for line in announced), (
            announced
        )
        # A VIP customer (Ann or Gina) calls within a few simulated minutes: priority 10.
        asyncio.run(until(lambda: any(d[0] == "vip" for d in decisions(database)), 120))
    finally:
        demo.send_signal(signal.SIGINT)
        demo.communicate(timeout=60)
    routed = decisions(database)
    assert {reason for reason, *_ in routed} <= {
        "vip",
        "known",
        "blocked",
        "preferred_agent",
        "open_ticket",
    }
    vips = [d for d in routed if d[0] == "vip"]
    assert all(priority == 10 and customer is not None for _, priority, _, customer in vips)
    queues = {queue for reason, _, queue, _ in routed if reason != "blocked"}
    assert queues <= {"support", "billing"}  # a blacklisted caller: no queue
    assert all(priority == 0 for reason, priority, *_ in routed if reason != "vip")


def test_the_demo_routes_nowhere_when_told_so() -> None:
    base = Settings(agi_listen="127.0.0.1:4580")
    settings, url = demo_routing(base, None, routing=False)
    assert (settings.agi_listen, url) == (None, None)  # the app listens nowhere either
    assert routing_line(None).startswith("routing off")
    assert "VIPs jump the queue" in routing_line("agi://127.0.0.1:4580/route")


def test_the_demo_takes_either_a_routing_server_or_none(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--agi", "agi://127.0.0.1/route", "--no-routing"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
