"""The far end of an outbound call: who answers, after how long, and what AMD() hears.

`FarEnd(callees, rng).dial(number, timeout_s)` decides one dial of the scenario's `[outbound]`
(`sim.scenario.Callees`) with its own seeded stream, so the same scenario and the same order
of dials give the same outcomes, and outbound draws never shift the inbound ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.distributions import Draw, sampler, uniform_stream
from sim.scenario import Callees, FarOutcome

# Asterisk's hang-up cause of the dialled channel per outcome (causes.h), and its text.
CAUSE_OF = {
    FarOutcome.BUSY: 17,
    FarOutcome.NO_ANSWER: 19,
    FarOutcome.CONGESTION: 34,
    FarOutcome.FAILED: 1,
    FarOutcome.REJECTED: 21,
}
# app_amd's defaults (amd.conf): the word and greeting limits its causes name.
AMD_GREETING_MS = 1500
AMD_AFTER_GREETING_SILENCE_MS = 800
AMD_MAXIMUM_WORDS = 2


@dataclass(frozen=True, slots=True)
class Dialled:
    """One dial's fate: `after_s` from the dial to the answer (PERSON, MACHINE), to the busy
    or failure signal, or to the Originate's timeout (NO_ANSWER)."""

    outcome: FarOutcome
    after_s: float
    talk_s: float = 0.0
    amd_s: float = 0.0
    amd_cause: str = ""

    @property
    def answered(self) -> bool:
        """A person or a machine picked up."""
        return self.outcome in (FarOutcome.PERSON, FarOutcome.MACHINE)

    @property
    def amd_status(self) -> str:
        """AMDSTATUS as AMD() sets it for this far end."""
        return "MACHINE" if self.outcome is FarOutcome.MACHINE else "HUMAN"

    @property
    def cause(self) -> int:
        """The dialled channel's hang-up cause when it was not answered (16 otherwise)."""
        return CAUSE_OF.get(self.outcome, 16)


class FarEnd:
    """Draws the far end's behaviour for each dial, deterministically from `rng`."""

    def __init__(self, callees: Callees, rng: np.random.Generator) -> None:
        self.callees = callees
        streams = rng.spawn(7)
        self._pick = uniform_stream(streams[0])
        self._machine = uniform_stream(streams[1])
        self._ring: Draw = sampler(callees.ring, streams[2])
        self._reject: Draw = sampler(callees.reject_after, streams[3])
        self._amd_person: Draw = sampler(callees.amd_person, streams[4])
        self._amd_machine: Draw = sampler(callees.amd_machine, streams[5])
        self._talk: Draw = sampler(callees.talk, streams[6])

    def dial(self, number: str, timeout_s: float) -> Dialled:
        """What happens when `number` is dialled with this Originate timeout."""
        callees = self.callees
        # Every dial draws the same values in the same order, whatever the outcome, so one
        # number's override does not shift the others' draws.
        pick, machine = self._pick(), self._machine()
        ring, reject, talk = self._ring(), self._reject(), self._talk()
        amd_person, amd_machine = self._amd_person(), self._amd_machine()
        override = callees.override(number)
        outcome = override.outcome if override is not None else None
        if override is not None and override.ring_s is not None:
            ring = override.ring_s
        if override is not None and override.talk_s is not None:
            talk = override.talk_s
        if outcome is None:
            outcome = self._outcome(pick, machine)
        if outcome in (FarOutcome.PERSON, FarOutcome.MACHINE) and ring >= timeout_s:
            outcome = FarOutcome.NO_ANSWER
        if outcome is FarOutcome.NO_ANSWER:
            return Dialled(outcome, timeout_s)
        if outcome is FarOutcome.PERSON:
            silence = AMD_AFTER_GREETING_SILENCE_MS
            cause = f"HUMAN-{silence}-{AMD_AFTER_GREETING_SILENCE_MS}"
            return Dialled(outcome, ring, talk_s=max(1.0, talk), amd_s=amd_person, amd_cause=cause)
        if outcome is FarOutcome.MACHINE:
            return Dialled(outcome, ring, amd_s=amd_machine, amd_cause=_machine_cause(machine))
        return Dialled(outcome, reject)

    def _outcome(self, pick: float, machine: float) -> FarOutcome:
        callees = self.callees
        edge = callees.answer_probability
        if pick < edge:
            return FarOutcome.MACHINE if machine < callees.machine_share else FarOutcome.PERSON
        for share, outcome in (
            (callees.busy_share, FarOutcome.BUSY),
            (callees.congestion_share, FarOutcome.CONGESTION),
            (callees.failed_share, FarOutcome.FAILED),
        ):
            edge += share
            if pick < edge:
                return outcome
        return FarOutcome.NO_ANSWER


def _machine_cause(draw: float) -> str:
    """AMDCAUSE of a machine: a greeting too long, or too many words (app_amd's forms)."""
    if int(draw * 1_000_000) % 3 == 0:
        return f"MAXWORDS-{AMD_MAXIMUM_WORDS + 1}-{AMD_MAXIMUM_WORDS}"
    return f"LONGGREETING-{AMD_GREETING_MS + 20}-{AMD_GREETING_MS}"
