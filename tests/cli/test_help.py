"""Help texts say each thing once and truly; the simulation reports the period asked for."""

from __future__ import annotations

import json
import re

import pytest

from callcenter.cli import main
from crm.customers.csv_io import COLUMNS, REQUIRED


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse's line breaks undone


def test_crm_import_names_each_column_once_required_or_optional(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_of(capsys, "crm", "import")
    required, optional = text.split("Required columns: ")[1].split("Optional: ")
    optional = optional.split(".")[0]
    assert required.startswith("name and phone ")
    listed = [name.strip() for name in optional.split(",")]
    assert not set(REQUIRED) & set(listed)
    assert set(listed) | set(REQUIRED) == set(COLUMNS)


def test_sim_pbx_shows_its_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys, "sim", "pbx")
    for option, default in [
        ("--host", "127.0.0.1"),
        ("--port", "5038"),
        ("--speed", "1"),
        ("--user", "crm"),
        ("--secret", "crmsecret"),
    ]:
        assert re.search(rf"{option} \S+ [^-]*\(default {re.escape(default)}\)", text), option


def test_kpi_report_lists_interval_none(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys, "kpi", "report")
    interval = text.split("--interval INTERVAL ")[1].split(" --json")[0]
    assert "15m, 30m, 60m, day or week" in interval
    assert "none" in interval


@pytest.mark.parametrize(("scenario", "hours"), [("intraday_peak", "40"), ("demo", "3")])
def test_sim_run_reports_the_hours_asked_for(
    scenario: str, hours: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # intraday_peak's callers stop in the evening: the last call ends hours before the period.
    assert main(["sim", "run", scenario, "--hours", hours]) == 0
    title = capsys.readouterr().out.splitlines()[0]
    assert f" calls over {float(hours):.1f} h " in title


def test_sim_run_by_calls_reports_until_the_last_call_ended(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sim", "run", "demo", "--calls", "100", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["queues"]
    assert main(["sim", "run", "demo", "--calls", "100"]) == 0
    title = capsys.readouterr().out.splitlines()[0]
    assert re.search(r": 100 calls over \d+\.\d h ", title), title
