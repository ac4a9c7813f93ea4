"""`callcenter serve --workers 2` as real processes on SQLite and Redis: one socket, both
workers answer, the database migrated once by the parent, a dead worker replaced, SIGTERM
(or the parent's death) leaving no process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from callcenter.cli import main

ROOT = Path(__file__).resolve().parents[2]
MIGRATED = "brought up to date; starting 2 workers"
NO_BUS = (
    "callcenter: --workers 2 needs CALLCENTER_BUS_URL (Redis): without it each worker "
    "would have its own consoles and board\n"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def workers_of(parent: int) -> set[int]:
    """The web workers `parent` spawned (multiprocessing's resource tracker left out)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == parent and fields[0] != "Z" and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


def tagged(tag: str) -> set[int]:
    """Running processes whose environment carries `tag` (SERVE_TEST=tag): the command and
    every process it started, wherever they were reparented."""
    marker = f"SERVE_TEST={tag}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "environ").read_bytes().split(b"\0"):
                found.add(int(entry.name))
        except OSError:
            continue
    return {pid for pid in found if alive(pid)}


def answers(base_url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=timeout) as response:
            return int(response.status) == 200
    except OSError:
        return False


class Serve:
    """A running `python -m callcenter serve --workers 2` and its log."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path, port: int, tag: str) -> None:
        self.process = process
        self.tag = tag
        self.log = log
        self.base_url = f"http://127.0.0.1:{port}"

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def workers(self) -> set[int]:
        return workers_of(self.process.pid)


def environment(tag: str = "", **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env["PYTHONPATH"] = str(ROOT)
    env["SERVE_TEST"] = tag
    env.update({f"CALLCENTER_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def serving(tmp_path: Path, redis_url: str) -> Iterator[Serve]:
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "callcenter", "serve", "--workers", "2"]
    command += ["--port", str(port), "--database", f"sqlite:///{tmp_path / 'cc.db'}"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment(str(tmp_path), bus_url=redis_url),
            cwd=tmp_path,
            start_new_session=True,  # its own group: the cleanup below reaches every child
        )
    serve = Serve(process, log, port, str(tmp_path))
    try:
        wait_for(
            lambda: serve.text().count("Application startup complete.") == 2,
            what="two workers started",
        )
        yield serve
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def answered_by_each(serve: Serve) -> set[int]:
    """The workers shown to answer alone: each, while the others are stopped (SIGSTOP, for
    less than the supervisor's 5 s health check), serves /healthz on the shared port."""
    shown = set()
    workers = serve.workers()
    for worker in workers:
        others = workers - {worker}
        for other in others:
            os.kill(other, signal.SIGSTOP)
        try:
            if answers(serve.base_url, timeout=2.0):
                shown.add(worker)
        finally:
            for other in others:
                os.kill(other, signal.SIGCONT)
    return shown


@pytest.mark.slow
def test_two_workers_share_the_port_migrated_once_replaced_and_stopped(
    tmp_path: Path, redis_url: str
) -> None:
    with serving(tmp_path, redis_url) as serve:
        first = serve.workers()
        assert len(first) == 2
        assert answered_by_each(serve) == first
        assert serve.text().count(MIGRATED) == 1
        engine = create_engine(f"sqlite:///{tmp_path / 'cc.db'}")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all()
        engine.dispose()

        dead = min(first)
        os.kill(dead, signal.SIGKILL)
        wait_for(lambda: len(serve.workers() - {dead}) == 2, what="the dead worker replaced")
        wait_for(lambda: serve.text().count("Application startup complete.") == 3)
        second = serve.workers()
        assert dead not in second
        assert answered_by_each(serve) == second
        assert serve.text().count(MIGRATED) == 1  # the replacement did not migrate

        serve.process.send_signal(signal.SIGTERM)
        assert serve.process.wait(20) == 0
        assert not [pid for pid in first | second if alive(pid)]
        # multiprocessing's resource tracker ends once the last of them has closed its pipe.
        wait_for(lambda: not tagged(serve.tag), 10, "processes left behind")
        assert not answers(serve.base_url, timeout=1.0)


@pytest.mark.slow
def test_workers_stop_when_the_parent_is_killed(tmp_path: Path, redis_url: str) -> None:
    with serving(tmp_path, redis_url) as serve:
        workers = serve.workers()
        serve.process.kill()
        serve.process.wait(10)
        wait_for(lambda: not any(alive(pid) for pid in workers), 15, "orphaned workers")
        wait_for(lambda: not tagged(serve.tag), 15, "orphaned processes")


# Loaded by every Python process of the test's command; breaks the app's start in the workers
# only (multiprocessing's spawned children), as an unreachable service would.
BROKEN_START = """
import sys
if "--multiprocessing-fork" in sys.argv:
    from contextlib import asynccontextmanager
    import callcenter.app

    @asynccontextmanager
    async def running(settings):
        raise RuntimeError("the app cannot start")
        yield

    callcenter.app.running = running
"""


@pytest.mark.slow
def test_a_worker_that_cannot_start_stops_them_all(tmp_path: Path, redis_url: str) -> None:
    """Not a restart loop: every worker would fail alike; exit 1, nothing left behind."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(BROKEN_START)
    env = environment(str(tmp_path), bus_url=redis_url)
    env["PYTHONPATH"] = f"{tmp_path / 'site'}{os.pathsep}{ROOT}"
    command = [sys.executable, "-m", "callcenter", "serve", "--workers", "2"]
    command += ["--port", str(free_port()), "--database", f"sqlite:///{tmp_path / 'cc.db'}"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True
    )
    try:
        _, log = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    assert process.returncode == 1
    assert b"failed to start, stopping the parent process" in log
    wait_for(lambda: not tagged(str(tmp_path)), 10, "processes left behind")


def test_workers_without_a_bus_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for variable in [v for v in os.environ if v.startswith("CALLCENTER_")]:
        monkeypatch.delenv(variable)
    database = tmp_path / "cc.db"
    code = main(["serve", "--workers", "2", "--port", "1", "--database", f"sqlite:///{database}"])
    assert (code, capsys.readouterr().err) == (2, NO_BUS)
    assert not database.exists()


def test_without_migrate_on_start_an_unmigrated_database_is_refused(
    tmp_path: Path,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for variable, value in environment(bus_url=redis_url, migrate_on_start="false").items():
        monkeypatch.setenv(variable, value)
    database = tmp_path / "cc.db"
    port = str(free_port())
    code = main(["serve", "--workers", "2", "--port", port, "--database", f"sqlite:///{database}"])
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith("callcenter: there is no database at ") and "db upgrade" in error
    assert error.count("\n") == 1
    assert not database.exists()


def test_the_worker_count_is_checked() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--workers", "0"])
    assert exited.value.code == 2
