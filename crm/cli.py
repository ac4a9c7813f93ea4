"""`callcenter crm import FILE` and `callcenter crm export [FILE]`: customers as CSV."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from sqlalchemy.exc import SQLAlchemyError

from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.db import make_sessionmaker, open_database
from crm.customers.csv_io import (
    COLUMNS,
    REQUIRED,
    check_header,
    export_rows,
    import_rows,
    numbered_rows,
    write_csv,
)
from crm.customers.models import Customer

CUSTOMERS = Customer.__tablename__


def register(groups: Any) -> None:
    """Add the `crm` command group."""
    crm = groups.add_parser("crm", help="customers, contacts and numbers")
    actions = crm.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser(
        "import",
        help="import customers from CSV",
        description=(
            "Import customers from a CSV file with a header row. Required columns: "
            + " and ".join(REQUIRED)
            + " (several numbers separated by ';'). Optional: "
            + ", ".join(name for name in COLUMNS if name not in REQUIRED)
            + "."
        ),
    )
    load.add_argument("file", type=Path, metavar="FILE", help="CSV file (UTF-8, comma-separated)")
    add_database_option(load)
    load.set_defaults(func=_import)
    dump = actions.add_parser("export", help="export customers as CSV")
    dump.add_argument("file", nargs="?", type=Path, metavar="FILE", help="default: standard output")
    dump.add_argument(
        "--json", action="store_true", help="a JSON array of the same rows instead of CSV"
    )
    add_database_option(dump)
    dump.set_defaults(func=_export)


def _import(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    path: Path = args.file
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {_reason(exc)}") from exc
    # Strict, and over the whole text: a quoted cell may hold a line break, and a quote left
    # open is an error rather than one cell swallowing the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = check_header(next(reader, []))
    except (ValueError, csv.Error) as exc:
        raise UsageError(f"{path} is not a customer CSV: {exc}") from exc
    engine = open_database(settings.database_url, need=CUSTOMERS)
    try:
        with make_sessionmaker(engine)() as session:
            report = import_rows(session, numbered_rows(reader, header), settings.default_region)
            if report.errors:
                session.rollback()  # all or nothing: a half-imported file is hard to repair
            else:
                session.commit()
    except SQLAlchemyError as exc:
        raise UsageError(f"cannot write to the database: {exc.__class__.__name__}") from exc
    finally:
        engine.dispose()
    for line, message in report.errors:
        print(f"{path}:{line}: {message}", file=sys.stderr)
    if report.errors:
        raise UsageError(
            f"{path}: nothing imported, {len(report.errors)} rows refused"
            " (listed above); correct them and import the file again"
        )
    print(
        f"{report.created} customers created, {report.updated} updated, "
        f"{report.contacts} contact rows"
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    write = _write_json if args.json else write_csv
    engine = open_database(settings.database_url, need=CUSTOMERS)
    try:
        with make_sessionmaker(engine)() as session:
            if args.file is None:
                count = write(sys.stdout, export_rows(session))
            else:
                try:
                    with args.file.open("w", encoding="utf-8", newline="") as out:
                        count = write(out, export_rows(session))
                except OSError as exc:
                    raise UsageError(f"cannot write {args.file}: {_reason(exc)}") from exc
    except SQLAlchemyError as exc:
        raise UsageError(f"cannot read the database: {exc.__class__.__name__}") from exc
    finally:
        engine.dispose()
    if args.file is not None:
        print(f"{count} rows written to {args.file}")
    return 0


def _write_json(out: IO[str], rows: Iterable[dict[str, str]]) -> int:
    """The rows as one JSON array, written a row at a time; returns how many."""
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n " if count else "\n ")
        out.write(json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)
