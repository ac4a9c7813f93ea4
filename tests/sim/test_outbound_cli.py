"""`callcenter sim outbound` and `bench/dialer.py`: the modes side by side, and clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_json_has_the_figures_of_the_mode_asked(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["sim", "outbound", "--mode", "predictive", "--agents", "10", "--hours", "1", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"predictive"}
    day = out["predictive"]
    assert day["agents"] == 10
    assert day["dials"] >= day["connects"] + day["abandoned"] > 0
    assert 0 < day["occupancy"] < 1
    assert day["abandon_rate"] <= 0.03


def test_the_table_puts_the_three_modes_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["sim", "outbound", "--agents", "5", "--hours", "0.5", "--machine-share", "0.1"]) == 0
    )
    out = capsys.readouterr().out
    assert "5 agents, 0.5 h, 30% answered by a person, 10% machines" in out
    header = next(line for line in out.splitlines() if "preview" in line and "predictive" in line)
    assert header.split() == ["preview", "progressive", "predictive"]
    for row in ("occupancy", "abandon rate", "wait between calls", "dials/hour", "closed form"):
        assert row in out


def test_a_day_that_cannot_be_simulated_exits_2_with_one_sentence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sim", "outbound", "--answer-rate", "0.8", "--machine-share", "0.4"]) == 2
    assert capsys.readouterr().err.strip() == (
        "callcenter: the answer rate and machine share add up to more than 1"
    )
    with pytest.raises(SystemExit) as exit_:
        main(["sim", "outbound", "--cap", "1.5"])
    assert exit_.value.code == 2
    assert "--cap: must be at least 0 and at most 1" in capsys.readouterr().err


def test_the_bench_reports_the_target_line() -> None:
    bench = ROOT / "bench" / "dialer.py"
    result = subprocess.run(
        [sys.executable, str(bench), "--agents", "5", "--hours", "0.3"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("predictive occupancy ")
    assert "+ 25 points at abandon" in last
    assert last.endswith(("reached", "NOT reached"))
