"""`callcenter users`: create and list users, issue and revoke API tokens."""

from __future__ import annotations

import argparse
import json
import secrets
from typing import Any

from sqlalchemy.pool import NullPool

from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.cli_tables import Column, TextTable, print_tables
from callcenter.db import make_engine, make_sessionmaker, open_database, transaction
from callcenter.queues.exceptions import QueueError
from callcenter.queues.members import (
    Membership,
    format_skills,
    memberships_by_user,
    parse_skills,
    skills_by_user,
)
from callcenter.settings import Settings
from callcenter.users import service, session_key
from callcenter.users.exceptions import UserError
from callcenter.users.models import User
from callcenter.users.service import Role


def register(groups: Any) -> None:
    """Add the `users` command group."""
    users = groups.add_parser("users", help="people who sign in, and their API tokens")
    actions = users.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="add a user")
    create.add_argument("name")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--password", help="default: a random one, printed once")
    create.add_argument("--display-name")
    create.add_argument("--team")
    create.add_argument("--interface", help="the agent's phone as the PBX names it: PJSIP/1001")
    create.add_argument("--member-name", help="the agent's queue member name")
    create.add_argument(
        "--queue",
        action="append",
        default=[],
        metavar="QUEUE[:PENALTY]",
        help="a queue the agent serves (repeat for several)",
    )
    create.add_argument(
        "--skill",
        action="append",
        default=[],
        metavar="SKILL[=LEVEL]",
        help="what the agent can do and how well: lang:de=2 (repeat for several)",
    )
    create.set_defaults(func=_create)

    listing = actions.add_parser("list", help="list users")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(func=_list)

    token = actions.add_parser("token", help="print a new API token for a user")
    token.add_argument("name")
    token.add_argument("--label", default="", help="what the token is for")
    token.set_defaults(func=_token)

    revoke = actions.add_parser("revoke", help="revoke a user's API tokens")
    revoke.add_argument("name")
    revoke.add_argument("--id", type=int, help="only this token (default: all of them)")
    revoke.set_defaults(func=_revoke)

    for parser in (create, listing, token, revoke):
        add_database_option(parser)

    keys = groups.add_parser(
        "session-key",
        help="the key that signs session cookies",
        description=(
            "Session cookies are signed with CALLCENTER_SECRET_KEY or, when it is unset and "
            "the database is a SQLite file, with a key kept beside the database (mode 0600, "
            "made on first start)."
        ),
    )
    key_actions = keys.add_subparsers(dest="action", metavar="ACTION", required=True)
    generate = key_actions.add_parser(
        "generate", help="print a new random key for CALLCENTER_SECRET_KEY"
    )
    generate.set_defaults(func=_generate_key)
    rotate = key_actions.add_parser(
        "rotate", help="replace the kept key: everyone is signed out within a second"
    )
    add_database_option(rotate)
    rotate.set_defaults(func=_rotate_key)


def check_session_key(settings: Settings) -> None:
    """Refuse to start a web app that would have no session key (one sentence, exit 2)."""
    try:
        session_key.session_keys(settings)
    except session_key.SessionKeyError as exc:
        raise UsageError(str(exc)) from exc


def _generate_key(args: argparse.Namespace) -> int:
    print(session_key.new_key())
    return 0


def _rotate_key(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    # The key lives beside its database: none there means a wrong folder or URL.
    open_database(settings.database_url).dispose()
    try:
        path = session_key.rotate(settings)
    except session_key.SessionKeyError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot write the session key: {exc.strerror}") from exc
    print(f"new session key in {path}: every session signed with the old key has ended")
    return 0


def _sessions(args: argparse.Namespace, *, create: bool = False) -> Any:
    """Sessions on the database; `create` makes and migrates it first (the first user's
    command), otherwise a missing or old database is refused in one line."""
    url = settings_from(args).database_url
    open_database(url, need="users", migrate=create).dispose()
    # One command, one session: without a pool its connection closes with the session
    # (a pooled PostgreSQL connection would stay open, the engine never disposed).
    return make_sessionmaker(make_engine(url, poolclass=NullPool))


def _queues(values: list[str]) -> list[tuple[str, int]]:
    queues = []
    for value in values:
        name, _, penalty = value.partition(":")
        if not name or (penalty and not penalty.isdigit()):
            raise UsageError(f"--queue takes QUEUE or QUEUE:PENALTY, not {value!r}")
        queues.append((name, int(penalty or 0)))
    return queues


def _create(args: argparse.Namespace) -> int:
    password = args.password or secrets.token_urlsafe(12)
    try:
        with transaction(_sessions(args, create=True)) as session:
            user = service.create_user(
                session,
                args.name,
                role=Role(args.role),
                password=password,
                display_name=args.display_name,
                team=args.team,
                interface=args.interface,
                member_name=args.member_name,
                queues=_queues(args.queue),
                skills=parse_skills(", ".join(args.skill)),
            )
            print(f"created {user.role} {user.username}")
    except (UserError, QueueError) as exc:
        raise UsageError(str(exc)) from exc
    if not args.password:
        print(f"password: {password}")
    return 0


USER_COLUMNS = ("user", "name", "role", "team", "interface", "member", "skills", "queues")


def _list(args: argparse.Namespace) -> int:
    engine = open_database(settings_from(args).database_url, need="users")
    try:
        with make_sessionmaker(engine)() as session:
            served = memberships_by_user(session)
            skills = skills_by_user(session)
            users = [
                _user_json(u, served.get(u.id, []), skills.get(u.id, {}))
                for u in service.list_users(session)
            ]
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(users, ensure_ascii=False, indent=2))
        return 0
    rows = [
        [
            *(str(user[key] or "") for key in USER_COLUMNS[:-2]),
            format_skills(user["skills"]),
            ", ".join(f"{q['queue']}:{q['penalty']}" for q in user["queues"]),
        ]
        for user in users
    ]
    print_tables(TextTable([Column(title) for title in USER_COLUMNS], rows))
    return 0


def _user_json(user: User, memberships: list[Membership], skills: dict[str, int]) -> dict[str, Any]:
    return {
        "user": user.username,
        "name": user.display_name,
        "role": user.role,
        "team": user.team.name if user.team else None,
        "interface": user.interface,
        "member": user.member_name,
        "skills": skills,
        "queues": [{"queue": m.queue, "penalty": m.penalty} for m in memberships],
    }


def _token(args: argparse.Namespace) -> int:
    try:
        with transaction(_sessions(args)) as session:
            token = service.issue_token(session, service.get_user(session, args.name), args.label)
    except UserError as exc:
        raise UsageError(str(exc)) from exc
    print(token)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    try:
        with transaction(_sessions(args)) as session:
            count = service.revoke_tokens(session, service.get_user(session, args.name), args.id)
    except UserError as exc:
        raise UsageError(str(exc)) from exc
    print(f"revoked {count} token(s) of {args.name}")
    return 0
