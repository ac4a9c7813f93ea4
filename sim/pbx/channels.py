"""Channel naming and identifiers: Uniqueid `<epoch>.<seq>`, Linkedid, PJSIP or Local names."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from sim.pbx.model import Channel, Device

_EXTEN = re.compile(r"^(?:PJSIP|SIP|IAX2|Local)/([^@/-]+)")


def exten_of(interface: str) -> str:
    """The extension of an interface (`PJSIP/1001` -> `1001`, `Local/101@agents/n` -> `101`)."""
    match = _EXTEN.match(interface)
    return match.group(1) if match else interface


class ChannelFactory:
    """Creates channels the way Asterisk names and numbers them.

    Asterisk's Uniqueid is `<time(NULL) at creation>.<one global counter>`; the Linkedid of every
    channel of a call is the Uniqueid of its oldest channel. chan_pjsip and Local channels each
    keep their own 8-hex-digit name counter. Production naming puts callers on a trunk
    (`PJSIP/trunk-0000002a`) and agents on phones (`PJSIP/1001-0000002b`); `local_channels`
    reproduces the capture PBX, where every party is a `Local/...;1` / `;2` pair.
    """

    def __init__(self, epoch: Callable[[float], float], *, local_channels: bool) -> None:
        self._epoch = epoch
        self.local_channels = local_channels
        self._unique_seq = 0
        self._pjsip_seq = 0
        self._local_seq = 0

    def _uniqueid(self, at: float) -> str:
        value = f"{int(self._epoch(at))}.{self._unique_seq}"
        self._unique_seq += 1
        return value

    def _make(
        self, name: str, at: float, linkedid: str | None, context: str, exten: str
    ) -> Channel:
        uniqueid = self._uniqueid(at)
        return Channel(
            name=name,
            uniqueid=uniqueid,
            linkedid=linkedid or uniqueid,
            created_at=at,
            context=context,
            exten=exten,
        )

    def _local_pair(self, base: str, at: float, linkedid: str | None, context: str) -> Channel:
        suffix = f"{self._local_seq:08x}"
        self._local_seq += 1
        exten = base.split("@", 1)[0]
        one = self._make(f"Local/{base}-{suffix};1", at, linkedid, context, exten)
        two = self._make(f"Local/{base}-{suffix};2", at, one.linkedid, context, exten)
        two.state = 4
        one.peer = two
        return one

    def _pjsip(
        self, endpoint: str, at: float, linkedid: str | None, context: str, exten: str
    ) -> Channel:
        name = f"PJSIP/{endpoint}-{self._pjsip_seq:08x}"
        self._pjsip_seq += 1
        return self._make(name, at, linkedid, context, exten)

    def caller(self, number: str, at: float, queue: str) -> Channel:
        """An inbound caller: a trunk channel, or the `;1` half of `Local/<number>@customer`."""
        if self.local_channels:
            return self._local_pair(f"{number}@customer", at, None, "customer")
        channel = self._pjsip("trunk", at, None, "queues", queue)
        channel.state = 4
        return channel

    def agent(self, device: Device, at: float, linkedid: str | None) -> Channel:
        """The channel that rings an agent's phone."""
        if self.local_channels:
            return self._local_pair(f"{device.exten}@agents", at, linkedid, "agents")
        # The phones' endpoints run in [phones] (docs/asterisk/extensions.conf).
        return self._pjsip(device.exten, at, linkedid, "phones", device.exten)

    def external(self, exten: str, context: str, at: float, linkedid: str) -> Channel:
        """A party outside the queues: a transfer target or a customer dialled out."""
        if self.local_channels:
            return self._local_pair(f"{exten}@{context}", at, linkedid, context)
        endpoint = "trunk" if len(exten) > 6 else exten
        return self._pjsip(endpoint, at, linkedid, context, exten)

    def dialled(
        self, tech: str, endpoint: str, number: str, at: float, ids: tuple[str, str] = ("", "")
    ) -> Channel:
        """The channel an Originate dials out on: `PJSIP/trunk-0000002a` (the endpoint's
        name and the technology's own counter), or the `;1` half of `Local/<number>@<context>`
        when a Local channel is asked for (`endpoint` is then its context). `ids` are the
        Originate's ChannelId and OtherChannelId: the channel's Uniqueid and Linkedid (a
        Local `;2` half is `<ChannelId>;2` unless OtherChannelId names it)."""
        channel_id, other_id = ids
        if tech == "Local":
            one = self._local_pair(f"{number}@{endpoint}", at, None, endpoint)
        elif tech == "PJSIP":
            # An outgoing PJSIP channel starts in its endpoint's context, at `s`.
            one = self._pjsip(endpoint, at, None, "from-trunk", "s")
        else:
            name = f"{tech}/{endpoint}-{self._pjsip_seq:08x}"
            self._pjsip_seq += 1
            one = self._make(name, at, None, "from-trunk", "s")
        if channel_id:
            one.uniqueid = one.linkedid = channel_id
            if one.peer is not None:
                one.peer.uniqueid = other_id or f"{channel_id};2"
                one.peer.linkedid = channel_id
        return one

    def device_for(self, agent: str, interface: str | None, exten: str) -> Device:
        """An agent's device: its queue interface and state interface in this naming."""
        if self.local_channels:
            exten = exten_of(interface) if interface else exten
            return Device(
                agent=agent,
                exten=exten,
                interface=f"Local/{exten}@agents/n",
                state_interface=f"Local/{exten}@agents",
            )
        interface = interface or f"PJSIP/{exten}"
        return Device(
            agent=agent,
            exten=exten_of(interface),
            interface=interface,
            state_interface=interface,
        )

    @staticmethod
    def bridge_id() -> str:
        """Bridges are named by a random UUID, as Asterisk's are."""
        return str(uuid.uuid4())
