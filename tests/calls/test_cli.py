"""`callcenter calls list`: every stored call, as JSON or a table; a database that does not
answer is one line, whichever command opens it."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import (
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)
from callcenter.calls.service import store_calls
from callcenter.cli import main
from callcenter.db import transaction
from tests.conftest import FIXTURES

T0 = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)

CALL = CallRecord(
    server="pbx1",
    linkedid="1795441740.1322",
    direction=Direction.INBOUND,
    started_at=T0,
    ended_at=T0 + timedelta(seconds=40),
    outcome=CallOutcome.ANSWERED,
    caller_number="+15554114961",
    caller_name="José Núñez",
    answered_at=T0 + timedelta(seconds=11),
    talk_s=15.0,
    hold_s=3.0,
    agent="Trent",
    transfer_target="billing@queues",
    queue_visits=(
        QueueVisitRecord(
            queue="support",
            uniqueid="1795441740.1322",
            entered_at=T0,
            outcome=VisitOutcome.TRANSFERRED,
            position=10,
            agent="Alice",
            wait_s=11.0,
            ring_s=1.0,
            talk_s=5.0,
            transfer_target="billing@queues",
        ),
        QueueVisitRecord(
            queue="billing",
            uniqueid="1795441740.1322",
            entered_at=T0 + timedelta(seconds=16),
            outcome=VisitOutcome.ANSWERED,
            position=1,
            agent="Trent",
            wait_s=1.0,
            ring_s=1.0,
            talk_s=10.0,
        ),
    ),
)


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        store_calls(session, [CALL], after_store=())


@pytest.mark.usefixtures("stored")
def test_json_uses_the_documented_names(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calls", "list", "--json", "--database", database_url]) == 0
    (call,) = json.loads(capsys.readouterr().out)
    assert {k: call[k] for k in ("linkedid", "direction", "caller_number", "caller_name")} == {
        "linkedid": "1795441740.1322",
        "direction": "inbound",
        "caller_number": "+15554114961",
        "caller_name": "José Núñez",
    }
    assert {k: call[k] for k in ("outcome", "agent", "talk_s", "hold_s", "data_gap")} == {
        "outcome": "answered",
        "agent": "Trent",
        "talk_s": 15.0,
        "hold_s": 3.0,
        "data_gap": False,
    }
    first, second = call["queue_visits"]
    assert first == first | {
        "queue": "support",
        "uniqueid": "1795441740.1322",
        "entered_at": "2026-11-23T09:00:00+00:00",
        "position": 10,
        "outcome": "transferred",
        "agent": "Alice",
        "wait_s": 11.0,
        "ring_s": 1.0,
        "talk_s": 5.0,
    }
    assert (second["queue"], second["outcome"], second["agent"]) == ("billing", "answered", "Trent")


@pytest.mark.usefixtures("stored")
def test_the_table_shows_each_call(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calls", "list", "--database", database_url]) == 0
    out = capsys.readouterr().out
    assert "1795441740.1322" in out
    assert "support:transferred > billing:answered" in out
    assert "José Núñez" in out


def test_an_empty_database_lists_nothing(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calls", "list", "--json", "--database", database_url]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_database_without_tables_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["calls", "list", "--database", f"sqlite:///{tmp_path / 'empty.db'}"])
    err = capsys.readouterr().err
    assert code == 2
    assert "db upgrade" in err
    assert err.count("\n") == 1


def test_a_bad_limit_is_exit_2(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calls", "list", "--limit", "0", "--database", database_url]) == 2
    assert "--limit" in capsys.readouterr().err


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


UNREACHABLE = [
    ["db", "upgrade"],
    ["calls", "list"],
    ["ami", "replay", str(FIXTURES / "ami" / "answered" / "ami.raw")],
    ["cti", "run", "--ami", "ami://crm:secret@127.0.0.1:9"],
    ["kpi", "report", "--from", "2026-03-02", "--to", "2026-03-03", "--by", "agent"],
    ["sim", "run", "demo", "--calls", "5"],
]


@pytest.mark.parametrize("argv", UNREACHABLE, ids=lambda argv: " ".join(argv[:2]))
def test_an_unreachable_database_is_one_line_without_its_password(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql+psycopg://crm:S3cr3t-pw@127.0.0.1:{_closed_port()}/callcenter"
    assert main([*argv, "--database", url]) == 2
    captured = capsys.readouterr()
    assert "S3cr3t" not in captured.out + captured.err
    assert captured.err.count("\n") == 1
    assert "cannot open the database 'postgresql+psycopg://crm:***@127.0.0.1:" in captured.err
