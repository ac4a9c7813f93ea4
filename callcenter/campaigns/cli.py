"""`callcenter campaigns ...`: import a call list from CSV, list campaigns, do-not-call numbers."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from callcenter.campaigns import dnc, lists, service
from callcenter.campaigns.enums import ListSource
from callcenter.campaigns.models import Campaign
from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.cli_tables import Column, TextTable, print_tables
from callcenter.db import make_sessionmaker, open_database
from callcenter.settings import Settings
from crm.exceptions import CrmError

CAMPAIGNS = Campaign.__tablename__


def register(groups: Any) -> None:
    """Add the `campaigns` command group."""
    campaigns = groups.add_parser("campaigns", help="outbound: call lists, campaigns, do-not-call")
    actions = campaigns.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser(
        "import-list",
        help="import leads from CSV into a call list",
        description=(
            "Import leads from a CSV file with a header row into a call list (created when "
            "new). Required column: number. Optional: name, customer_code or customer_id, "
            "time_zone (an IANA name); other columns are kept on the lead. All rows or none: "
            "each refused row is listed. Numbers on the list already are skipped; numbers "
            "nobody may call come in blocked."
        ),
    )
    load.add_argument("file", type=Path, metavar="FILE", help="CSV file (UTF-8, comma-separated)")
    load.add_argument("--list", required=True, metavar="NAME", help="the call list's name")
    load.set_defaults(func=_import_list)
    listing = actions.add_parser("list", help="list campaigns with their progress")
    listing.set_defaults(func=_list)
    numbers = actions.add_parser("dnc", help="do-not-call numbers")
    dnc_actions = numbers.add_subparsers(dest="dnc_action", metavar="ACTION", required=True)
    add = dnc_actions.add_parser("add", help="put a number on the do-not-call list")
    add.add_argument("number", metavar="NUMBER")
    add.add_argument("--reason", metavar="TEXT")
    add.set_defaults(func=_dnc_add)
    bulk = dnc_actions.add_parser(
        "import",
        help="put numbers from a file on the do-not-call list",
        description="One number a line, or a CSV with a number (and reason) column. "
        "All lines or none: each refused line is listed.",
    )
    bulk.add_argument("file", type=Path, metavar="FILE")
    bulk.set_defaults(func=_dnc_import)
    for parser in (add, bulk):
        parser.add_argument(
            "--campaign", metavar="NAME", help="the campaign's own list (default: the global list)"
        )
    for parser in (load, listing, add, bulk):
        add_database_option(parser)


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """A session whose transaction is committed when the block ends without an error."""
    engine = open_database(settings.database_url, need=CAMPAIGNS)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            yield session
    except SQLAlchemyError as exc:
        raise UsageError(f"cannot write to the database: {exc.__class__.__name__}") from exc
    except CrmError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        engine.dispose()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = (
            "it is not UTF-8 text"
            if isinstance(exc, UnicodeDecodeError)
            else (exc.strerror or str(exc)).lower()
        )
        raise UsageError(f"cannot read {path}: {reason}") from exc


def _refused(path: Path, errors: list[tuple[int, str]], what: str) -> UsageError:
    for line, message in errors:
        print(f"{path}:{line}: {message}", file=sys.stderr)
    return UsageError(
        f"{path}: nothing imported, {len(errors)} {what} refused"
        " (listed above); correct them and import the file again"
    )


def _import_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    path: Path = args.file
    text = _read(path)
    with _session(settings) as session:
        call_list = lists.list_by_name(session, args.list)
        if call_list is not None and call_list.source != ListSource.CSV:
            raise UsageError(f"call list {args.list!r} is built from a CRM query, not from CSV")
        try:
            report = lists.read_csv(
                session, text, settings.default_region, settings.time_zone, call_list=call_list
            )
        except (ValueError, csv.Error) as exc:
            raise UsageError(f"{path} is not a call-list CSV: {exc}") from exc
        if report.errors:
            raise _refused(path, report.errors, "rows")
        if call_list is None:
            call_list = lists.create_list(session, args.list, ListSource.CSV)
        lists.store_leads(session, call_list, report)
    for line, message in report.notes:
        print(f"{path}:{line}: {message}")
    print(
        f"{report.created} leads imported into {args.list!r} ({report.blocked} blocked), "
        f"{report.skipped} rows skipped"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    rows: list[list[str]] = []
    with _session(settings_from(args)) as session:
        for campaign in service.list_campaigns(session):
            seen = service.progress(session, campaign)
            call_list = lists.get_list(session, campaign.list_id)
            rows.append(
                [
                    campaign.name,
                    campaign.state,
                    campaign.mode,
                    campaign.queue,
                    call_list.name,
                    str(seen.leads),
                    str(seen.by_state.get("open", 0)),
                    f"{seen.penetration:.0%}",
                ]
            )
    titles = ("campaign", "state", "mode", "queue", "list", "leads", "open", "penetration")
    columns = [Column(t, number=t in {"leads", "open", "penetration"}) for t in titles]
    caption = None if rows else "no campaigns yet: create one with POST /api/campaigns"
    print_tables(TextTable(columns, rows, caption=caption))
    return 0


def _campaign_id(session: Session, name: str | None) -> int | None:
    if name is None:
        return None
    campaign = service.campaign_by_name(session, name)
    if campaign is None:
        raise UsageError(f"no campaign named {name!r}")
    return campaign.id


def _where(name: str | None) -> str:
    return (
        "the global do-not-call list"
        if name is None
        else f"the do-not-call list of campaign {name!r}"
    )


def _dnc_add(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    with _session(settings) as session:
        entry, added = dnc.add_number(
            session,
            args.number,
            settings.default_region,
            campaign_id=_campaign_id(session, args.campaign),
            reason=args.reason,
            added_by="cli",
        )
        number = entry.number
    verb = "added to" if added else "is already on"
    print(f"{number} {verb} {_where(args.campaign)}")
    return 0


def _dnc_import(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    path: Path = args.file
    text = _read(path)
    with _session(settings) as session:
        report = dnc.import_numbers(
            session,
            text,
            settings.default_region,
            campaign_id=_campaign_id(session, args.campaign),
            added_by="cli",
        )
        if report.errors:
            raise _refused(path, report.errors, "lines")  # the transaction is rolled back
    print(
        f"{report.added} numbers added to {_where(args.campaign)}, {report.already} there already"
    )
    return 0
