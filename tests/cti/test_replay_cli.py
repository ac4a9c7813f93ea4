"""`callcenter ami replay` then `callcenter calls list --json`, as a user runs them."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from callcenter.cli import main
from tests.cti.captures import CAPTURES


def _list_json(database: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["calls", "list", "--json", "--database", database]) == 0
    return json.loads(capsys.readouterr().out)


def test_replay_then_list_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = f"sqlite:///{tmp_path / 'fresh' / 'calls.db'}"  # nothing there yet
    capture = str(CAPTURES / "blind_transfer" / "ami.raw")
    assert main(["ami", "replay", capture, "--database", database, "--server", "pbx-a"]) == 0
    assert "1 calls" in capsys.readouterr().out
    (call,) = _list_json(database, capsys)
    assert {
        key: call[key]
        for key in ("linkedid", "direction", "caller_number", "caller_name", "outcome", "agent")
    } == {
        "linkedid": "1795441275.0",
        "direction": "inbound",
        "caller_number": "+15551230007",
        "caller_name": "Gina Customer",
        "outcome": "answered",
        "agent": "Ivan",
    }
    assert (call["hold_s"], call["data_gap"], call["server"]) == (0.0, False, "pbx-a")
    visits = call["queue_visits"]
    assert isinstance(visits, list)
    assert [
        (v["queue"], v["uniqueid"], v["position"], v["outcome"], v["agent"], v["wait_s"])
        for v in visits
    ] == [
        ("support", "1795441275.0", 1, "transferred", "Alice", 2.0),
        ("sales", "1795441275.0", 1, "answered", "Ivan", 2.0),
    ]
    assert [(v["ring_s"], v["talk_s"]) for v in visits] == [(2.0, 4.0), (2.0, 12.0)]
    assert visits[0]["entered_at"] == "2026-11-23T13:41:15.375068+00:00"


def test_replaying_twice_lists_the_same_calls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"sqlite:///{tmp_path / 'calls.db'}"
    capture = str(CAPTURES / "abandon" / "ami.raw")
    assert main(["ami", "replay", capture, "--database", database]) == 0
    first = _list_json(database, capsys)
    assert main(["ami", "replay", capture, "--database", database]) == 0
    assert _list_json(database, capsys) == first
    assert [c["outcome"] for c in first] == ["answered", "abandoned"]


def test_replay_reads_gzip_from_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = f"sqlite:///{tmp_path / 'calls.db'}"
    data = gzip.compress((CAPTURES / "hold" / "ami.raw").read_bytes())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["ami", "replay", "-", "--database", database]) == 0
    (call,) = _list_json(database, capsys)
    assert call["hold_s"] == pytest.approx(6.0, abs=0.1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,phone\nAda,555\n", "not an AMI stream"),
        (b"", "empty"),
        (b"\x1f\x8bnot really gzip", "not a valid gzip file"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    bad = tmp_path / "input.raw"
    bad.write_bytes(content)
    code = main(["ami", "replay", str(bad), "--database", f"sqlite:///{tmp_path / 'c.db'}"])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_input_that_is_not_ami_creates_no_database(tmp_path: Path) -> None:
    bad = tmp_path / "customers.csv"
    bad.write_bytes(b"name,phone\nAda,555\n")
    assert main(["ami", "replay", str(bad), "--database", f"sqlite:///{tmp_path / 'c.db'}"]) == 2
    assert not (tmp_path / "c.db").exists()


def test_an_unreadable_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ami", "replay", str(tmp_path / "missing.raw"), "--database", "sqlite://"])
    assert code == 2
    assert "cannot read" in capsys.readouterr().err
