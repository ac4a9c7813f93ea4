"""`callcenter ami replay` then `callcenter calls list --json`, as a user runs them."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.cli import main
from callcenter.cti.pipeline import Pipeline
from callcenter.events import CallEnded
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


# -- cut and damaged input: an error, and never a stored call made worse --------------------


class Pipe(io.RawIOBase):
    """A non-seekable byte source, as a shell pipe is."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _replay(source: str, database: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["ami", "replay", source, "--database", database])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_truncated_gzip_is_one_line_exit_2_and_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = (CAPTURES / "load_realistic" / "ami.raw.gz").read_bytes()
    cut = tmp_path / "ami.raw.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    database = f"sqlite:///{tmp_path / 'calls.db'}"
    code, out, err = _replay(str(cut), database, capsys)
    assert code == 2
    assert out == ""
    assert err == (
        f"callcenter: {cut}: the gzip input is truncated after {len(whole) // 2} bytes: "
        "nothing was stored\n"
    )
    assert not (tmp_path / "calls.db").exists()


def test_a_truncated_gzip_leaves_the_stored_calls_as_they_were(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = f"sqlite:///{tmp_path / 'calls.db'}"
    assert _replay(str(CAPTURES / "abandon" / "ami.raw"), database, capsys)[0] == 0
    before = _list_json(database, capsys)
    packed = gzip.compress((CAPTURES / "abandon" / "ami.raw").read_bytes())
    cut = packed[: len(packed) * 2 // 3]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Pipe(cut))))
    code, _, err = _replay("-", database, capsys)
    assert (code, err.count("\n")) == (2, 1)
    assert f"stdin: the gzip input is truncated after {len(cut)} bytes" in err
    assert _list_json(database, capsys) == before


@pytest.mark.parametrize("where", [0.3, 0.6, 0.9])
def test_a_gzip_damaged_inside_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: float
) -> None:
    packed = bytearray(gzip.compress((CAPTURES / "hold" / "ami.raw").read_bytes()))
    spot = int(len(packed) * where)
    packed[spot : spot + 16] = bytes(b ^ 0x5A for b in packed[spot : spot + 16])
    damaged = tmp_path / "ami.raw.gz"
    damaged.write_bytes(bytes(packed))
    code, _, err = _replay(str(damaged), f"sqlite:///{tmp_path / 'calls.db'}", capsys)
    assert (code, err.count("\n")) == (2, 1)
    assert "not a valid gzip file" in err and "nothing was stored" in err
    assert not (tmp_path / "calls.db").exists()


def _records(data: bytes) -> list[CallRecord]:
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pipeline = Pipeline(server="pbx", bus=bus)
    pipeline.feed_bytes(data)
    pipeline.close(end_open_calls=True)
    return [event.record for event in ended]


def test_a_cut_capture_never_degrades_the_calls_stored_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"sqlite:///{tmp_path / 'calls.db'}"
    whole = CAPTURES / "load_realistic" / "ami.raw.gz"
    assert _replay(str(whole), database, capsys)[0] == 0
    stored = _list_json(database, capsys)
    assert not any(call["data_gap"] for call in stored)
    raw = gzip.decompress(whole.read_bytes())
    cut = raw[: len(raw) // 2]
    gaps = [record for record in _records(cut) if record.data_gap]
    assert len(gaps) > 10  # calls in flight at the cut: what the cut replay would degrade
    plain = tmp_path / "first-half.raw"
    plain.write_bytes(cut)
    assert _replay(str(plain), database, capsys)[0] == 0  # a plain cut is not detectable
    assert _list_json(database, capsys) == stored


def test_a_whole_capture_replaces_the_gap_records_of_a_cut_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = (CAPTURES / "blind_transfer" / "ami.raw").read_bytes()
    cut = capture[: len(capture) // 2]
    assert [record.data_gap for record in _records(cut)] == [True]
    only_whole = f"sqlite:///{tmp_path / 'whole.db'}"
    assert _replay(str(CAPTURES / "blind_transfer" / "ami.raw"), only_whole, capsys)[0] == 0
    database = f"sqlite:///{tmp_path / 'calls.db'}"
    (tmp_path / "cut.raw").write_bytes(cut)
    assert _replay(str(tmp_path / "cut.raw"), database, capsys)[0] == 0
    assert [call["data_gap"] for call in _list_json(database, capsys)] == [True]
    assert _replay(str(CAPTURES / "blind_transfer" / "ami.raw"), database, capsys)[0] == 0
    assert _list_json(database, capsys) == _list_json(only_whole, capsys)
