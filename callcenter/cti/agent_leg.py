"""Which channel is an agent's own leg of a call: the one the console hangs up or transfers."""

from __future__ import annotations

from collections.abc import Iterable

from callcenter.cti.tracker_state import Channel


def device_of_interface(interface: str) -> str:
    """The device behind a queue interface: `Local/1001@agents/n` -> `Local/1001@agents`.

    A Local interface may carry dial options after the context; its channels are named
    without them (`Local/1001@agents-0000000a;1`). Other interfaces are their own device.
    """
    if interface.startswith("Local/"):
        head, _, options = interface.rpartition("/")
        if "@" in head and "@" not in options:
            return head
    return interface


def dialable_extension(interface: str) -> str | None:
    """The dial-plan extension that rings the phone behind a queue interface, if it shows one.

    `PJSIP/1001` -> `1001`, `Local/101@agents/n` -> `101` (not `n`: the part after the last
    `/` of a Local interface is its dial options), `SIP/1001@pbx` -> `1001`. None when the
    interface names no resource (`PJSIP/`).
    """
    _, _, resource = interface.partition("/")
    exten = resource.split("/", 1)[0].partition("@")[0].strip()
    return exten or None


def agent_leg(channels: Iterable[Channel], interface: str, linkedid: str | None) -> str | None:
    """Which of the live channels is the agent's own leg of the call `linkedid`, or None.

    During an attended transfer the caller, the agent and the consulted party all carry
    the call's Linkedid, and the agent's phone may hold another call too. The agent's leg is
    the channel on the agent's device (`PJSIP/1001-...`, or the `Local/1001@agents-...`
    pair) that belongs to the call on the console; of a Local pair, the `;1` half, the member
    channel that app_queue bridged to the caller (and that Atxfer and Hangup are sent to).
    Without a known call, the agent's channel in a bridge is taken over one still ringing.
    """
    device = device_of_interface(interface)
    legs = [c for c in channels if c.name and (c.name == interface or c.device == device)]
    if linkedid is not None:
        legs = [c for c in legs if c.linkedid == linkedid] or legs

    def preference(channel: Channel) -> tuple[bool, bool, bool]:
        return (channel.linkedid != linkedid, channel.name.endswith(";2"), not channel.bridge)

    return min(legs, key=preference).name if legs else None
