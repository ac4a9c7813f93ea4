"""`callcenter routing import FILE|export|try`: the admins' rules as TOML, and a dry run."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.db import make_sessionmaker, open_database
from callcenter.queues.routing.decision import RouteDecision
from callcenter.queues.routing.facts import RouteRequest
from callcenter.queues.routing.live import NoLive
from callcenter.queues.routing.store import list_rules, replace_rules
from callcenter.queues.routing.toml_io import BadRules, read_rules, write_rules
from callcenter.routing_wiring import build_router


def add_routing_commands(groups: Any) -> None:
    """Add the `routing` command group."""
    routing = groups.add_parser("routing", help="routing rules: import, export, try a caller")
    actions = routing.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser("import", help="replace every rule with a TOML file's (or -)")
    load.add_argument("file", metavar="FILE", help="TOML file of [[rule]] tables, - for stdin")
    add_database_option(load)
    load.set_defaults(func=import_command)
    dump = actions.add_parser("export", help="every rule as TOML on standard output")
    add_database_option(dump)
    dump.set_defaults(func=export_command)
    attempt = actions.add_parser("try", help="what would happen to this caller now")
    attempt.add_argument("--caller", required=True, metavar="N", help="the calling number")
    attempt.add_argument("--did", required=True, metavar="D", help="the dialled number")
    attempt.add_argument("--digits", default="", metavar="X", help="the IVR's digits (arg 2)")
    attempt.add_argument(
        "--at",
        type=_instant,
        metavar="ISO",
        help="when (default: now; without an offset, site time)",
    )
    add_database_option(attempt)
    attempt.set_defaults(func=try_command)


def import_command(args: argparse.Namespace) -> int:
    """All or nothing: a bad file changes no rule."""
    source = "stdin" if args.file == "-" else args.file
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
        rules = read_rules(text)
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror or exc}") from None
    except (BadRules, UnicodeDecodeError) as exc:
        raise UsageError(f"{source}: {exc}") from None
    settings = settings_from(args)
    engine = open_database(settings.database_url, migrate=True)
    try:
        with make_sessionmaker(engine).begin() as session:
            replace_rules(session, rules)
    finally:
        engine.dispose()
    print(f"imported {len(rules)} routing rules from {source}")
    return 0


def export_command(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    engine = open_database(settings.database_url, need="routing_rules")
    try:
        with make_sessionmaker(engine)() as session:
            rules = list_rules(session)
    finally:
        engine.dispose()
    sys.stdout.write(write_rules([rule for rule in rules]))
    return 0


def try_command(args: argparse.Namespace) -> int:
    """The decision for a caller now (or `--at`), with the rule that matched and why."""
    settings = settings_from(args)
    engine = open_database(settings.database_url, need="routing_rules")
    at = args.at or datetime.now(UTC)
    at = at if at.tzinfo else at.replace(tzinfo=settings.zone)  # a wall time: the site's
    request = RouteRequest(caller=args.caller, dialed=args.did, digits=args.digits, at=at)
    try:
        router = build_router(make_sessionmaker(engine), settings, NoLive())
        decision = router.decide_now(request)
        router.close()
    finally:
        engine.dispose()
    print(describe(decision))
    return 0


def describe(decision: RouteDecision) -> str:
    """The decision as `routing try` and the admin page show it."""
    lines = [f"{name}={value}" for name, value in decision.variables().items()]
    matched = f"rule {decision.rule!r}" if decision.rule else "no admin rule"
    lines.append(f"reason: {decision.reason} ({matched} matched)")
    lines += [f"  - {step}" for step in decision.steps]
    lines.append("  (live agent state is not known here: a preferred member is never named)")
    return "\n".join(lines)


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time") from None
    return value
