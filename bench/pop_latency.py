"""Screen-pop latency: AgentCalled leaving the simulated PBX -> pop frame at the agent's browser.

1,000 agents, each with a console websocket open; the simulated PBX offers 100 calls/s. Three
processes, as in production: the PBX, the web app (CTI adapter + console), and the 1,000
consoles. Both ends stamp with CLOCK_MONOTONIC (`time.monotonic`), which is one clock for
every process on the machine. Prints p50, p99 and max, and how many pops were lost.

The pop frame (caller number and name, queue, time waited) is what is measured against the
target. The customer card follows it as a second frame once the number is looked up; its
arrival, from the same AgentCalled, is printed too, with its own p50/p99 and losses.

    .venv/bin/python bench/pop_latency.py [--agents 1000] [--rate 100] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing as mp
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "pop-latency-bench-key-of-32-characters"
# How a numbered console frame opens (agent_ui.hub.numbered_frame).
_NUMBERED = re.compile(r'\{"seq":([1-9][0-9]*),"type":"([\w.-]*)"')

SCENARIO = """
seed = 5
server = "bench"

[callers]
known_share = 0.5
numbers = ["+15551230001", "+15551230002", "+15551230003", "+15551230004"]
names = ["Ann Customer", "Ben Customer", "Cara Customer", "Dan Customer"]

[[queue]]
name = "support"
arrival_rate_per_hour = {rate_per_hour}
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 0
talk = {{ distribution = "deterministic", mean_s = 4 }}

[[agent]]
name = "agent"
count = {agents}
queues = ["support"]
"""


def _pbx_process(
    agents: int, rate: float, port_out: Any, go: Any, stop: Any, sent_path: str
) -> None:
    """The simulated PBX; notes when each AgentCalled frame is written to the AMI clients.

    Callers dial in (as an AMI Originate into `queues,support` would send them) at `rate`
    per second, Poisson, from the moment `go` is set: the consoles are all connected by then.
    """
    import random

    from sim.pbx.pbx import PbxOptions, SimulatedPbx
    from sim.scenario_file import parse_scenario

    async def main() -> None:
        text = SCENARIO.format(rate_per_hour=rate * 3600, agents=agents)
        options = PbxOptions(hold_share=0, auto_arrivals=False)
        pbx = SimulatedPbx(parse_scenario(text, "bench.toml"), options)
        sent: list[tuple[str, str, float]] = []

        def stamp(event: Any) -> None:
            if event.name == "AgentCalled":
                headers = dict(event.headers)
                sent.append((headers["Interface"], headers["Linkedid"], time.monotonic()))

        # After the server's own listener: the frame is in the socket's buffer by then.
        pbx.listeners.append(stamp)
        await pbx.start("127.0.0.1", 0)
        port_out.put(pbx.port)
        while not go.is_set() and not stop.is_set():
            await asyncio.sleep(0.05)
        rng = random.Random(5)
        callers = [(f"+1555123000{i}", f"Customer {i}") for i in range(1, 5)]
        due = time.monotonic()
        while not stop.is_set():
            due += rng.expovariate(rate)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            number, name = rng.choice(callers)
            channel = f"Local/{number}@customer/n"
            pbx.originate(channel, "support", "queues", f'"{name}" <{number}>', None)
        await pbx.close()
        Path(sent_path).write_text(json.dumps(sent))

    asyncio.run(main())


def _app_process(database_url: str, ami_port: int, web_port: int) -> None:
    """The web app with the CTI adapter, as `callcenter serve` runs it."""
    import uvicorn

    from callcenter.app import create_app, server_options
    from callcenter.settings import Settings

    # Bots answer the next call at once: no console wrap-up pause between their calls.
    os.environ["CALLCENTER_CONSOLE_WRAP_UP_DEFAULT_S"] = "0"
    settings = Settings(
        database_url=database_url,
        ami_url=f"ami://crm:crmsecret@127.0.0.1:{ami_port}",
        pbx_name="bench",
        secret_key=SECRET,
        sla_check_interval_s=3600,
    )
    uvicorn.run(
        create_app(settings),
        host="127.0.0.1",
        port=web_port,
        log_level="error",
        **server_options(settings),
    )


def _phones(agents: int, rate: float) -> dict[str, str]:
    """Each simulated agent's member name -> phone (interface), as the simulated PBX names them."""
    from sim.pbx.pbx import SimulatedPbx
    from sim.scenario_file import parse_scenario

    text = SCENARIO.format(rate_per_hour=rate * 3600, agents=agents)
    pbx = SimulatedPbx(parse_scenario(text, "bench.toml"))
    return {name: device.interface for name, device in pbx.board.devices.items()}


def _seed(database_url: str, phones: dict[str, str]) -> dict[str, int]:
    """One user per simulated agent (cheap password hashing: nobody signs in with one here)."""
    from argon2 import PasswordHasher

    from callcenter.db import make_engine, make_sessionmaker, transaction, upgrade
    from callcenter.users import service as users_service
    from crm.customers.schemas import CustomerCreate, PhoneIn
    from crm.customers.service import create_customer

    users_service._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    upgrade(database_url)
    engine = make_engine(database_url)
    ids = {}
    with transaction(make_sessionmaker(engine)) as session:
        for name, interface in phones.items():
            user = users_service.create_user(
                session,
                name,
                role=users_service.Role.AGENT,
                password="not-used-here",
                interface=interface,
                member_name=name,
                queues=[("support", 0)],
            )
            ids[interface] = user.id
        for i, name in enumerate(["Ann Customer", "Ben Customer", "Cara Customer"], start=1):
            phone = PhoneIn(number=f"+1555123000{i}")
            create_customer(session, CustomerCreate(name=name, phones=[phone]), "US")
    engine.dispose()
    return ids


Arrival = tuple[str, str, float]


async def _consoles(
    web_port: int,
    ids: dict[str, int],
    seconds: float,
    warmup: float,
    go: Any,
    app_pid: int,
    measure: Any = None,
) -> tuple[list[Arrival], list[Arrival], int, float, float, str]:
    """Open one console per agent, collect pops and cards: (interface, linkedid, arrival).

    `measure(seconds, warmup)` times the window (default: the machine and `app_pid`'s CPU).
    """
    import websockets

    from callcenter.users.auth import SESSION_COOKIE, SessionSigner

    signer = SessionSigner(SECRET)
    received: list[Arrival] = []
    cards: list[Arrival] = []
    connected = 0

    # Consoles open a few dozen at a time, as a shift's agents arrive over minutes, not at once.
    opening = asyncio.Semaphore(25)

    async def console(interface: str, user_id: int, ready: asyncio.Event) -> None:
        nonlocal connected
        cookie, _ = signer.issue(user_id)
        url = f"ws://127.0.0.1:{web_port}/ws/console"
        async with opening:
            ws = await websockets.connect(
                url,
                additional_headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
                max_queue=None,
                open_timeout=60,
                # A browser answers the server's pings and sends none of its own.
                ping_interval=None,
            )
            await ws.recv()  # hello
        async with ws:
            connected += 1
            if connected == len(ids):
                ready.set()
            async for text in ws:
                arrived = time.monotonic()
                # A numbered frame opens with its sequence and type: only pops and cards are
                # decoded whole (the consoles stand for browsers on other machines).
                numbered = _NUMBERED.match(text) if isinstance(text, str) else None
                if numbered is None:
                    continue  # an unnumbered frame (a queue's callers waiting): no ack
                if numbered[2] == "pop":
                    frame = json.loads(text)
                    received.append((interface, frame["call"]["linkedid"], arrived))
                elif numbered[2] == "card":
                    frame = json.loads(text)
                    cards.append((interface, frame["linkedid"], arrived))
                # As the console does: every numbered frame is acked.
                await ws.send(f'{{"ack":{numbered[1]}}}')

    ready = asyncio.Event()
    tasks = [
        asyncio.create_task(console(interface, user_id, ready))
        for interface, user_id in ids.items()
    ]
    await asyncio.wait_for(ready.wait(), timeout=120)
    # The consoles stand for browsers on other machines: this process's garbage collections
    # must not be counted as the server's latency. Their objects stay to the end (frozen, out
    # of full collections), and no collection runs while pops are measured: with 5,000
    # consoles a full one here stopped this loop, and every pop it was receiving, for 200 to
    # 480 ms (bench/scale.py's window; the frames received meanwhile are young objects).
    gc.freeze()
    gc.disable()
    go.set()  # callers start dialling in
    try:
        if measure is None:
            start, end, load = await _measured_window(seconds, warmup, app_pid)
        else:
            start, end, load = await measure(seconds, warmup)
        await asyncio.sleep(3.0)  # pops of calls offered just before the end still arrive
    finally:
        gc.enable()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return received, cards, connected, start, end, load


async def _measured_window(seconds: float, warmup: float, app_pid: int) -> tuple[float, float, str]:
    """After the warm-up, the window's start and end, and what the machine did meanwhile."""
    await asyncio.sleep(warmup)
    start, cpu_before, app_before = time.monotonic(), _cpu_times(), _process_cpu_s(app_pid)
    await asyncio.sleep(seconds)
    end, cpu_after, app_after = time.monotonic(), _cpu_times(), _process_cpu_s(app_pid)
    load = _machine_load(cpu_before, cpu_after)
    if app_before is not None and app_after is not None:
        load += f"; web app process CPU {(app_after - app_before) * 100 / (end - start):.0f} %"
    return start, end, load


def _cpu_times() -> list[int]:
    """The machine's CPU time counters (user, nice, system, idle, iowait, irq, softirq, steal)."""
    with contextlib.suppress(OSError), open("/proc/stat") as stat:
        return [int(field) for field in stat.readline().split()[1:9]]
    return []


def _process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far, or None off Linux."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


def _machine_load(before: list[int], after: list[int]) -> str:
    """How busy the whole machine was during the window: the figures are only as good as this."""
    load = f"load average {os.getloadavg()[0]:.2f}"
    if len(before) < 8 or len(after) < 8:
        return load
    spent = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(spent) or 1
    busy = total - spent[3] - spent[4] - spent[7]
    return (
        f"{load}, CPU during the window: busy {busy * 100 / total:.0f} %, "
        f"idle {spent[3] * 100 / total:.0f} %, steal {spent[7] * 100 / total:.0f} %"
    )


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="calls per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/bench.db"
        sent_path = os.path.join(tmp, "sent.json")
        ids = _seed(database_url, _phones(args.agents, args.rate))
        port_q, go, stop = ctx.Queue(), ctx.Event(), ctx.Event()
        pbx = ctx.Process(
            target=_pbx_process, args=(args.agents, args.rate, port_q, go, stop, sent_path)
        )
        pbx.start()
        ami_port = port_q.get(timeout=60)
        web_port = _free_port()
        app = ctx.Process(target=_app_process, args=(database_url, ami_port, web_port))
        app.start()
        try:
            _wait_for_port(web_port)
            received, cards, connected, start, end, load = asyncio.run(
                _consoles(web_port, ids, args.seconds, args.warmup, go, app.pid or 0)
            )
        finally:
            # The app first, so its adapter logs off before the PBX goes away.
            if app.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(app.pid, signal.SIGINT)
            app.join(timeout=30)
            stop.set()
            pbx.join(timeout=30)
        sent = json.loads(Path(sent_path).read_text())
    _report(args, sent, received, cards, connected, start, end)
    print(f"machine: {load}")
    return 0


def _wait_for_port(port: int, timeout: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise SystemExit(f"the web app did not start on port {port}")


def _latencies(window: list[Arrival], received: list[Arrival]) -> list[float]:
    """Milliseconds from each AgentCalled in the window to its frame's arrival, sorted."""
    arrivals = {(interface, linkedid): at for interface, linkedid, at in received}
    return sorted(
        (arrivals[(i, linkedid)] - at) * 1000
        for i, linkedid, at in window
        if (i, linkedid) in arrivals
    )


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return p50, p99


def _report(
    args: argparse.Namespace,
    sent: list[list[Any]],
    received: list[Arrival],
    cards: list[Arrival],
    connected: int,
    start: float,
    end: float,
) -> None:
    window: list[Arrival] = [(i, linkedid, at) for i, linkedid, at in sent if start <= at <= end]
    latencies = _latencies(window, received)
    lost = len(window) - len(latencies)
    calls = len({linkedid for _, linkedid, _ in window})
    if not latencies:
        print(
            f"no pop arrived to measure ({len(sent)} AgentCalled sent, {len(received)} pops, "
            f"{connected} consoles)"
        )
        return
    p50, p99 = _percentiles(latencies)
    print(
        f"agents {args.agents} (consoles connected {connected}), offered "
        f"{calls / (end - start):.1f} calls/s over {end - start:.0f} s, "
        f"{len(window)} AgentCalled frames measured"
    )
    print(
        f"pop latency AgentCalled -> console: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {latencies[-1]:.1f} ms; pops lost {lost}  (target p99 < 50 ms)"
    )
    card_latencies = _latencies(window, cards)
    if card_latencies:
        c50, c99 = _percentiles(card_latencies)
        print(
            f"customer card AgentCalled -> console: p50 {c50:.1f} ms, p99 {c99:.1f} ms, "
            f"max {card_latencies[-1]:.1f} ms; cards lost {len(window) - len(card_latencies)}"
        )
    else:
        print(f"no customer card arrived ({len(cards)} card frames in all)")


if __name__ == "__main__":
    raise SystemExit(main())
