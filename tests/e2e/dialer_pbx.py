"""A small AMI server over TCP for the dialer's tests: it logs in, accepts Originate and
answers CoreShowChannels, QueueStatus and Getvar, and sends the events a test scripts, in
Asterisk's words (OriginateResponse, VarSet, UserEvent CampaignCall, BridgeEnter, Hangup)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Originated:
    """One Originate the server accepted."""

    action_id: str
    channel: str
    variables: dict[str, str]
    headers: dict[str, str]

    @property
    def attempt(self) -> int:
        return int(self.variables["CC_ATTEMPT"])


@dataclass
class DialPbx:
    """The server; `originated` in arrival order, `channels` what CoreShowChannels lists."""

    originated: list[Originated] = field(default_factory=list)
    # uniqueid -> (channel, linkedid, CC_ATTEMPT value)
    channels: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    refuse_originate: bool = False
    # Originates taken with no answer at all (an answer lost on the way).
    silent_originate: bool = False
    # Every action but Login, Ping and the list actions, in arrival order.
    actions: list[dict[str, str]] = field(default_factory=list)
    # Interfaces whose QueuePause Asterisk refuses (not a member of any queue).
    not_members: set[str] = field(default_factory=set)
    # The device state QueueStatus reports per member interface (absent: 1, NOT_INUSE).
    device_states: dict[str, int] = field(default_factory=dict)
    server: asyncio.Server | None = None
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for writer in [*self.writers]:
            writer.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def new_uniqueid(self) -> str:
        return f"1764690000.{next(self._ids)}"

    def emit(self, event: str, **headers: str) -> None:
        """Send one event to every logged-in client."""
        lines = [f"Event: {event}", *(f"{k}: {v}" for k, v in headers.items())]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode()
        for writer in self.writers:
            writer.write(data)

    # scripted calls, as Asterisk reports them

    def channel_up(self, call: Originated, *, varset: bool = False) -> tuple[str, str]:
        """The customer's channel is created; (channel, uniqueid). Its Uniqueid and Linkedid
        are the Originate's ChannelId (Asterisk 22 honours it)."""
        uniqueid = call.headers.get("ChannelId") or self.new_uniqueid()
        channel = f"PJSIP/trunk-{next(self._ids):08x}"
        self.channels[uniqueid] = (channel, uniqueid, str(call.attempt))
        self.emit("Newchannel", Channel=channel, Uniqueid=uniqueid, Linkedid=uniqueid)
        if varset:  # only for an AMI user that reads the `dialplan` class
            self.emit(
                "VarSet",
                Channel=channel,
                Uniqueid=uniqueid,
                Linkedid=uniqueid,
                Variable="CC_ATTEMPT",
                Value=str(call.attempt),
            )
        return channel, uniqueid

    def fail(
        self,
        call: Originated,
        *,
        reason: int,
        cause: int | None,
        channel: bool = True,
        local: bool = False,
    ) -> None:
        """A failed originate. PJSIP-like: the one channel's Hangup with the cause, then the
        response. `local`: the response first, then the originated half's Hangup with cause
        0 and the far end's half (`<id>;2`) with the cause, as a Local trunk reports it."""
        response = {
            "ActionID": call.action_id,
            "Response": "Failure",
            "Channel": call.channel,  # the dial string as sent
            "Context": "campaign-dial",
            "Exten": "s",
            "Reason": str(reason),
            "Uniqueid": call.headers.get("ChannelId", "<unknown>"),
            "CallerIDNum": "<unknown>",
            "CallerIDName": "<unknown>",
        }
        if not channel:
            self.emit("OriginateResponse", **response)
            return
        name, uniqueid = self.channel_up(call)
        if local:
            self.emit("OriginateResponse", **response)
            self.emit("Hangup", Channel=name, Uniqueid=uniqueid, Linkedid=uniqueid, Cause="0")
            self.emit(
                "Hangup",
                Channel=f"{name};2",
                Uniqueid=f"{uniqueid};2",
                Linkedid=uniqueid,
                Cause=str(cause),
            )
        else:
            self.emit(
                "Hangup", Channel=name, Uniqueid=uniqueid, Linkedid=uniqueid, Cause=str(cause)
            )
            self.emit("OriginateResponse", **response)
        del self.channels[uniqueid]

    def answer(
        self,
        call: Originated,
        *,
        stage: str | None = "answered",
        channel: tuple[str, str] | None = None,
    ) -> tuple[str, str]:
        """The customer answered (OriginateResponse Success) and the dialplan reports `stage`."""
        name, uniqueid = channel or self.channel_up(call)
        self.emit(
            "OriginateResponse",
            ActionID=call.action_id,
            Response="Success",
            Channel=name,
            Context="campaign-dial",
            Exten="s",
            Reason="4",
            Uniqueid=uniqueid,
        )
        if stage is not None:
            self.user_event(call, name, uniqueid, stage)
        return name, uniqueid

    def user_event(
        self, call: Originated, name: str, uniqueid: str, stage: str, **more: str
    ) -> None:
        self.emit(
            "UserEvent",
            Channel=name,
            Uniqueid=uniqueid,
            Linkedid=uniqueid,
            UserEvent="CampaignCall",
            Attempt=str(call.attempt),
            Stage=stage,
            **more,
        )

    def bridge_agent(self, uniqueid: str, interface: str) -> None:
        agent_uniqueid = self.new_uniqueid()
        self.emit(
            "BridgeEnter",
            Channel=f"{interface}-0000aa",
            Uniqueid=agent_uniqueid,
            Linkedid=uniqueid,
            BridgeUniqueid="b1",
        )

    def hangup(self, name: str, uniqueid: str, cause: int = 16) -> None:
        self.channels.pop(uniqueid, None)
        self.emit(
            "Hangup",
            Channel=name,
            Uniqueid=uniqueid,
            Linkedid=uniqueid,
            Cause=str(cause),
            **{"Cause-txt": "Normal Clearing"},
        )

    # the AMI side

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        buffer = b""
        try:
            while data := await reader.read(65536):
                buffer += data
                whole, _, buffer = buffer.rpartition(b"\r\n\r\n")
                for frame in self._frames(whole):
                    self._answer(frame, writer)
        finally:
            if writer in self.writers:
                self.writers.remove(writer)
            writer.close()

    def _frames(self, data: bytes) -> list[dict[str, str]]:
        # Actions carry Variable: more than once; the raw text keeps every one.
        frames = []
        for raw in data.split(b"\r\n\r\n"):
            if not raw.strip():
                continue
            headers: dict[str, str] = {}
            variables: dict[str, str] = {}
            for line in raw.decode().split("\r\n"):
                key, _, value = line.partition(": ")
                if key == "Variable":
                    name, _, val = value.partition("=")
                    variables[name] = val
                else:
                    headers[key] = value
            headers["__variables__"] = json.dumps(variables)
            frames.append(headers)
        return frames

    def _answer(self, frame: dict[str, str], writer: asyncio.StreamWriter) -> None:
        action, action_id = frame.get("Action", ""), frame.get("ActionID", "")

        def respond(*lines: str) -> None:
            writer.write(("\r\n".join([*lines, f"ActionID: {action_id}"]) + "\r\n\r\n").encode())

        if action not in ("Login", "Ping", "CoreShowChannels", "Getvar", "QueueStatus"):
            self.actions.append({k: v for k, v in frame.items() if k != "__variables__"})
        if action == "QueuePause" and frame.get("Interface") in self.not_members:
            respond("Response: Error", "Message: Interface not found")
            return
        if action == "Login":
            respond("Response: Success", "Message: Authentication accepted")
            self.writers.append(writer)
        elif action == "Originate":
            if self.refuse_originate:
                respond("Response: Error", "Message: Originate failed")
                return
            variables = json.loads(frame["__variables__"])
            self.originated.append(Originated(action_id, frame["Channel"], variables, frame))
            if self.silent_originate:
                return
            respond("Response: Success", "Message: Originate successfully queued")
        elif action == "CoreShowChannels":
            respond("Response: Success", "EventList: start", "Message: Channels will follow")
            for uniqueid, (channel, linkedid, _) in self.channels.items():
                respond(
                    "Event: CoreShowChannel",
                    f"Channel: {channel}",
                    f"Uniqueid: {uniqueid}",
                    f"Linkedid: {linkedid}",
                )
            respond(
                "Event: CoreShowChannelsComplete",
                "EventList: Complete",
                f"ListItems: {len(self.channels)}",
            )
        elif action == "QueueStatus":
            self._queue_status(frame.get("Member", ""), respond)
        elif action == "Getvar":
            value = next((a for c, _, a in self.channels.values() if c == frame.get("Channel")), "")
            respond("Response: Success", f"Variable: {frame.get('Variable')}", f"Value: {value}")
        elif action == "Logoff":
            respond("Response: Goodbye", "Message: Thanks for all the fish.")
        else:
            respond("Response: Success", "Message: ok")

    def _queue_status(self, member: str, respond: Callable[..., None]) -> None:
        """One queue, "sales", with the member asked for (as Asterisk lists a member)."""
        respond("Response: Success", "EventList: start", "Message: Queue status will follow")
        items = 0
        if member and member not in self.not_members:
            status = self.device_states.get(member, 1)
            respond(
                "Event: QueueMember",
                "Queue: sales",
                f"Name: {member}",
                f"Location: {member}",
                f"StateInterface: {member}",
                "Membership: dynamic",
                "Penalty: 0",
                "CallsTaken: 0",
                f"InCall: {1 if status == 2 else 0}",
                f"Status: {status}",
                "Paused: 1",
                "PausedReason: Campaign call",
            )
            items = 1
        respond("Event: QueueStatusComplete", "EventList: Complete", f"ListItems: {items}")
