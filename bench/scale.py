"""Several processes: screen pops through Redis with web workers, next to one process.

The distributed floor: the simulated PBX, one `callcenter cti run` (adapter, records, console
projector), `callcenter serve --workers N` and a Redis server, with `--agents` consoles
connected (spread over the workers by the kernel) and `--rate` calls per second. Then, in the
same run, the single process (`serve` with the adapter inside) on the same floor. Prints pop
latency from the PBX's AgentCalled to the console's socket (p50/p99/max, lost), the CPU each
process used, and the Redis commands per call.

    .venv/bin/python bench/scale.py [--agents 5000] [--rate 200] [--workers 4] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pop_latency as floor  # noqa: E402  (the same PBX, users and consoles as that bench)

TARGET_P99_MS = 100.0


@dataclass
class Phase:
    """One measured floor: its name, the processes whose CPU counts, and what it measured."""

    name: str
    pids: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


def _cpu_s(pid: int) -> float:
    return floor._process_cpu_s(pid) or 0.0


def _children(pid: int) -> list[int]:
    """The direct child processes of `pid` (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (its fork server, records writer and card lookups)."""
    found, todo = [], [pid]
    while todo:
        children = _children(todo.pop())
        found += children
        todo += children
    return sorted(found)


def _cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def _environment(database_url: str, bus_url: str | None, ami_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CALLCENTER_DATABASE_URL=database_url,
        CALLCENTER_SECRET_KEY=floor.SECRET,
        CALLCENTER_PBX_NAME="bench",
        CALLCENTER_SLA_CHECK_INTERVAL_S="3600",
        # Bots answer the next call at once: no console wrap-up pause between their calls.
        CALLCENTER_CONSOLE_WRAP_UP_DEFAULT_S="0",
        CALLCENTER_MIGRATE_ON_START="false",
    )
    if bus_url:
        env["CALLCENTER_BUS_URL"] = bus_url
    if ami_url:
        env["CALLCENTER_AMI_URL"] = ami_url
    return env


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "callcenter", *args], env=env, stdout=out, stderr=out
        )


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _wait_for_line(log: Path, words: str, process: subprocess.Popen[bytes], limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if words in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise SystemExit(f"{log.name} ended: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    raise SystemExit(f"no {words!r} in {log.name} after {limit:.0f} s")


def _redis_server(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = floor._free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise SystemExit("redis-server did not start") from None
            time.sleep(0.05)
    return process, f"redis://127.0.0.1:{port}/0"


def _redis_commands(url: str) -> int:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.info("stats")["total_commands_processed"])
    finally:
        client.close()


def _measure(phase: Phase, bus_url: str | None) -> Callable[[float, float], Awaitable[Any]]:
    """The window's timing, with every process's CPU and Redis's command count."""

    async def measure(seconds: float, warmup: float) -> tuple[float, float, str]:
        await asyncio.sleep(warmup)
        pids = dict(phase.pids)
        # The PBX process's helpers, started by then: the fork server, the records writer
        # and the card lookups (counted together, as that process's children).
        parent = phase.pids.get("cti run") or phase.pids.get("serve (adapter + web)", 0)
        helpers = [pid for pid in _descendants(parent) if "resource_tracker" not in _cmdline(pid)]
        pids["consoles (this process)"] = os.getpid()
        before = {name: _cpu_s(pid) for name, pid in pids.items()}
        helpers_before = sum(_cpu_s(pid) for pid in helpers)
        machine = floor._cpu_times()
        commands = _redis_commands(bus_url) if bus_url else 0
        start = time.monotonic()
        await asyncio.sleep(seconds)
        end = time.monotonic()
        after = {name: _cpu_s(pid) for name, pid in pids.items()}
        helpers_s = sum(_cpu_s(pid) for pid in helpers) - helpers_before
        load = floor._machine_load(machine, floor._cpu_times())
        cpu = ", ".join(
            f"{name} {(after[name] - before[name]) * 100 / (end - start):.0f} %" for name in pids
        )
        helpers_cpu = helpers_s * 100 / (end - start)
        cpu += f", the PBX process's {len(helpers)} helpers together {helpers_cpu:.0f} %"
        phase.lines.append(f"CPU per process: {cpu}")
        if bus_url:
            phase.lines.append(f"redis commands: {_redis_commands(bus_url) - commands}")
        return start, end, load

    return measure


def _run_phase(
    phase: Phase, args: argparse.Namespace, tmp: Path, distributed: bool
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    database_url = f"sqlite:///{tmp}/{phase.name}.db"
    sent_path = str(tmp / f"{phase.name}-sent.json")
    ids = floor._seed(database_url, floor._phones(args.agents, args.rate))
    port_q, go, stop = ctx.Queue(), ctx.Event(), ctx.Event()
    pbx = ctx.Process(
        target=floor._pbx_process, args=(args.agents, args.rate, port_q, go, stop, sent_path)
    )
    pbx.start()
    phase.pids["simulated PBX"] = pbx.pid or 0
    ami_url = f"ami://crm:crmsecret@127.0.0.1:{port_q.get(timeout=60)}"
    web_port = floor._free_port()
    redis_process = cti = web = None
    bus_url = None
    try:
        if distributed:
            redis_process, bus_url = _redis_server(tmp)
            phase.pids["redis-server"] = redis_process.pid
            env = _environment(database_url, bus_url, None)
            cti_log = tmp / "cti.log"
            cti = _start(["cti", "run", "--ami", ami_url, "--server", "bench"], env, cti_log)
            _wait_for_line(cti_log, "connected to the PBX", cti, 60)
            phase.pids["cti run"] = cti.pid
            serve = ["serve", "--port", str(web_port), "--workers", str(args.workers)]
            web = _start(serve, env, tmp / "web.log")
        else:
            env = _environment(database_url, None, ami_url)
            web = _start(["serve", "--port", str(web_port)], env, tmp / "single.log")
        floor._wait_for_port(web_port)
        if distributed:
            time.sleep(1.0)  # every worker has bound by now
            phase.pids["serve (parent)"] = web.pid
            workers = [pid for pid in _children(web.pid) if "resource_tracker" not in _cmdline(pid)]
            for number, pid in enumerate(workers, start=1):
                phase.pids[f"web worker {number}"] = pid
        else:
            phase.pids["serve (adapter + web)"] = web.pid
        received, cards, connected, start, end, load = asyncio.run(
            floor._consoles(
                web_port, ids, args.seconds, args.warmup, go, 0, _measure(phase, bus_url)
            )
        )
    finally:
        _stop(web)
        _stop(cti)
        stop.set()
        pbx.join(timeout=30)
        if redis_process is not None:
            redis_process.kill()
            redis_process.wait(10)
    sent = json.loads(Path(sent_path).read_text())
    window = [(i, linkedid, at) for i, linkedid, at in sent if start <= at <= end]
    latencies = floor._latencies(window, received)
    calls = len({linkedid for _, linkedid, _ in window})
    return {
        "window": window,
        "latencies": latencies,
        "cards": floor._latencies(window, cards),
        "connected": connected,
        "calls": calls,
        "seconds": end - start,
        "load": load,
    }


def _print(phase: Phase, result: dict[str, Any]) -> float | None:
    latencies = result["latencies"]
    print(f"== {phase.name}")
    print(
        f"consoles connected {result['connected']}, offered "
        f"{result['calls'] / result['seconds']:.1f} calls/s over {result['seconds']:.0f} s, "
        f"{len(result['window'])} AgentCalled measured"
    )
    if not latencies:
        print("no pop arrived to measure")
        return None
    p50, p99 = floor._percentiles(latencies)
    lost = len(result["window"]) - len(latencies)
    print(
        f"pop latency AgentCalled -> console: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {latencies[-1]:.1f} ms; pops lost {lost}"
    )
    if result["cards"]:
        c50, c99 = floor._percentiles(result["cards"])
        print(f"customer card: p50 {c50:.1f} ms, p99 {c99:.1f} ms")
    for line in phase.lines:
        if line.startswith("redis commands: "):
            total = int(line.removeprefix("redis commands: "))
            print(f"redis commands per call: {total / max(1, result['calls']):.1f}")
        else:
            print(line)
    print(f"machine: {result['load']}")
    return p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200.0, help="calls per second")
    parser.add_argument("--workers", type=int, default=4, help="web worker processes")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--no-single", action="store_true", help="skip the one-process floor")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        several = Phase(f"several processes: cti run + serve --workers {args.workers} + redis")
        p99_several = _print(several, _run_phase(several, args, tmp, distributed=True))
        if args.no_single:
            return 0 if p99_several is not None else 1
        single = Phase("one process: serve with the adapter inside")
        p99_single = _print(single, _run_phase(single, args, tmp, distributed=False))
    if p99_several is not None and p99_single:
        print(
            f"p99 several processes / one process: {p99_several / p99_single:.2f} "
            f"(target p99 < {TARGET_P99_MS:.0f} ms across processes)"
        )
    return 0 if p99_several is not None else 1


if __name__ == "__main__":
    raise SystemExit(main())
