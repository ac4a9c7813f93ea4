"""`callcenter sim pbx SCENARIO`: run the simulated PBX as an AMI server until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from callcenter.cli import port_number
from sim.scenario import ScenarioError
from sim.scenario_file import load_scenario

DEFAULT_USER = "crm"
DEFAULT_SECRET = "crmsecret"


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def add_pbx_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pbx` to the `sim` command group."""
    parser = commands.add_parser(
        "pbx",
        help="serve AMI as Asterisk 22 would, driven by the simulation",
        description="Run the simulated PBX: an AMI server on a TCP port, speaking as Asterisk 22 "
        "does, whose calls come from the scenario's simulation.",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file or bundled name")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=port_number, default=5038, help="AMI port (default 5038)")
    parser.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        help="simulated seconds per real second (default 1)",
    )
    parser.add_argument(
        "--user",
        default=DEFAULT_USER,
        help=f"AMI username clients log in with (default {DEFAULT_USER})",
    )
    parser.add_argument(
        "--secret", default=DEFAULT_SECRET, help=f"AMI secret (default {DEFAULT_SECRET})"
    )
    parser.add_argument(
        "--local-channels",
        action="store_true",
        help="name channels as the capture PBX did (Local/...;1) instead of PJSIP",
    )
    parser.add_argument(
        "--no-timestamps",
        action="store_true",
        help="leave out the Timestamp header (Asterisk's timestampevents = no)",
    )
    parser.add_argument(
        "--no-arrivals",
        action="store_true",
        help="no random callers: only those sent in with AMI Originate into a queue",
    )
    parser.add_argument(
        "--humans-in-queues",
        action="store_true",
        help="start `human = true` agents in their queues (default: logged out until a "
        "console signs them in with QueueAdd)",
    )
    parser.add_argument(
        "--agi",
        metavar="URL",
        help="route callers of the scenario's DIDs (queues' `numbers`) by asking this FastAGI "
        "server first, as Asterisk's [from-trunk] does, e.g. agi://127.0.0.1:4573/route "
        "(default: the scenario's [routing] agi; none: DIDs lead straight to their queue)",
    )
    parser.add_argument(
        "--default-queue",
        metavar="QUEUE",
        help="the queue when the routing server cannot be reached or names none "
        "(default: the scenario's [routing] default_queue, else support)",
    )
    parser.add_argument(
        "--dialplan-events",
        action="store_true",
        help="also send the dialplan class's VarSet of campaign calls' variables and AMD's "
        "results (an AMI user with `read = ...,dialplan`)",
    )
    parser.set_defaults(func=run_pbx)


def run_pbx(args: argparse.Namespace) -> int:
    """Load the scenario, start the server, run until Ctrl-C or SIGTERM."""
    from callcenter.cli import UsageError
    from sim.pbx.agi_client import parse_agi_url
    from sim.pbx.pbx import PbxOptions, SimulatedPbx

    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from exc
    routing = scenario.routing
    agi_url = args.agi or routing.agi_url
    if agi_url:
        try:
            parse_agi_url(agi_url)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    default_queue = args.default_queue or routing.default_queue
    if default_queue not in {q.name for q in scenario.queues} and agi_url:
        raise UsageError(f"the default queue {default_queue!r} is not a queue of the scenario")
    options = PbxOptions(
        speed=args.speed,
        local_channels=args.local_channels,
        timestamps=not args.no_timestamps,
        username=args.user,
        secret=args.secret,
        auto_arrivals=not args.no_arrivals,
        humans_logged_out=not args.humans_in_queues,
        agi_url=agi_url,
        default_queue=default_queue,
        preferred_wait_s=routing.preferred_wait_s,
        dialplan_events=args.dialplan_events,
    )

    async def serve() -> None:
        pbx = SimulatedPbx(scenario, options)
        try:
            await pbx.start(args.host, args.port)
        except OSError as exc:
            raise UsageError(f"cannot listen on {args.host}:{args.port} ({exc.strerror})") from exc
        routed = f"; DID callers routed by {agi_url}" if agi_url else ""
        print(
            f"simulated PBX on {args.host}:{pbx.port} (user {args.user}, speed {args.speed}x)"
            f"{routed}; Ctrl-C stops it",
            file=sys.stderr,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await pbx.close()
        print(f"{len(pbx.records)} calls simulated", file=sys.stderr)

    asyncio.run(serve())
    return 0
