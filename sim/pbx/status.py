"""The list replies of QueueStatus, QueueSummary and CoreShowChannels."""

from __future__ import annotations

from sim.pbx.model import DEVICE_NOT_INUSE
from sim.pbx.render import Header
from sim.pbx.switchboard import Switchboard

ListItem = tuple[str, list[Header]]


def queue_status(
    board: Switchboard, at: float, queue: str = "", member: str = ""
) -> list[ListItem]:
    """QueueParams, then QueueMember and QueueEntry items, queue by queue."""
    items: list[ListItem] = []
    now = board.epoch(at)
    for state in board.queues.values():
        if queue and state.name != queue:
            continue
        items.append(("QueueParams", state.params_headers()))
        # app_queue lists members newest first (they live in a hash container; the captures
        # show them in reverse order of configuration).
        for m in reversed(list(state.members.values())):
            if member and member not in (m.device.interface, m.name):
                continue
            items.append(("QueueMember", m.list_headers()))
        for position, entry in enumerate(state.entries, start=1):
            channel = entry.channel
            items.append(
                (
                    "QueueEntry",
                    [
                        ("Queue", state.name),
                        ("Position", str(position)),
                        ("Channel", channel.name),
                        ("Uniqueid", channel.uniqueid),
                        ("CallerIDNum", channel.caller_num),
                        ("CallerIDName", channel.caller_name),
                        ("ConnectedLineNum", channel.connected_num),
                        ("ConnectedLineName", channel.connected_name),
                        ("Wait", str(int(now - board.epoch(entry.entered_at)))),
                        ("Priority", "0"),
                    ],
                )
            )
    return items


def queue_summary(board: Switchboard, at: float, queue: str = "") -> list[ListItem]:
    """One QueueSummary item per queue."""
    items: list[ListItem] = []
    for state in board.queues.values():
        if queue and state.name != queue:
            continue
        now = int(board.epoch(at))
        # As app_queue counts them: free, not paused, and past their wrap-up time.
        available = sum(
            1
            for m in state.members.values()
            if not m.paused
            and m.device.status == DEVICE_NOT_INUSE
            and not (m.wrapup_s and now - m.last_call < m.wrapup_s)
        )
        # The longest wait of all callers: with priorities, not always the first's.
        longest = int(at - min(e.entered_at for e in state.entries)) if state.entries else 0
        items.append(
            (
                "QueueSummary",
                [
                    ("Queue", state.name),
                    ("LoggedIn", str(len(state.members))),
                    ("Available", str(available)),
                    ("Callers", str(len(state.entries))),
                    ("HoldTime", str(state.holdtime)),
                    ("TalkTime", str(state.talktime)),
                    ("LongestHoldTime", str(longest)),
                ],
            )
        )
    return items


def core_show_channels(board: Switchboard, at: float) -> list[ListItem]:
    """One CoreShowChannel item per live channel."""
    items: list[ListItem] = []
    for channel in board.channels.values():
        seconds = max(0, int(at - channel.created_at))
        duration = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        items.append(
            (
                "CoreShowChannel",
                [
                    *channel.snapshot(),
                    ("BridgeId", channel.bridge_id),
                    ("Application", channel.application),
                    ("ApplicationData", channel.app_data),
                    ("Duration", duration),
                ],
            )
        )
    return items
