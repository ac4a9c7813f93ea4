"""CLI groups of the CTI adapter: `ami` (saved and live streams), `cti` and `calls`."""

from __future__ import annotations

from typing import Any

from callcenter.calls.cli import add_list_command
from callcenter.cti import live_cli
from callcenter.cti.replay import add_replay_command


def register(groups: Any) -> None:
    """Add the `ami`, `cti` and `calls` command groups."""
    ami = groups.add_parser("ami", help="saved and live AMI byte streams")
    ami_actions = ami.add_subparsers(dest="action", metavar="ACTION", required=True)
    cti = groups.add_parser("cti", help="the CTI adapter")
    cti_actions = cti.add_subparsers(dest="action", metavar="ACTION", required=True)
    calls = groups.add_parser("calls", help="call records")
    calls_actions = calls.add_subparsers(dest="action", metavar="ACTION", required=True)
    live_cli.add_record_command(ami_actions)
    live_cli.add_run_command(cti_actions)
    add_replay_command(ami_actions)
    add_list_command(calls_actions)
    del ami_actions, cti_actions, calls_actions  # subcommands are added below, one line each
