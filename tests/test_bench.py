"""Every benchmark still runs: `bench/run_all.py --smoke` at tiny sizes (figures not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_every_benchmark_runs_at_a_tiny_size() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run_all.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    names = {p.stem for p in (ROOT / "bench").glob("*.py")} - {"run_all"}
    assert {line.removeprefix("== ") for line in result.stdout.splitlines()} >= names
