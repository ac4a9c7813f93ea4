"""Foundation subcommands: `db upgrade`."""

from __future__ import annotations

import argparse
from typing import Any

from callcenter.cli import add_database_option, settings_from
from callcenter.db import open_database
from callcenter.settings import masked_url


def register(groups: Any) -> None:
    """Add the `db` command group."""
    db = groups.add_parser("db", help="database schema")
    actions = db.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="create or migrate the schema to the latest version")
    add_database_option(up)
    up.set_defaults(func=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    url = settings_from(args).database_url
    open_database(url, migrate=True).dispose()
    print(f"database at {masked_url(url)} is up to date")
    return 0
