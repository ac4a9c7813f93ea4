"""Runs every benchmark in this folder, one process each, and prints their figures.

`--smoke` runs each at a tiny size (seconds, figures meaningless): `make test` does this so a
benchmark that no longer runs is noticed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
# Every benchmark's tiny size; one without an entry fails the smoke run.
SMOKE_ARGS = {
    "agent_report": ["--agents", "3", "--days", "1"],
    "agi_route": [
        "--customers",
        "300",
        "--rate",
        "20",
        "--seconds",
        "1",
        "--saturate",
        "0.5",
        "--clients",
        "2",
        "--cpu",
        "-1",
    ],
    "ami_ingest": ["--events", "3000"],
    "ami_live": ["--capture", str(HERE.parent / "tests/fixtures/ami/answered/ami.raw")],
    "dialer": [
        "--agents",
        "5",
        "--hours",
        "0.2",
        "--pbx",
        "--speed",
        "10",
        "--real-s",
        "3",
    ],
    "kpi_report": ["--calls", "2000", "--events", "3000"],
    "lookup": ["--customers", "300", "--requests", "40"],
    "pbx_throughput": ["--speed", "20", "--seconds", "1"],
    "pop_latency": ["--agents", "10", "--rate", "5", "--seconds", "1", "--warmup", "0.5"],
    "scale": [
        "--agents",
        "10",
        "--rate",
        "5",
        "--workers",
        "2",
        "--seconds",
        "1",
        "--warmup",
        "0.5",
    ],
    "sim_speed": ["--calls", "2000", "--rounds", "1", "--million-calls", "5000"],
}


def benchmarks() -> list[Path]:
    """The benchmark scripts, by name."""
    return sorted(
        script
        for script in HERE.glob("*.py")
        if script.name not in {"run_all.py", "__init__.py"} and not script.name.startswith("_")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check they run")
    args = parser.parse_args()
    failed = []
    for script in benchmarks():
        print(f"== {script.stem}", flush=True)
        extra: list[str] = []
        if args.smoke:
            if script.stem not in SMOKE_ARGS:
                print(f"no smoke size for {script.stem}: add it to SMOKE_ARGS", file=sys.stderr)
                failed.append(script.stem)
                continue
            extra = SMOKE_ARGS[script.stem]
        result = subprocess.run([sys.executable, str(script), *extra], check=False)
        if result.returncode != 0:
            failed.append(script.stem)
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
