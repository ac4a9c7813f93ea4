"""`callcenter kpi report` right after `callcenter demo` reads the demo's database."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_databases import clean_env, run_cli

PASSWORD = "demo-Pa55phrase-for-tests"


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.mark.slow
def test_the_demo_and_the_other_commands_share_one_default_database(tmp_path: Path) -> None:
    # The demo's web port: taken from the kernel, then handed over (the demo binds it again).
    with _listening_socket() as probe:
        port = probe.getsockname()[1]
    demo = subprocess.Popen(
        [sys.executable, "-m", "callcenter", "demo", "--port", str(port), "--password", PASSWORD],
        cwd=tmp_path,
        env=clean_env() | {"PYTHONPATH": str(Path(__file__).parents[2])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert demo.stderr is not None
    announced: list[str] = []
    try:
        for line in demo.stderr:
            announced.append(line)
            if line.startswith("user "):
                break
        assert any("callcenter kpi report" in line for line in announced), announced
        assert any("sqlite:///./var/callcenter.db" in line for line in announced), announced
        assert not any("then 'Available'" in line for line in announced), announced

        report = run_cli("kpi", "report", "--json", cwd=tmp_path)
        assert report.returncode == 0, report.stderr
        assert set(json.loads(report.stdout)) == {"queues", "intervals"}
        users = run_cli("users", "list", "--json", cwd=tmp_path)
        assert users.returncode == 0, users.stderr
        assert "agent1" in {user["user"] for user in json.loads(users.stdout)}
    finally:
        demo.send_signal(signal.SIGINT)
        demo.communicate(timeout=60)
    assert not (tmp_path / "var" / "demo.db").exists()


def test_with_another_database_configured_the_demo_says_how_to_read_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from callcenter.demo import reading_hint

    monkeypatch.setenv("CALLCENTER_DATABASE_URL", "postgresql+psycopg://crm:pw@db/callcenter")
    hint = reading_hint("sqlite:///./var/callcenter.db")
    assert hint.endswith("`callcenter kpi report --database sqlite:///./var/callcenter.db`")
    monkeypatch.delenv("CALLCENTER_DATABASE_URL")
    assert "try `callcenter kpi report`" in reading_hint("sqlite:///./var/callcenter.db")


def test_the_demo_refuses_a_database_people_work_in(tmp_path: Path) -> None:
    made = run_cli(
        "users", "create", "alice", "--role", "agent", "--password", PASSWORD, cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    with _listening_socket() as probe:
        port = probe.getsockname()[1]
    demo = run_cli("demo", "--port", str(port), "--password", PASSWORD, cwd=tmp_path)
    assert demo.returncode == 2
    assert "holds users the demo did not create (alice)" in demo.stderr
    assert "--database sqlite:///./var/demo.db" in demo.stderr
    assert "Traceback" not in demo.stderr
    users = run_cli("users", "list", "--json", cwd=tmp_path)
    assert [user["user"] for user in json.loads(users.stdout)] == ["alice"]
