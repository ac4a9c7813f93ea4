"""The PBX commands: `ami record`, `ami replay`, `cti run` and `calls list`.

They sit at the composition level: `cti run` and `ami replay` wire the consumers
(callcenter.wiring, which brings crm and kpi) onto the bus the CTI package publishes on.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus, make_bus
from callcenter.calls.cli import add_list_command
from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.cti.adapter import LiveAdapter
from callcenter.cti.checkpoint import Checkpoints
from callcenter.cti.connection import AmiConnection
from callcenter.cti.protocol import AmiError
from callcenter.cti.recorder import StreamRecorder
from callcenter.cti.replay import NotAnAmiStream, replay_file
from callcenter.db import make_sessionmaker, open_database, pool_options
from callcenter.settings import AmiTarget, Settings, masked_url, parse_ami_url
from callcenter.stop_signals import stop_signals
from callcenter.wiring import Consumers, wire_consumers


def register(groups: Any) -> None:
    """Add the `ami`, `cti` and `calls` command groups."""
    ami = groups.add_parser("ami", help="saved and live AMI byte streams")
    ami_actions = ami.add_subparsers(dest="action", metavar="ACTION", required=True)
    cti = groups.add_parser("cti", help="the CTI adapter")
    cti_actions = cti.add_subparsers(dest="action", metavar="ACTION", required=True)
    calls = groups.add_parser("calls", help="call records")
    calls_actions = calls.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_record_command(ami_actions)
    add_replay_command(ami_actions)
    add_run_command(cti_actions)
    add_list_command(calls_actions)


@dataclass(frozen=True)
class ReplayResult:
    """What a replay into the database did."""

    events: int
    calls: int
    agent_states: int
    malformed: int
    interactions: int = 0
    callbacks: int = 0


def replay_into_database(source: str, *, server: str, settings: Settings) -> ReplayResult:
    """Replay `source` (a path, or `-` for stdin) into the settings' database.

    The schema is brought up to date once the input has passed its checks (nothing is
    opened for a file that is not AMI or a truncated gzip). The records are stored and the
    calls land in their customers' history, as with a live PBX (callcenter.wiring). A record
    already stored whole is never replaced by one this replay could only flag data_gap.
    """
    opened: list[tuple[Engine, Consumers]] = []

    def open_sink(bus: Bus) -> Consumers:
        engine = open_database(settings.database_url, migrate=True)
        consumers = wire_consumers(bus, make_sessionmaker(engine), settings, live=False)
        opened.append((engine, consumers))
        return consumers

    try:
        read = replay_file(
            source,
            server=server,
            open_sink=open_sink,
            region=settings.default_region,
            wrap_up_reason=settings.wrap_up_reason,
        )
    finally:
        for engine, _ in opened:
            engine.dispose()
    [(_, consumers)] = opened
    records, history = consumers.records, consumers.history_written
    assert records is not None
    return ReplayResult(
        events=read.events,
        calls=records.written_calls,
        agent_states=records.written_states,
        malformed=read.malformed,
        interactions=history.interactions,
        callbacks=history.callbacks_opened,
    )


def add_replay_command(ami_actions: Any) -> None:
    """`ami replay FILE|-`."""
    command = ami_actions.add_parser(
        "replay",
        help="a saved AMI byte stream (plain or gzip) through the pipeline into the database",
    )
    command.add_argument("file", metavar="FILE", help="the saved stream, or - for stdin")
    command.add_argument(
        "--server", metavar="NAME", help="PBX name on the records (default: settings' server)"
    )
    add_database_option(command)
    command.set_defaults(func=replay_command)


def replay_command(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        result = replay_into_database(
            args.file, server=args.server or settings.server, settings=settings
        )
    except NotAnAmiStream as exc:
        source = "stdin" if args.file == "-" else args.file
        raise UsageError(f"{source}: {exc}") from None
    except DBAPIError as exc:
        shown = masked_url(settings.database_url)
        raise UsageError(
            f"the database {shown!r} failed during the replay: {exc.__class__.__name__}"
        ) from None
    print(
        f"replayed {result.events} events: {result.calls} calls and "
        f"{result.agent_states} agent-state intervals written, {result.interactions} "
        f"interactions and {result.callbacks} callbacks into customer history"
        + (f", {result.malformed} malformed frames skipped" if result.malformed else "")
    )
    return 0


def add_run_command(cti_actions: Any) -> None:
    """`cti run`."""
    run = cti_actions.add_parser(
        "run", help="the adapter against the configured PBX, writing call records until stopped"
    )
    add_database_option(run)
    _add_ami_option(run)
    run.add_argument(
        "--server", metavar="NAME", help="PBX name on the records (default: the AMI host)"
    )
    run.set_defaults(func=run_command)


def add_record_command(ami_actions: Any) -> None:
    """`ami record FILE`."""
    record = ami_actions.add_parser(
        "record", help="append the configured PBX's raw AMI stream to FILE until stopped"
    )
    record.add_argument("file", metavar="FILE", help="file to append to (created if missing)")
    add_database_option(record)
    _add_ami_option(record)
    record.set_defaults(func=record_command)


def run_command(args: argparse.Namespace) -> int:
    """Run the adapter until SIGINT/SIGTERM; flush and close on the way out."""
    settings = _settings(args)
    target = _target(args, settings)
    server = args.server or settings.pbx_name or target.server
    engine = open_database(settings.database_url, need="calls", **pool_options(settings))
    try:
        return asyncio.run(_run_adapter(target, server, make_sessionmaker(engine), settings))
    finally:
        engine.dispose()


def record_command(args: argparse.Namespace) -> int:
    """Record until SIGINT/SIGTERM."""
    target = _target(args, _settings(args))
    path = Path(args.file)
    existed = path.exists()
    try:
        out = path.open("ab")
    except OSError as exc:
        raise UsageError(f"cannot write to {path}: {exc.strerror or exc}") from None
    try:
        with out:
            return asyncio.run(_record(target, StreamRecorder(out), path))
    except UsageError:
        if not existed and path.stat().st_size == 0:
            path.unlink()  # do not leave an empty file behind a failed connect
        raise


async def _run_adapter(
    target: AmiTarget, server: str, sessions: sessionmaker[Session], settings: Settings
) -> int:
    # The PBX's process publishes its events for the others and reads none of theirs: its
    # writers, presence and consoles follow its own PBX only.
    bus = make_bus(settings, follow=False)
    await bus.start()
    if settings.distributed:  # one active process per PBX, any number of standbys
        # Redis only when asked for.
        from agent_ui.pbx_service import pbx_service
        from callcenter.campaigns.dial_wiring import active_dialer
        from callcenter.pbx_active import run_with_lease

        try:
            with stop_signals() as stop:
                # While active: the agents' consoles, the PBX link's commands, the floor's
                # snapshots for the web workers, and the campaigns' dialer.
                return await run_with_lease(
                    target,
                    server,
                    sessions,
                    settings,
                    bus,
                    stop,
                    extras=[pbx_service, active_dialer],
                )
        finally:
            await bus.stop()
    consumers = wire_consumers(bus, sessions, settings, live=True)
    await consumers.start()
    adapter = LiveAdapter(
        target,
        server=server,
        bus=bus,
        region=settings.default_region,
        wrap_up_reason=settings.wrap_up_reason,
        checkpoints=Checkpoints(sessions),
    )
    try:
        with stop_signals() as stop:
            try:
                await adapter.start()
            except AmiError as exc:
                raise UsageError(str(exc)) from None
            label = adapter.connection.label
            print(
                f"connected to the PBX at {label}; writing call records (Ctrl-C stops)",
                file=sys.stderr,
            )
            try:
                await stop.wait()
            finally:
                await adapter.stop()
    finally:
        await consumers.stop()
        await bus.stop()
    return 0


async def _record(target: AmiTarget, recorder: StreamRecorder, path: Path) -> int:
    connection = AmiConnection(target, recorder)
    with stop_signals() as stop:
        try:
            await connection.start()
        except AmiError as exc:
            raise UsageError(str(exc)) from None
        print(f"recording {connection.label} to {path} (Ctrl-C stops)", file=sys.stderr)
        try:
            await stop.wait()
        finally:
            await connection.aclose()
            recorder.close()
    print(f"recorded {recorder.bytes_written} bytes to {path}", file=sys.stderr)
    return 0


def _add_ami_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ami",
        metavar="URL",
        help="the PBX as ami://user:secret@host:5038 (default: CALLCENTER_AMI_URL)",
    )


def _settings(args: argparse.Namespace) -> Settings:
    try:
        return settings_from(args)
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = "CALLCENTER_" + str(problem["loc"][0]).upper() if problem["loc"] else "settings"
        raise UsageError(
            f"{field} is invalid: {str(problem['msg']).removeprefix('Value error, ')}"
        ) from None


def _target(args: argparse.Namespace, settings: Settings) -> AmiTarget:
    url = args.ami or settings.ami_url
    if not url:
        raise UsageError(
            "no PBX configured: set CALLCENTER_AMI_URL or pass --ami ami://user:secret@host:5038"
        )
    try:
        return parse_ami_url(url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
