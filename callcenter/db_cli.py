"""Foundation subcommands: `db upgrade`."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy.exc import ArgumentError, OperationalError

from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.db import upgrade


def register(groups: Any) -> None:
    """Add the `db` command group."""
    db = groups.add_parser("db", help="database schema")
    actions = db.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="create or migrate the schema to the latest version")
    add_database_option(up)
    up.set_defaults(func=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    url = settings_from(args).database_url
    try:
        upgrade(url)
    except (ArgumentError, OperationalError) as exc:
        raise UsageError(f"cannot open the database {url!r}: {exc.__class__.__name__}") from exc
    print(f"database at {url} is up to date")
    return 0
