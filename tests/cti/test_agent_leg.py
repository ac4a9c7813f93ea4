"""Which channel the console hangs up or transfers: the agent's own leg of the call on screen."""

from __future__ import annotations

import pytest

from callcenter.cti.agent_leg import agent_leg, device_of_interface, dialable_extension
from callcenter.cti.tracker_state import Channel
from callcenter.cti.translate import device_of

CALL = "1795441302.0"
OTHER = "1795441399.7"

# channel, linkedid, bridge: the channels in flight during an attended transfer, as the
# capture's PBX names its channels (caller, agent and consulted party are Local pairs there).
CAPTURE_CONSULTING = [
    ("Local/15551230008@customer-00000000;1", CALL, "94b872e3"),
    ("Local/15551230008@customer-00000000;2", CALL, ""),
    ("Local/300@transfers-00000002;1", CALL, "4b603e9f"),
    ("Local/300@transfers-00000002;2", CALL, ""),
    ("Local/101@agents-00000001;2", CALL, ""),
    ("Local/101@agents-00000001;1", CALL, "4b603e9f"),
]

# The same on a production PBX, and the agent's phone holds a second, unrelated call that
# the PBX happens to list first.
PHONES_CONSULTING = [
    ("PJSIP/1001-00000007", OTHER, "c0ffee00"),
    ("PJSIP/trunk-0000002a", CALL, "94b872e3"),
    ("Local/1002@from-internal-00000003;1", CALL, "4b603e9f"),
    ("Local/1002@from-internal-00000003;2", CALL, "5a5a5a5a"),
    ("PJSIP/1002-0000002d", CALL, "5a5a5a5a"),
    ("PJSIP/1001-0000002b", CALL, "4b603e9f"),
]


def listed(rows: list[tuple[str, str, str]]) -> list[Channel]:
    """The rows as the tracker holds them (in the order the PBX happened to list them)."""
    channels = []
    for n, (name, linkedid, bridge) in enumerate(rows):
        channel = Channel(f"{linkedid}-{n}", linkedid, name, device_of(name))
        channel.bridge = bridge or None
        channels.append(channel)
    return channels


@pytest.mark.parametrize(
    ("rows", "interface", "linkedid", "leg"),
    [
        (CAPTURE_CONSULTING, "Local/101@agents/n", CALL, "Local/101@agents-00000001;1"),
        (CAPTURE_CONSULTING, "Local/101@agents", CALL, "Local/101@agents-00000001;1"),
        (PHONES_CONSULTING, "PJSIP/1001", CALL, "PJSIP/1001-0000002b"),
        (PHONES_CONSULTING, "PJSIP/1002", CALL, "PJSIP/1002-0000002d"),
        (PHONES_CONSULTING, "PJSIP/1001", OTHER, "PJSIP/1001-00000007"),
    ],
    ids=["capture-local-n", "capture-local", "phone-second-call", "consulted-agent", "other"],
)
def test_the_agents_own_leg_of_the_call_on_screen(
    rows: list[tuple[str, str, str]], interface: str, linkedid: str, leg: str
) -> None:
    assert agent_leg(listed(rows), interface, linkedid) == leg


def test_without_a_call_on_screen_the_bridged_channel_is_the_agents() -> None:
    rows = [
        ("PJSIP/1001-00000009", OTHER, ""),  # ringing, not answered
        ("PJSIP/1001-0000002b", CALL, "4b603e9f"),
    ]
    assert agent_leg(listed(rows), "PJSIP/1001", None) == "PJSIP/1001-0000002b"


def test_a_call_that_left_the_agents_phone_falls_back_to_what_is_on_it() -> None:
    rows = [("PJSIP/1001-0000002f", OTHER, "c0ffee00")]
    assert agent_leg(listed(rows), "PJSIP/1001", CALL) == "PJSIP/1001-0000002f"


def test_no_channel_on_the_agents_device_is_none() -> None:
    rows = [("PJSIP/10010-00000001", CALL, "x"), ("PJSIP/trunk-0000002a", CALL, "x")]
    assert agent_leg(listed(rows), "PJSIP/1001", CALL) is None


@pytest.mark.parametrize(
    ("interface", "device"),
    [
        ("Local/1001@agents/n", "Local/1001@agents"),
        ("Local/1001@agents", "Local/1001@agents"),
        ("PJSIP/1001", "PJSIP/1001"),
        ("SIP/alice", "SIP/alice"),
    ],
)
def test_the_device_behind_an_interface(interface: str, device: str) -> None:
    assert device_of_interface(interface) == device


@pytest.mark.parametrize(
    ("interface", "exten"),
    [
        ("PJSIP/1001", "1001"),
        ("SIP/1001", "1001"),
        ("IAX2/2001", "2001"),
        ("SIP/1001@pbx", "1001"),
        ("Local/1002@agents/n", "1002"),  # the dial options, not the extension
        ("Local/101@agents/n", "101"),  # the capture PBX's three-digit phones
        ("Local/1002@agents", "1002"),
        ("Local/1003@phones/nj", "1003"),
        ("PJSIP/ 1004 ", "1004"),
        ("PJSIP/", None),
        ("Local/@agents/n", None),
    ],
)
def test_the_extension_a_transfer_dials_for_an_agents_interface(
    interface: str, exten: str | None
) -> None:
    assert dialable_extension(interface) == exten
