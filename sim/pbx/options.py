"""How the simulated PBX presents itself and plays the parts the scenario does not script."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sim.inbound import SKILLS_RULE, PenaltyChange


@dataclass(frozen=True, slots=True)
class PbxOptions:
    """How the simulated PBX presents itself."""

    speed: float = 1.0
    local_channels: bool = False
    timestamps: bool = True
    username: str = "crm"
    secret: str = "crmsecret"
    voicemail_s: float = 4.0
    # Callers arrive as the scenario says; False: only callers sent in by AMI Originate.
    auto_arrivals: bool = True
    # `human = true` agents start outside their queues, as a person is until they sign in at
    # a console (whose QueueAdd logs them in); False: in their queues from the start.
    humans_logged_out: bool = False
    # After a transfer out of the queues, the caller talks this long (mean, simulated s).
    external_talk_mean_s: float = 60.0
    # A transfer target or dialled customer answers after this many (simulated) seconds.
    far_answer_s: float = 2.0
    # Share of calls a simulated (not human) agent puts on hold once, as the `hold` capture
    # shows: `hold_after_s` after answering, for `hold_s` (cut short if the call ends).
    hold_share: float = 0.1
    hold_after_s: float = 4.0
    hold_s: float = 6.0
    # Inbound routing (docs/asterisk/extensions.conf [from-trunk]): a caller dialling one of a
    # queue's `numbers` asks this FastAGI server first (None: straight to the DID's queue).
    agi_url: str | None = None
    # The queue when the server cannot be reached or names none (the dialplan's DEFAULT_QUEUE).
    default_queue: str = "support"
    # How long a preferred member's phone rings before the caller goes to the queue (the
    # dialplan's PREFERRED_WAIT).
    preferred_wait_s: float = 8.0
    # A closed queue's message (Playback) before the caller is hung up, simulated seconds.
    closed_message_s: float = 5.0
    # How a routed caller's penalty window widens while they wait (queues.conf defaultrule).
    penalty_rule: tuple[PenaltyChange, ...] = SKILLS_RULE
    # Wall-clock seconds a routing server may take in all before the call falls back.
    agi_timeout_s: float = 10.0
    # Simulated seconds the PBX boots after it starts listening (`core restart now`): logins
    # are accepted, app_queue's actions are unknown, and FullyBooted comes at the end.
    boot_s: float = 0.0
    # Campaign calls ([campaign-dial]): how long Queue(${CC_QUEUE},,,,1) waits for a free
    # agent before the abandoned-call message.
    campaign_queue_wait_s: float = 1.0
    # How long Dial(${CC_AGENT},${CAMPAIGN_AGENT_RING},t) rings the reserved agent.
    campaign_agent_ring_s: float = 10.0
    # The AMI user reads the dialplan class too (`read = ...,dialplan`): VarSet of the
    # campaign call's variables and AMD's results. docs/asterisk/manager.conf's does not.
    dialplan_events: bool = False

    def far_talk_s(self, rng: random.Random) -> float:
        """How long a caller talks with a party outside the queues (a transfer target)."""
        return max(1.0, rng.expovariate(1 / self.external_talk_mean_s))
