"""Simulated PBX throughput: calls/s and AMI events/s it serves to a connected client.

A 200-agent center with a high arrival rate runs at a high speed (--speed, default 40) for five
real seconds (--seconds) while one raw TCP client logged in with Events on reads everything.
Printed: simulated calls finished per real second, AMI events and bytes per real second
received by the client, and the lag between the simulation's clock and the wall clock at the
end (a positive lag means the PBX could not keep up with the requested speed). The demo and the
pop-latency benchmark need at least 100 calls/s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.pbx.pbx import PbxOptions, SimulatedPbx
from sim.scenario_file import parse_scenario

SCENARIO = """
seed = 3
[[queue]]
name = "support"
arrival_rate_per_hour = 36000
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 2
member_timeout_s = 15
retry_s = 2
talk = { distribution = "exponential", mean_s = 60 }
patience = { distribution = "exponential", mean_s = 60 }

[[agent]]
name = "agent"
count = 200
queues = ["support"]
ring = { distribution = "uniform", low_s = 1, high_s = 3 }
"""
SPEED = 40.0  # --speed: simulated seconds per real second
WALL_S = 5.0  # --seconds: real seconds measured


async def run() -> None:
    scenario = parse_scenario(SCENARIO, source="bench.toml")
    pbx = SimulatedPbx(scenario, PbxOptions(speed=SPEED, hold_share=0.1))
    await pbx.start("127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", pbx.port)
    writer.write(b"Action: Login\r\nUsername: crm\r\nSecret: crmsecret\r\n\r\n")
    counted = {"events": 0, "bytes": 0}

    async def read() -> None:
        tail = b""
        while True:
            chunk = await reader.read(1 << 20)
            if not chunk:
                return
            counted["bytes"] += len(chunk)
            # Count "\r\nEvent: " across chunk borders too.
            counted["events"] += (tail + chunk).count(b"\nEvent: ")
            tail = chunk[-8:]

    task = asyncio.create_task(read())
    started = time.perf_counter()
    lags: list[float] = []
    while time.perf_counter() - started < WALL_S:
        await asyncio.sleep(0.1)
        lags.append(pbx.clock.now() - pbx.link.engine.now)
    elapsed = time.perf_counter() - started
    calls = len(pbx.records)
    task.cancel()
    writer.close()
    await pbx.close()
    print(f"speed {SPEED:g}x for {elapsed:.1f} s real ({SPEED * elapsed:,.0f} s simulated)")
    print(f"calls finished:   {calls / elapsed:10,.0f} calls/s")
    print(f"events to client: {counted['events'] / elapsed:10,.0f} events/s")
    print(f"bytes to client:  {counted['bytes'] / elapsed / 1e6:10,.1f} MB/s")
    print(f"simulation behind the clock: max {max(lags):.2f} s simulated")


def main() -> None:
    global SPEED, WALL_S
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=SPEED)
    parser.add_argument("--seconds", type=float, default=WALL_S)
    args = parser.parse_args()
    SPEED, WALL_S = args.speed, args.seconds
    asyncio.run(run())


if __name__ == "__main__":
    main()
