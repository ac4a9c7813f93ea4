"""FastAGI routing at 100,000 customers: decision time at 100 calls/s, decisions/s at saturation.

Builds a migrated SQLite file with 100,000 customers (a tenth VIP, one in 97 blacklisted,
an open ticket with an assignee on every tenth, a preferred agent on every twentieth), 40
agents in two queues and a few admin rules, then runs `callcenter agi serve`'s server in a
child process pinned to one core. Over real TCP, as Asterisk does, it sends `route`
requests (callers in the formats a PBX presents, a fifth unknown) and reads every reply:

1. paced: `--rate` new calls a second for `--seconds`; the server's decision time (the
   `elapsed_ms` it stores per call) as p50, p99 and max, and the caller's wait from connect
   to close. Target: p99 under 10 ms.
2. saturation: `--clients` callers back to back for `--saturate` seconds: decisions/s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.db import make_engine, make_sessionmaker, transaction, upgrade
from callcenter.events import AgentStateChanged
from callcenter.queues.models import AgentSkill, QueueMembership, QueueNumber, ServiceQueue
from callcenter.queues.presence import Presence
from callcenter.queues.routing.live import PresenceLive
from callcenter.queues.routing.models import RouteDecisionRow
from callcenter.queues.routing.store import replace_rules
from callcenter.queues.routing.toml_io import read_rules
from callcenter.routing_wiring import build_router, start_agi_server
from callcenter.settings import Settings
from callcenter.users.models import User
from crm.customers.models import Customer, PhoneNumber
from crm.tickets.models import Ticket

TARGET_MS = 10.0
AGENTS = 40
RULES = """\
[[rule]]
name = "sales line"
position = 10
when = { did = ["+18005550200"] }
then = { queue = "sales" }

[[rule]]
name = "German speakers"
position = 20
when = { digits = ["2"] }
then = { skills = ["lang:de"] }
"""


def number(i: int) -> str:
    return f"+1555{i:07d}"


def populate(url: str, customers: int) -> None:
    """Customers, numbers, tickets, agents with memberships and skills, rules."""
    engine = make_engine(url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with transaction(make_sessionmaker(engine)) as session:
        for first in range(1, customers + 1, 10_000):
            ids = range(first, min(first + 10_000, customers + 1))
            session.execute(insert(Customer), [_customer(i, start) for i in ids])
            session.execute(
                insert(PhoneNumber),
                [{"e164": number(i), "raw": number(i), "customer_id": i} for i in ids],
            )
            tickets = [_ticket(i, start) for i in ids if i % 10 == 0]
            if tickets:
                session.execute(insert(Ticket), tickets)
        for name, did in (("support", "+18005550100"), ("sales", "+18005550300")):
            queue = ServiceQueue(name=name, display_name=name.title())
            queue.numbers = [QueueNumber(number=did)]
            session.add(queue)
        for a in range(1, AGENTS + 1):
            user = User(
                username=f"agent{a}", display_name=f"Agent {a}", role="agent", password_hash="x",
                interface=f"PJSIP/{1000 + a}", member_name=f"agent{a}",
            )  # fmt: skip
            session.add(user)
            session.flush()
            session.add(QueueMembership(user_id=user.id, queue="support", penalty=a % 3))
            session.add(QueueMembership(user_id=user.id, queue="sales", penalty=0))
            if a % 4 == 0:
                session.add(AgentSkill(user_id=user.id, skill="lang:de", level=1))
        replace_rules(session, read_rules(RULES))
    engine.dispose()


def _customer(i: int, start: datetime) -> dict[str, Any]:
    return {
        "id": i, "kind": "company", "name": f"Customer {i:06d}", "code": f"C{i:06d}",
        "category": "vip" if i % 10 == 3 else "regular", "blacklisted": i % 97 == 0,
        "preferred_agent": f"agent{i % AGENTS + 1}" if i % 20 == 0 else None,
        "country": "DE" if i % 7 == 0 else "US", "created_at": start, "updated_at": start,
    }  # fmt: skip


def _ticket(i: int, start: datetime) -> dict[str, Any]:
    return {
        "number": f"T-{i}", "customer_id": i, "subject": "s", "type": "incident",
        "priority": "high", "status": "open", "assignee": f"agent{(i // 10) % AGENTS + 1}",
        "created_at": start, "updated_at": start + timedelta(minutes=i % 1000),
    }  # fmt: skip


def serve(url: str, pipe: Connection, cpu: int | None) -> None:
    """The child: the routing server on one core until told to stop."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    asyncio.run(_serve(url, pipe))


async def _serve(url: str, pipe: Connection) -> None:
    engine = make_engine(url)
    settings = Settings(database_url=url, default_region="US")
    presence = Presence()
    bus = Bus()
    presence.subscribe(bus)
    now = datetime.now(UTC)
    for a in range(1, AGENTS + 1):  # half of the agents are signed in and free
        state = AgentState.AVAILABLE if a % 2 else AgentState.LOGGED_OUT
        bus.publish(AgentStateChanged(
            at=now, server="pbx", agent=f"agent{a}", interface=f"PJSIP/{1000 + a}",
            state=state, reason=None, queue=None, queues=("support", "sales"),
        ))  # fmt: skip
    router = build_router(make_sessionmaker(engine), settings, PresenceLive(presence), bus=bus)
    server = await start_agi_server(router, "127.0.0.1", 0)
    pipe.send(server.port)
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    await server.stop()
    router.close()
    pipe.send((router.fallbacks, server.dropped))
    engine.dispose()


def request(rng: random.Random, customers: int, seq: int) -> bytes:
    """A `route` request: a known caller in some PBX format, or an unknown one."""
    i = rng.randint(1, customers)
    caller = rng.choice([number(i), number(i)[1:], number(i)[2:], "00" + number(i)[1:]])
    if rng.random() < 0.2:
        caller = f"+4930{rng.randint(1_000_000, 9_999_999)}"
    did = rng.choice(["+18005550100", "+18005550200", "+18005550300"])
    digits = rng.choice(["", "", "1", "2"])
    return (
        "agi_network: yes\nagi_network_script: route\n"
        f"agi_request: agi://127.0.0.1/route\nagi_channel: PJSIP/trunk-{seq:08x}\n"
        f"agi_uniqueid: 1764669600.{seq}\nagi_callerid: {caller}\nagi_calleridname: Bench\n"
        f"agi_dnid: {did}\nagi_context: from-trunk\nagi_extension: {did}\n"
        f"agi_arg_1: {did}\nagi_arg_2: {digits}\n\n"
    ).encode()


async def call(port: int, payload: bytes) -> float:
    """One caller: connect, ask, answer each command, until the server closes; seconds."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    while await reader.readline():
        writer.write(b"200 result=1\n")
    writer.close()
    return time.perf_counter() - started


async def paced(port: int, rate: float, seconds: float, customers: int) -> list[float]:
    rng = random.Random(1)
    start = time.perf_counter()
    tasks = []
    for seq in range(int(rate * seconds)):
        delay = start + seq / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(call(port, request(rng, customers, seq))))
    return list(await asyncio.gather(*tasks))


async def saturate(port: int, clients: int, seconds: float, customers: int) -> int:
    rng = random.Random(2)
    done = 0
    end = time.perf_counter() + seconds

    async def caller(k: int) -> None:
        nonlocal done
        while time.perf_counter() < end:
            await call(port, request(rng, customers, 10_000_000 + k * 1_000_000 + done))
            done += 1

    await asyncio.gather(*(caller(k) for k in range(clients)))
    return done


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=100.0, help="new calls a second")
    parser.add_argument("--seconds", type=float, default=60.0, help="of paced calls")
    parser.add_argument("--saturate", type=float, default=10.0, help="seconds at saturation")
    parser.add_argument("--clients", type=int, default=32, help="callers back to back")
    parser.add_argument("--cpu", type=int, default=0, help="core for the server (-1: any)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agi-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        t0 = time.perf_counter()
        populate(url, args.customers)
        print(f"{args.customers} customers stored in {time.perf_counter() - t0:.1f} s")
        ours, theirs = multiprocessing.Pipe()
        cpu = None if args.cpu < 0 else args.cpu
        child = multiprocessing.Process(target=serve, args=(url, theirs, cpu))
        child.start()
        port = ours.recv()
        waits = asyncio.run(paced(port, args.rate, args.seconds, args.customers))
        time.sleep(0.5)  # the last decisions stored
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            decided = list(session.scalars(select(RouteDecisionRow.elapsed_ms)))
        count = asyncio.run(saturate(port, args.clients, args.saturate, args.customers))
        ours.send("stop")
        fallbacks, dropped = ours.recv()
        child.join()
        with make_sessionmaker(engine)() as session:
            stored = session.scalar(select(func.count()).select_from(RouteDecisionRow))
        engine.dispose()
    report(args, decided, waits, count, fallbacks, dropped, stored)
    return 0


def report(args: Any, decided: list[float], waits: list[float], count: int,
           fallbacks: int, dropped: int, stored: int | None) -> None:  # fmt: skip
    ms = [w * 1000 for w in waits]
    print(f"paced: {len(waits)} calls at {args.rate:g}/s over {args.seconds:g} s")
    print(
        f"  decision (server): p50 {statistics.median(decided):.2f} ms, "
        f"p99 {percentile(decided, 99):.2f} ms, max {max(decided):.2f} ms "
        f"(target p99 < {TARGET_MS:g} ms)"
    )
    print(
        f"  caller's wait (connect to close): p50 {statistics.median(ms):.2f} ms, "
        f"p99 {percentile(ms, 99):.2f} ms, max {max(ms):.2f} ms"
    )
    print(
        f"saturation: {count / args.saturate:.0f} decisions/s on one core "
        f"({args.clients} callers back to back for {args.saturate:g} s)"
    )
    print(f"fallbacks {fallbacks}, dropped {dropped}, decisions stored {stored}")


if __name__ == "__main__":
    raise SystemExit(main())
