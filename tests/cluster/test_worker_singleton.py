"""Two real `callcenter worker` processes on one database and one Redis: the SLA sweep runs in
exactly one of them at a time, and the standby takes over within 5 s of the active's death."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SWEEP = re.compile(r"SLA sweep at (\S+) by process (\d+)")


def environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update({f"CALLCENTER_{name.upper()}": value for name, value in settings.items()})
    return env


class Worker:
    """`python -m callcenter -v worker`, its standard error in a file."""

    def __init__(self, log: Path, env: dict[str, str]) -> None:
        self.log = log
        with log.open("ab") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "callcenter", "-v", "worker"],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                cwd=ROOT,
            )

    def text(self) -> str:
        return self.log.read_text()

    def sweeps(self) -> list[tuple[datetime, int]]:
        return [(datetime.fromisoformat(at), int(pid)) for at, pid in SWEEP.findall(self.text())]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def wait_for(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until `check()` held; fails after `timeout`."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.02)
    return time.monotonic() - started


def test_two_workers_sweep_from_one_at_a_time_and_the_standby_takes_over(
    database_url: str, redis_url: str, tmp_path: Path, workers: list[Worker]
) -> None:
    env = environment(bus_url=redis_url, database_url=database_url, sla_check_interval_s="0.2")
    first = Worker(tmp_path / "first.log", env)
    workers.append(first)
    wait_for(lambda: "active: running the scheduled jobs" in first.text(), 30)
    second = Worker(tmp_path / "second.log", env)
    workers.append(second)
    wait_for(lambda: "standby: waiting for the scheduler's lease" in second.text(), 30)

    before = len(first.sweeps())
    time.sleep(3.0)  # longer than the lease's ttl: renewed, never taken over
    assert len(first.sweeps()) - before >= 8
    assert second.sweeps() == []
    assert "active" not in second.text()

    first.process.kill()  # a crash: no release, the lease expires
    killed = time.monotonic()
    took = wait_for(lambda: "active: running the scheduled jobs" in second.text(), 5.0)
    wait_for(lambda: len(second.sweeps()) >= 3, 5.0)
    print(f"the standby took over {took:.2f} s after the kill")

    # Each sweep from exactly one process: the first's all before the second's.
    swept_first, swept_second = first.sweeps(), second.sweeps()
    assert {pid for _, pid in swept_first} == {first.process.pid}
    assert {pid for _, pid in swept_second} == {second.process.pid}
    assert max(at for at, _ in swept_first) < min(at for at, _ in swept_second)
    assert time.monotonic() - killed < 10

    second.process.send_signal(signal.SIGTERM)
    assert second.process.wait(15) == 0, second.text()


def test_a_worker_on_sqlite_without_redis_is_refused_in_one_sentence(database_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "callcenter", "worker", "--database", database_url],
        capture_output=True,
        text=True,
        env=environment(),
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "needs CALLCENTER_BUS_URL or a PostgreSQL database" in done.stderr


def test_workers_on_postgres_without_redis_use_an_advisory_lock(
    pg_database_url: str, tmp_path: Path, workers: list[Worker]
) -> None:
    env = environment(database_url=pg_database_url, sla_check_interval_s="0.2")
    first = Worker(tmp_path / "first.log", env)
    workers.append(first)
    wait_for(lambda: "active: running the scheduled jobs" in first.text(), 30)
    second = Worker(tmp_path / "second.log", env)
    workers.append(second)
    wait_for(lambda: "standby" in second.text(), 30)
    time.sleep(1.5)
    assert second.sweeps() == [] and first.sweeps()
    first.process.kill()  # PostgreSQL ends its session, and the lock with it
    wait_for(lambda: "active: running the scheduled jobs" in second.text(), 5.0)
