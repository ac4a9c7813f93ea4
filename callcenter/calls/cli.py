"""`callcenter calls list`: the stored call records, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from callcenter.calls.records import CallRecord, QueueVisitRecord
from callcenter.calls.service import list_calls
from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.cli_tables import Column, TextTable, print_tables
from callcenter.db import make_sessionmaker, open_database


def add_list_command(calls_actions: Any) -> None:
    """`calls list [--json]`."""
    command = calls_actions.add_parser("list", help="the stored call records, oldest first")
    command.add_argument("--json", action="store_true", help="print a JSON array")
    command.add_argument("--server", metavar="NAME", help="only calls of this PBX")
    command.add_argument("--limit", type=int, metavar="N", help="at most N calls")
    add_database_option(command)
    command.set_defaults(func=list_command)


def visit_json(visit: QueueVisitRecord) -> dict[str, Any]:
    return {
        "queue": visit.queue,
        "uniqueid": visit.uniqueid,
        "entered_at": visit.entered_at.isoformat(),
        "ended_at": visit.ended_at.isoformat() if visit.ended_at else None,
        "position": visit.position,
        "exit_position": visit.exit_position,
        "outcome": visit.outcome.value,
        "agent": visit.agent,
        "wait_s": visit.wait_s,
        "ring_s": visit.ring_s,
        "talk_s": visit.talk_s,
        "hold_s": visit.hold_s,
        "ring_no_answer": visit.ring_no_answer,
        "transfer_target": visit.transfer_target,
        "hangup_by": visit.hangup_by,
    }


def call_json(call: CallRecord) -> dict[str, Any]:
    """One call as `calls list --json` prints it."""
    return {
        "linkedid": call.linkedid,
        "server": call.server,
        "direction": call.direction.value,
        "caller_number": call.caller_number,
        "caller_name": call.caller_name,
        "dialed_number": call.dialed_number,
        "started_at": call.started_at.isoformat(),
        "answered_at": call.answered_at.isoformat() if call.answered_at else None,
        "ended_at": call.ended_at.isoformat(),
        "outcome": call.outcome.value,
        "agent": call.agent,
        "talk_s": call.talk_s,
        "hold_s": call.hold_s,
        "transfer_target": call.transfer_target,
        "data_gap": call.data_gap,
        "queue_visits": [visit_json(v) for v in call.queue_visits],
    }


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


CALL_COLUMNS = (
    *(Column(t) for t in ("started", "linkedid", "dir", "caller", "outcome", "agent", "queues")),
    *(Column(t, number=True) for t in ("wait", "talk", "hold")),
    Column("gap"),
)


def _table(calls: list[CallRecord]) -> TextTable:
    rows = []
    for call in calls:
        caller = " ".join(filter(None, (call.caller_number, call.caller_name)))
        queues = " > ".join(f"{v.queue}:{v.outcome.value}" for v in call.queue_visits)
        waits = [v.wait_s for v in call.queue_visits if v.wait_s is not None]
        rows.append(
            [
                call.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                call.linkedid,
                call.direction.value,
                caller,
                call.outcome.value,
                call.agent or "",
                queues,
                _seconds(sum(waits)) if waits else "",
                _seconds(call.talk_s),
                _seconds(call.hold_s) if call.hold_s else "",
                "yes" if call.data_gap else "",
            ]
        )
    return TextTable(CALL_COLUMNS, rows, title=f"{len(calls)} calls")


def list_command(args: argparse.Namespace) -> int:
    url = settings_from(args).database_url
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be a positive number")
    engine = open_database(url, need="calls")
    try:
        with make_sessionmaker(engine)() as session:
            calls = list_calls(session, server=args.server, limit=args.limit)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps([call_json(c) for c in calls], ensure_ascii=False, indent=2))
    else:
        print_tables(_table(calls))
    return 0
