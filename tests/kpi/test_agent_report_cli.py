"""`callcenter kpi report --by agent|team` on the hand-computed day of test_agent_report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from callcenter.cli import main

DAY = ("--from", "2026-03-02", "--to", "2026-03-03")


def run(capsys: pytest.CaptureFixture[str], database_url: str, *argv: str) -> tuple[int, str, str]:
    code = main(["kpi", "report", *DAY, *argv, "--database", database_url])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("stored")
def test_agent_json(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, database_url, "--by", "agent", "--interval", "15m", "--json")
    assert code == 0
    document = json.loads(out)
    assert set(document) == {"from", "to", "interval", "by", "agents", "intervals"}
    assert (document["interval"], list(document["agents"])) == ("15m", ["ann", "bob", "cy", "Zed"])
    ann = document["agents"]["ann"]
    assert (ann["answered"], ann["aht_s"], ann["paused_by_reason"]) == (2, 1260, {"Lunch": 830})
    first = document["intervals"][0]
    assert (first["start"], first["agent"], first["on_call_s"]) == (
        "2026-03-02T09:00:00+00:00",
        "ann",
        590,
    )


@pytest.mark.usefixtures("stored")
def test_interval_none_gives_the_period_only(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, database_url, "--by", "team", "--interval", "none", "--json")
    document = json.loads(out)
    assert (code, document["interval"], document["intervals"]) == (0, None, [])
    assert list(document["teams"]) == ["red", "(no team)"]


@pytest.mark.usefixtures("stored")
def test_team_csv(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, database_url, "--by", "team", "--interval", "60m", "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    red = [(r["start"][11:16], r["agents"], r["answered"], r["aht_s"], r["logged_in_s"])
           for r in rows if r["team"] == "red"]  # fmt: skip
    assert red == [
        ("09:00", "2", "1", "2460", "5400"),  # v1's talk and hold, Ann's wrap-up at 09:45
        ("10:00", "1", "1", "60", "900"),
        ("00:00", "2", "2", "1260", "6300"),  # the whole day
    ]
    # One column per pause reason.
    whole_red = rows[-2]
    assert (whole_red["paused_s:Lunch"], whole_red["paused_s:(no reason)"]) == ("830", "1200")


@pytest.mark.usefixtures("stored")
def test_csv_leaves_a_kpi_without_data_empty(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, database_url, "--by", "agent", "--interval", "15m", "--csv")
    bob = next(r for r in csv.DictReader(io.StringIO(out)) if r["agent"] == "bob")
    # Bob only paused 09:00-09:15: no calls, no busy or available time.
    assert (bob["answered"], bob["aht_s"], bob["occupancy"], bob["utilisation"]) == (
        "0",
        "",
        "",
        "0",
    )


@pytest.mark.usefixtures("stored")
def test_agent_table(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, database_url, "--by", "agent")
    assert code == 0
    assert "KPIs by agent" in out
    ann = next(line for line in out.splitlines() if line.startswith("Ann "))
    assert "red" in ann and "21:00" in ann and "68.9%" in ann and "1:15:00" in ann
    assert any("Ann" in line and "Lunch" in line and " 13:50" in line for line in out.splitlines())


@pytest.mark.usefixtures("stored")
def test_queue_stays_the_default(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, default, _ = run(capsys, database_url, "--json")
    _, explicit, _ = run(capsys, database_url, "--by", "queue", "--json")
    assert default == explicit
    assert set(json.loads(default)) == {"queues", "intervals"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--by", "agent", "--queue", "support"), "--queue filters queue reports only"),
        (("--by", "agent", "--interval", "5m"), "unknown interval '5m'"),
        (("--by", "team", "--to", "2026-03-01"), "--to must be after --from"),
        (("--by", "agent", "--from", "monday"), "not an ISO date or date-time: 'monday'"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(
    database_url: str, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, database_url, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("callcenter: ") and err.count("\n") == 1
    assert message in err


def test_an_unknown_by_is_one_sentence_and_exit_2(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        run(capsys, database_url, "--by", "floor")
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert "argument --by: invalid choice: 'floor'" in err and err.count("\n") == 1


def test_a_database_without_tables_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.db").touch()  # there, but never migrated
    code, _, err = run(capsys, f"sqlite:///{tmp_path / 'empty.db'}", "--by", "agent")
    assert code == 2
    assert "has no call records (run `callcenter db upgrade` first)" in err
