"""Queue members: QueueAdd, QueueRemove, QueuePause and QueuePenalty as app_queue reports them."""

from __future__ import annotations

from sim.pbx.model import Device, Member
from sim.pbx.signalling import Signalling
from sim.pbx.switchboard import Switchboard


class QueueMembers:
    """Logs agents in and out of queues, pauses them and sets their penalties."""

    def __init__(self, board: Switchboard, signals: Signalling) -> None:
        self.board = board
        self.signals = signals

    def add_member(
        self,
        queue: str,
        device: Device,
        name: str,
        at: float,
        *,
        penalty: int = 0,
        paused: bool = False,
        reason: str = "",
        dynamic: bool = True,
        announce: bool = True,
        state_interface: str | None = None,
    ) -> Member:
        """QueueAdd; members present when the PBX starts are added with `announce=False`."""
        now = int(self.board.epoch(at))
        member = Member(
            queue=queue,
            name=name,
            device=device,
            dynamic=dynamic,
            login_time=now,
            penalty=penalty,
            paused=paused,
            paused_reason=reason if paused else "",
            last_pause=now if paused else 0,
            wrapup_s=self.board.queues[queue].wrapup_s,
            state_interface=state_interface,
        )
        self.board.queues[queue].members[device.agent] = member
        if announce:
            self.signals.member_event("QueueMemberAdded", member, at)
        return member

    def remove_member(self, queue: str, agent: str, at: float) -> Member | None:
        """QueueRemove."""
        member = self.board.queues[queue].members.pop(agent, None)
        if member is not None:
            self.signals.member_event("QueueMemberRemoved", member, at)
        return member

    def set_paused(
        self, agent: str, queue: str | None, paused: bool, reason: str, at: float
    ) -> int:
        """QueuePause in one queue or all: returns how many memberships it touched."""
        touched = 0
        for q in self.board.queues.values():
            member = q.members.get(agent)
            if member is None or (queue is not None and q.name != queue):
                continue
            touched += 1
            if member.paused == paused and (not paused or member.paused_reason == reason):
                continue
            member.paused = paused
            member.paused_reason = reason if paused else ""
            if paused:
                member.last_pause = int(self.board.epoch(at))
            self.signals.member_event("QueueMemberPause", member, at)
        return touched

    def set_penalty(self, agent: str, queue: str | None, penalty: int, at: float) -> int:
        """QueuePenalty."""
        touched = 0
        for q in self.board.queues.values():
            member = q.members.get(agent)
            if member is None or (queue is not None and q.name != queue):
                continue
            member.penalty = penalty
            touched += 1
            self.signals.member_event("QueueMemberPenalty", member, at)
        return touched
