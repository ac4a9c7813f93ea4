"""What a console (an AMI client) can ask of the simulated PBX, checked as Asterisk checks it."""

from __future__ import annotations

from sim.pbx.channels import exten_of
from sim.pbx.engine_link import EngineLink
from sim.pbx.switchboard import Switchboard


class ConsoleActions:
    """The effects of AMI actions on the switchboard and the engine (mixed into SimulatedPbx).

    `check_*` methods return Asterisk's refusal message (or None) before the reply is sent;
    the action methods run after it, at the simulation's present.
    """

    board: Switchboard
    link: EngineLink
    _transfer_context: dict[object, str]

    def now(self) -> float:
        raise NotImplementedError

    def wake(self) -> None:
        raise NotImplementedError

    # -- actions from AMI clients --------------------------------------------------------

    def _device_agent(self, interface: str) -> str | None:
        device = self.board.device_by_interface(interface)
        return device.agent if device is not None else None

    def check_queue_add(self, queue: str, interface: str) -> str | None:
        """Asterisk's refusals of QueueAdd."""
        if queue not in self.board.queues:
            return "Unable to add interface to queue: No such queue"
        agent = self._device_agent(interface)
        if agent is not None and agent in self.board.queues[queue].members:
            return "Unable to add interface: Already there"
        return None

    def queue_add(
        self, queue: str, interface: str, name: str, penalty: int, paused: bool, reason: str
    ) -> None:
        """QueueAdd: the agent logs in to the queue (the engine starts offering calls)."""
        at = self.now()
        device = self.board.device_by_interface(interface)
        if device is None:
            # An interface the scenario does not know: a PBX member no simulated call reaches.
            agent = name or interface
            device = self.board.add_device(agent, interface, exten_of(interface))
        self.board.add_member(
            queue, device, name or device.agent, at, penalty=penalty, paused=paused, reason=reason
        )
        self.link.login(device.agent, queue, penalty, paused, reason)
        self.wake()

    def check_queue_remove(self, queue: str, interface: str) -> str | None:
        """Asterisk's refusals of QueueRemove."""
        if queue not in self.board.queues:
            return "Unable to remove interface from queue: No such queue"
        agent = self._device_agent(interface)
        member = self.board.queues[queue].members.get(agent or "")
        if member is None:
            return "Unable to remove interface: Not there"
        if not member.dynamic:
            return "Member not dynamic"
        return None

    def queue_remove(self, queue: str, interface: str) -> None:
        """QueueRemove: the agent logs out of the queue."""
        agent = self._device_agent(interface)
        if agent is None:
            return
        self.board.remove_member(queue, agent, self.now())
        self.link.logout(agent, queue)
        self.wake()

    def check_member(self, interface: str, queue: str | None) -> bool:
        """Whether the interface is a member (of `queue`, or of any queue)."""
        agent = self._device_agent(interface)
        if agent is None:
            return False
        queues = [self.board.queues[queue]] if queue in self.board.queues else []
        if queue is None:
            queues = list(self.board.queues.values())
        return any(agent in q.members for q in queues)

    def queue_pause(self, interface: str, queue: str | None, paused: bool, reason: str) -> None:
        """QueuePause (with a reason), in one queue or all."""
        agent = self._device_agent(interface)
        if agent is None:
            return
        self.board.set_paused(agent, queue, paused, reason, self.now())
        self.link.pause(agent, queue, paused, reason)
        self.wake()

    def queue_penalty(self, interface: str, queue: str | None, penalty: int) -> None:
        """QueuePenalty (the PBX reports it; routing keeps the scenario's penalties)."""
        agent = self._device_agent(interface)
        if agent is not None:
            self.board.set_penalty(agent, queue, penalty, self.now())

    def check_originate(self, channel: str, exten: str, context: str) -> str | None:
        """Originate from an agent's interface (click-to-dial) or of a caller into a queue."""
        if self.board.device_by_interface(channel) is not None:
            agent = self._device_agent(channel)
            if agent is not None and self.link.agent_busy(agent):
                return "Originate failed"
            return None
        if exten in self.board.queues:
            return None
        return "Originate failed"

    def check_transfer(self, channel: str) -> str | None:
        """A transfer needs a channel of a connected queue call."""
        call = self.board.call_of_channel(channel)
        if call is None or call.agent_channel is None:
            return "Transfer failed"
        return None

    def blind_transfer(self, channel: str, exten: str, context: str) -> None:
        """BlindTransfer of the agent's channel: the caller goes to `exten@context`."""
        call = self.board.call_of_channel(channel)
        if call is not None:
            if exten not in self.board.queues:
                self._transfer_context[call.key] = context or "from-internal"
            self.link.blind_transfer(call.key, exten)
            self.wake()

    def redirect(self, channel: str, exten: str, context: str) -> None:
        """Redirect of a connected call's channel: modelled as the console's blind transfer."""
        self.blind_transfer(channel, exten, context)
