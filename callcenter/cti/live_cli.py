"""`callcenter cti run` and `callcenter ami record`: the adapter and the recorder on a live PBX."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.cti.adapter import LiveAdapter
from callcenter.cti.connection import AmiConnection
from callcenter.cti.protocol import AmiError
from callcenter.cti.recorder import StreamRecorder
from callcenter.db import make_engine, make_sessionmaker
from callcenter.settings import AmiTarget, Settings, parse_ami_url
from callcenter.wiring import wire_consumers


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
    engine = make_engine(settings.database_url)
    try:
        _require_schema(engine, settings.database_url)
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
    bus = Bus()
    consumers = wire_consumers(bus, sessions, settings, live=True)
    await consumers.start()
    adapter = LiveAdapter(
        target,
        server=server,
        bus=bus,
        region=settings.default_region,
        wrap_up_reason=settings.wrap_up_reason,
    )
    try:
        with _stop_signals() as stop:
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
    return 0


async def _record(target: AmiTarget, recorder: StreamRecorder, path: Path) -> int:
    connection = AmiConnection(target, recorder)
    with _stop_signals() as stop:
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


@contextlib.contextmanager
def _stop_signals() -> Iterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM while inside the block."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


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


def _require_schema(engine: Engine, url: str) -> None:
    try:
        ready = inspect(engine).has_table("calls")
    except (ArgumentError, OperationalError) as exc:
        raise UsageError(f"cannot open the database {url!r}: {exc.__class__.__name__}") from None
    if not ready:
        raise UsageError(f"the database {url!r} has no call tables; run `callcenter db upgrade`")
