"""The `callcenter` command: one entry point, each package adds its own subcommands."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from callcenter.db import DatabaseUnavailable
from callcenter.settings import Settings

# Each module exposes `register(subparsers)`, adding commands whose handler is stored as
# `func` and takes the parsed namespace, returning an exit code.
COMMAND_MODULES = (
    "callcenter.db_cli",
    "callcenter.users.cli",
    "callcenter.queues_cli",
    "callcenter.pbx_cli",
    "callcenter.web_cli",
    "callcenter.agi_cli",
    "callcenter.worker_cli",
    "crm.cli",
    "callcenter.campaigns.cli",
    "sim.cli",
    "kpi.cli",
    "callcenter.demo",
)


class UsageError(Exception):
    """Bad input from the user: printed as one sentence, exit code 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports errors as one sentence and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """The `--database URL` option every command takes."""
    parser.add_argument(
        "--database",
        metavar="URL",
        help="database URL (default: CALLCENTER_DATABASE_URL or a SQLite file under ./var/)",
    )


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port {port} is outside 1-65535")
    return port


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings with `--database` (when given) taking precedence over the environment.

    A bad setting is a UsageError naming the variable, in one sentence without its value
    (which may hold a secret).
    """
    try:
        settings = Settings()  # one command, one read of the environment
    except ValidationError as exc:
        raise UsageError(setting_problem(exc)) from None
    database = getattr(args, "database", None)
    if database:
        settings = settings.model_copy(update={"database_url": database})
    return settings


def setting_problem(error: ValidationError) -> str:
    """One sentence for the first bad setting: its variable and what is wrong."""
    problem = error.errors()[0]
    field = "CALLCENTER_" + str(problem["loc"][0]).upper() if problem["loc"] else "a setting"
    return f"{field} is invalid: {str(problem['msg']).removeprefix('Value error, ')}"


def build_parser() -> ArgumentParser:
    """The full command tree."""
    parser = ArgumentParser(prog="callcenter", description="Telephony CRM for call centers.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.error("choose a subcommand")
    try:
        code = func(args)
        sys.stdout.flush()  # a reader that has gone is noticed here, not at exit
        return code
    except (UsageError, DatabaseUnavailable) as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        if args.verbose:
            raise
        print(
            f"callcenter: the database failed: {exc.__class__.__name__} (-v shows more)",
            file=sys.stderr,
        )
        return 2
    except BrokenPipeError:
        return reader_gone()
    except KeyboardInterrupt:
        return 130


def reader_gone() -> int:
    """Stop quietly when the reader of standard output has gone (`... | head`).

    Python's own advice: point stdout at /dev/null so the flush at exit finds no pipe to
    fail on, and exit 1 without a traceback.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
