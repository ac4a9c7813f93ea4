"""`callcenter demo`: the web app, the simulated PBX, the CTI adapter and demo data, at once."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from callcenter.cli import UsageError, add_database_option, port_number, settings_from
from callcenter.db import make_engine, make_sessionmaker, transaction, upgrade
from callcenter.settings import DEFAULT_DATABASE_URL, Settings, masked_url, parse_listen
from callcenter.users.cli import check_session_key
from callcenter.users.exceptions import WeakPassword
from callcenter.users.passwords import check_password

DEMO_SCENARIO = "demo"
AMI_USER, AMI_SECRET = "crm", "crmsecret"


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def register(groups: Any) -> None:
    """Add `callcenter demo`."""
    parser = groups.add_parser(
        "demo",
        help="run the web app against the simulated PBX, with demo data",
        description="Start the simulated PBX (demo scenario) on a free local port, the web app "
        "with the CTI adapter connected to it, and demo customers, tickets, articles and users.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="web address (default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8000, help="web port (default 8000)")
    parser.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        help="simulated seconds per real second (default 1); above 1 the PBX's clock runs "
        "ahead of yours, so calls are stamped later than now: give reports a later To",
    )
    parser.add_argument(
        "--password", help="one password for every demo user (default: random, printed)"
    )
    routing = parser.add_mutually_exclusive_group()
    routing.add_argument(
        "--agi",
        type=_agi_url,
        metavar="URL",
        help="route the simulated DID callers by this FastAGI server (agi://host:4573/route, "
        "e.g. one `callcenter agi serve` runs) instead of the app's own",
    )
    routing.add_argument(
        "--no-routing",
        action="store_true",
        help="do not route: each DID leads straight to its queue (by default the app's own "
        "routing server answers, on CALLCENTER_AGI_LISTEN or a free port of 127.0.0.1)",
    )
    add_database_option(parser)
    parser.set_defaults(func=run_demo)


def _agi_url(text: str) -> str:
    from sim.pbx.agi_client import parse_agi_url

    try:
        return parse_agi_url(text).url
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def prepare_database(settings: Settings, password: str | None) -> dict[str, str]:
    """Migrate the database and add the demo data; returns the demo users' passwords."""
    from agent_ui.demo_data import seed_demo, users_not_of_the_demo

    if password is not None:
        try:  # every demo user gets it, the admin too
            check_password(password, "admin")
        except WeakPassword as exc:
            raise UsageError(f"--password: {exc}") from exc
    if settings.database_url.startswith("sqlite:///./"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            # The demo resets its users' passwords and adds its data: never in a database
            # people work in.
            others = users_not_of_the_demo(session)
            if others:
                raise UsageError(
                    f"{masked_url(settings.database_url)} holds users the demo did not create "
                    f"({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}); give the "
                    "demo a database of its own: --database sqlite:///./var/demo.db"
                )
            return seed_demo(session, settings.default_region, password, settings.time_zone)
    finally:
        engine.dispose()


@asynccontextmanager
async def simulated_pbx(speed: float, agi_url: str | None = None) -> AsyncIterator[Any]:
    """The demo scenario's PBX speaking AMI on a free port of 127.0.0.1; with `agi_url`
    (agi://host:port/route) it asks that routing server where each DID caller goes."""
    from sim.pbx.pbx import PbxOptions, SimulatedPbx
    from sim.scenario_file import load_scenario

    scenario = load_scenario(DEMO_SCENARIO)
    # agent1 (human) is outside the queues until they sign in at the console.
    options = PbxOptions(
        speed=speed,
        username=AMI_USER,
        secret=AMI_SECRET,
        humans_logged_out=True,
        agi_url=agi_url,
    )
    pbx = SimulatedPbx(scenario, options)
    await pbx.start("127.0.0.1", 0)
    try:
        yield pbx
    finally:
        await pbx.close()


def demo_settings(base: Settings, pbx_port: int, server: str, speed: float = 1.0) -> Settings:
    """The app's settings pointed at the simulated PBX (whose clock runs `speed` times real
    time: the dialer keeps to it).

    Session cookies are signed with the key kept beside the demo database (or
    CALLCENTER_SECRET_KEY), so a restarted demo keeps its users signed in.
    """
    return base.model_copy(
        update={
            "ami_url": f"ami://{AMI_USER}:{AMI_SECRET}@127.0.0.1:{pbx_port}",
            "pbx_name": server,
            "pbx_clock_speed": speed,
        }
    )


def demo_routing(
    base: Settings, agi_url: str | None, *, routing: bool = True
) -> tuple[Settings, str | None]:
    """Where the demo's PBX asks for routing, and the settings that make the app answer it.

    `--agi` names a routing server of one's own; else the app's own one listens on
    CALLCENTER_AGI_LISTEN, or on a free port of 127.0.0.1 picked here; without `routing`
    (`--no-routing`) nobody is asked and the app listens nowhere.
    """
    if not routing:
        return base.model_copy(update={"agi_listen": None}), None
    if agi_url:
        return base, agi_url
    listen = base.agi_listen
    if not listen:
        listen = f"127.0.0.1:{free_loopback_port()}"
        base = base.model_copy(update={"agi_listen": listen})
    host, port = parse_listen(listen)
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return base, f"agi://{host if ':' not in host else f'[{host}]'}:{port}/route"


def free_loopback_port() -> int:
    """A TCP port of 127.0.0.1 free now (the kernel's pick), for a server of this process
    that binds it moments later: the routing server, whose address the PBX needs first."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror})") from exc


def run_demo(args: argparse.Namespace) -> int:
    """Everything in one process until Ctrl-C."""
    import uvicorn

    from callcenter.app import create_app, server_options

    base = settings_from(args)
    if not args.database:
        # The file every other command reads by default, so `callcenter kpi report` and the
        # rest see the demo's calls; never CALLCENTER_DATABASE_URL's database, which may be
        # one people work in (--database can still name it).
        base = base.model_copy(update={"database_url": DEFAULT_DATABASE_URL})
    _check_port_free(args.host, args.port)
    check_session_key(base)
    passwords = prepare_database(base, args.password)

    base, agi_url = demo_routing(base, args.agi, routing=not args.no_routing)

    async def serve() -> None:
        async with simulated_pbx(args.speed, agi_url) as pbx:
            settings = demo_settings(base, pbx.port, pbx.scenario.server, args.speed)
            config = uvicorn.Config(
                create_app(settings),
                host=args.host,
                port=args.port,
                log_level="warning",
                **server_options(settings),
            )
            server = uvicorn.Server(config)
            _announce(args, settings, pbx.port, passwords, agi_url)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
            await server.serve()

    asyncio.run(serve())
    return 0


def _announce(
    args: argparse.Namespace,
    settings: Settings,
    pbx_port: int,
    passwords: dict[str, str],
    agi_url: str | None,
) -> None:
    lines = [
        f"callcenter demo on http://{args.host}:{args.port}/  (Ctrl-C stops it)",
        f"simulated PBX (demo scenario, {args.speed:g}x) on 127.0.0.1:{pbx_port}, "
        f"database {masked_url(settings.database_url)}",
        "sign in as agent1 (phone PJSIP/1001) and press 'Sign in to my queues': you are then",
        "available, and a simulated caller rings you within a minute or two.",
        routing_line(agi_url),
        reading_hint(settings.database_url),
        "",
        "user         password",
    ]
    lines += [f"{name:<12} {password}" for name, password in passwords.items()]
    print("\n".join(lines), file=sys.stderr, flush=True)


def routing_line(agi_url: str | None) -> str:
    """What the announcement says about routing."""
    if agi_url is None:
        return "routing off (--no-routing): each DID leads straight to its queue"
    return f"callers are routed by {agi_url}: VIPs jump the queue, agent1's customers ring agent1"


def reading_hint(url: str) -> str:
    """How the other commands (`callcenter kpi report`, ...) read the demo's database."""
    try:
        configured = Settings().database_url
    except ValidationError:
        configured = None
    if url == configured:
        return "other commands read this database too: try `callcenter kpi report`"
    shown = masked_url(url)
    return f"other commands read it with --database: `callcenter kpi report --database {shown}`"
