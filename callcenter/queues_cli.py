"""`callcenter queues list|import FILE|export [FILE]`: queue records on the command line and
as a TOML file (one `[[queue]]` table per queue).

A composition-level command: writing queue records needs every model loaded (a queue's
business hours are the CRM's), which `callcenter.models_registry` does.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.cli_tables import Column, TextTable, print_tables
from callcenter.db import make_sessionmaker, open_database
from callcenter.models_registry import target_metadata
from callcenter.queues.models import ServiceQueue
from callcenter.queues.toml_io import EntryError, export_queues, import_queues

QUEUES = ServiceQueue.__tablename__
FILE_HELP = """A queue is a [[queue]] table: name (as the PBX names it, required), display_name,
service_level_s, service_level_target (0.8 = 80 %), short_abandon_s, business_hours (a
calendar's name), overflow, open (true/false), numbers (["+15550100"]) and optionally
members ([{ user = "agent1", penalty = 0 }], replacing who serves it). A setting left out is
empty: thresholds then come from the PBX, then the defaults."""


def register(groups: Any) -> None:
    """Add the `queues` command group."""
    queues = groups.add_parser("queues", help="queue records: numbers, thresholds, hours")
    actions = queues.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the queue records")
    listing.set_defaults(func=_list)
    load = actions.add_parser(
        "import",
        help="create or replace queues from a TOML file (all or nothing)",
        description=FILE_HELP,
    )
    load.add_argument("file", type=Path, metavar="FILE", help="TOML file")
    load.set_defaults(func=_import)
    dump = actions.add_parser("export", help="write every queue as TOML", description=FILE_HELP)
    dump.add_argument("file", nargs="?", type=Path, metavar="FILE", help="default: standard output")
    dump.set_defaults(func=_export)
    for parser in (listing, load, dump):
        add_database_option(parser)


def _engine(args: argparse.Namespace) -> Engine:
    target_metadata()  # every table known, so a queue's calendar can be referred to
    return open_database(settings_from(args).database_url, need=QUEUES)


def _list(args: argparse.Namespace) -> int:
    engine = _engine(args)
    try:
        with make_sessionmaker(engine)() as session:
            entries = export_queues(session)["queue"]
    finally:
        engine.dispose()
    rows = [_row(entry) for entry in entries]
    titles = ("queue", "name", "numbers", "T (s)", "target", "short (s)", "hours", "overflow",
              "open", "members")  # fmt: skip
    columns = [Column(t, number=t in {"T (s)", "target", "short (s)"}) for t in titles]
    caption = None if rows else "no queue records: `callcenter queues import FILE` adds some"
    print_tables(TextTable(columns, rows, caption=caption))
    return 0


def _row(entry: dict[str, Any]) -> list[str]:
    target = entry.get("service_level_target")
    return [
        entry["name"],
        entry["display_name"],
        ", ".join(entry["numbers"]),
        _figure(entry.get("service_level_s"), "PBX"),
        "" if target is None else f"{target * 100:g} %",
        _figure(entry.get("short_abandon_s"), ""),
        entry.get("business_hours", "always"),
        entry.get("overflow", ""),
        "yes" if entry["open"] else "closed",
        ", ".join(f"{m['user']}:{m['penalty']}" for m in entry["members"]),
    ]


def _figure(value: float | None, empty: str) -> str:
    return empty if value is None else f"{value:g}"


def _import(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}") from exc
    engine = _engine(args)
    try:
        with make_sessionmaker(engine)() as session:
            report = import_queues(session, data)
            if report.errors:
                session.rollback()  # all or nothing
            else:
                session.commit()
    except EntryError as exc:
        raise UsageError(f"{path}: {exc}") from exc
    except SQLAlchemyError as exc:
        raise UsageError(f"cannot write to the database: {exc.__class__.__name__}") from exc
    finally:
        engine.dispose()
    for number, name, message in report.errors:
        print(f"{path}: queue {number} ({name}): {message}", file=sys.stderr)
    if report.errors:
        raise UsageError(
            f"{path}: nothing imported, {len(report.errors)} queue(s) refused (listed above);"
            " correct them and import the file again"
        )
    print(f"{_queues(report.created)} created, {report.updated} replaced")
    return 0


def _queues(count: int) -> str:
    return f"{count} queue" if count == 1 else f"{count} queues"


def _export(args: argparse.Namespace) -> int:
    engine = _engine(args)
    try:
        with make_sessionmaker(engine)() as session:
            data = export_queues(session)
    finally:
        engine.dispose()
    text = tomli_w.dumps(data)
    if args.file is None:
        sys.stdout.write(text)
        return 0
    try:
        args.file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.file}: {exc.strerror}") from exc
    print(f"{_queues(len(data['queue']))} written to {args.file}")
    return 0
