"""An outbound campaign as a discrete-event simulation: preview, progressive and predictive.

`N` agents work one campaign for `hours` of simulated time with an endless list of leads. Each
dial is answered by a person (`answer_rate` of dials), by an answering machine
(`machine_share`) or by nobody; an answer comes after a `ring` draw (at most the no-answer
timeout), nobody answering ends the line at the timeout. A machine is recognised by `AMD()`
after `amd_s` and hung up. A person talks for a `talk` draw, then the agent wraps up.

- preview: a free agent reads the next lead for a `preview` draw, then the call rings on their
  line; the agent is idle meanwhile and gets the next lead if nobody answers.
- progressive: one line per free agent, the agent reserved for it while it rings (so it never
  abandons); driven by a progressive `callcenter.campaigns.pacing.Pacer`.
- predictive: lines are dialled by the product's own `Pacer` (the same class the dialer runs)
  and not tied to an agent; a person who answers waits up to `abandon_wait_s` for a free agent,
  then hears the abandon message (abandoned).

Figures (`OutboundResult`), all within the simulated day (calls still on at its end count up to
it; no dial starts after it):

- occupancy = (talk + wrap-up time) / staffed time (agents x day); reading a preview, waiting
  for a reserved line to answer and idling are not occupied;
- abandon rate = abandoned / answered by a person (answered = connected + abandoned);
- wait between calls = mean seconds from an agent being free (end of wrap-up, or the start of
  the day) to its next connect;
- dials, connects (to an agent), machines, abandoned, no answers, dials per hour.

Deterministic for a seed: every random stream is a child of one numpy generator
(`sim.distributions`), each kind of draw in its own stream, so the three modes see the same
answer/ring/talk streams. `progressive_expectation` / `preview_expectation` give the
closed-form occupancy the progressive and preview runs must match (renewal argument, see there).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from callcenter.campaigns.enums import CampaignMode, Outcome
from callcenter.campaigns.pacing import Pacer
from sim.distributions import lognormal_parameters, sampler, uniform_stream
from sim.scenario import Distribution, DistributionKind

# Event kinds.
_ANSWER, _MACHINE_END, _NO_ANSWER, _GIVE_UP, _TALK_END, _WRAP_END, _PREVIEW_END, _TICK = range(8)


@dataclass(frozen=True, slots=True)
class OutboundConfig:
    """One simulated campaign day."""

    mode: CampaignMode = CampaignMode.PREDICTIVE
    agents: int = 50
    hours: float = 8.0
    answer_rate: float = 0.30  # share of dials a person answers
    machine_share: float = 0.0  # share of dials an answering machine answers
    ring: Distribution = field(default_factory=lambda: Distribution.lognormal(12.0, 0.5))
    no_answer_timeout_s: float = 30.0
    amd_s: float = 3.0
    talk: Distribution = field(default_factory=lambda: Distribution.exponential(120.0))
    wrap: Distribution = field(default_factory=lambda: Distribution.deterministic(10.0))
    preview: Distribution = field(default_factory=lambda: Distribution.deterministic(10.0))
    abandon_wait_s: float = 1.0
    abandon_cap: float = 0.03
    max_lines_per_agent: float = 5.0
    decide_every_s: float = 1.0  # predictive: the pacer is also asked on this tick
    pacer_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 1

    def check(self) -> None:
        """Raise ValueError with one sentence when the day cannot be simulated."""
        if self.agents <= 0:
            raise ValueError("a campaign needs at least one agent")
        if not self.hours > 0:
            raise ValueError("the day must last more than 0 hours")
        if not 0 < self.answer_rate <= 1 or not 0 <= self.machine_share <= 1:
            raise ValueError("the answer rate must be in (0, 1] and the machine share in [0, 1]")
        if self.answer_rate + self.machine_share > 1:
            raise ValueError("the answer rate and machine share add up to more than 1")
        if not self.no_answer_timeout_s > 0:
            raise ValueError("the no-answer timeout must be positive")
        if not 0 <= self.abandon_cap < 1:
            raise ValueError("the abandon cap must be in [0, 1)")


@dataclass(frozen=True, slots=True)
class OutboundResult:
    """What one simulated campaign day gave (see the module docstring for definitions)."""

    mode: CampaignMode
    agents: int
    hours: float
    dials: int
    connects: int
    abandoned: int
    machines: int
    no_answers: int
    busy_s: float
    busy_by_hour: tuple[float, ...]  # agent seconds occupied in each hour of the day
    staffed_s: float
    wait_total_s: float
    final_ratio: float
    max_abandon_rate: float  # the rolling rate's highest value once 100 people had answered

    @property
    def occupancy(self) -> float:
        return self.busy_s / self.staffed_s if self.staffed_s else 0.0

    def occupancy_by_hour(self) -> list[float]:
        """Occupancy of each hour of the day (the last one may be shorter)."""
        day_s = self.hours * 3600.0
        return [
            busy / (self.agents * min(3600.0, day_s - hour * 3600.0))
            for hour, busy in enumerate(self.busy_by_hour)
        ]

    @property
    def answered(self) -> int:
        """Answered by a person: connected or abandoned."""
        return self.connects + self.abandoned

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    @property
    def wait_between_calls_s(self) -> float:
        return self.wait_total_s / self.connects if self.connects else 0.0

    @property
    def dials_per_hour(self) -> float:
        return self.dials / self.hours

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "agents": self.agents,
            "hours": self.hours,
            "dials": self.dials,
            "connects": self.connects,
            "abandoned": self.abandoned,
            "machines": self.machines,
            "no_answers": self.no_answers,
            "occupancy": self.occupancy,
            "occupancy_by_hour": self.occupancy_by_hour(),
            "abandon_rate": self.abandon_rate,
            "max_abandon_rate": self.max_abandon_rate,
            "wait_between_calls_s": self.wait_between_calls_s,
            "dials_per_hour": self.dials_per_hour,
            "final_ratio": self.final_ratio,
        }


class OutboundDay:
    """One campaign day; `run()` it once for its figures."""

    def __init__(self, config: OutboundConfig) -> None:
        config.check()
        self.config = config
        self.end = config.hours * 3600.0
        rng = np.random.default_rng(config.seed)
        children = rng.spawn(5)
        self._outcome = uniform_stream(children[0])
        self._ring = sampler(config.ring, children[1])
        self._talk = sampler(config.talk, children[2])
        self._wrap = sampler(config.wrap, children[3])
        self._preview = sampler(config.preview, children[4])
        self.pacer = Pacer(
            abandon_cap=config.abandon_cap,
            mode=config.mode,
            max_lines_per_agent=config.max_lines_per_agent,
            **config.pacer_options,
        )
        self._heap: list[tuple[float, int, int, int]] = []  # (at, seq, kind, subject)
        self._seq = itertools.count()
        n = config.agents
        self._free_since = [0.0] * n
        self._connected_at = [0.0] * n
        self._talk_s = [0.0] * n
        self._free: deque[int] = deque(range(n))  # free agents, longest free first
        self._busy: set[int] = set()  # talking or wrapping
        # Lines: line id -> (agent reserved or -1, dialled at).
        self._lines: dict[int, tuple[int, float]] = {}
        self._line_ids = itertools.count()
        self._waiting: deque[int] = deque()  # predictive: answered lines waiting for an agent
        self._waiting_set: set[int] = set()
        self.now = 0.0
        self.dials = self.connects = self.abandoned = self.machines = self.no_answers = 0
        self.busy_s = 0.0
        self.busy_by_hour = [0.0] * math.ceil(config.hours)
        self.wait_total_s = 0.0
        self.max_rate = 0.0

    def _push(self, at: float, kind: int, subject: int) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), kind, subject))

    # -- dialling ---------------------------------------------------------------------------

    def _dial(self, agent: int) -> None:
        """Dial the next lead, on `agent`'s line (-1: for whichever agent is free then)."""
        config = self.config
        line = next(self._line_ids)
        self._lines[line] = (agent, self.now)
        self.dials += 1
        self.pacer.record_dial(self.now)
        u = self._outcome()
        timeout = config.no_answer_timeout_s
        if u < config.answer_rate + config.machine_share:
            ring = min(self._ring(), timeout)
            self._push(self.now + ring, _ANSWER if u < config.answer_rate else _MACHINE_END, line)
        else:
            self._push(self.now + timeout, _NO_ANSWER, line)

    def _offer(self, agent: int) -> None:
        """`agent` is free: a waiting answered call, a new lead, or nothing (predictive)."""
        mode = self.config.mode
        if mode is CampaignMode.PREDICTIVE:
            while self._waiting:
                line = self._waiting.popleft()
                if line in self._waiting_set:
                    self._waiting_set.discard(line)
                    self._connect(agent, line)
                    return
            self._free.append(agent)
            return
        if self.now >= self.end:
            return
        if mode is CampaignMode.PREVIEW:
            self._push(self.now + self._preview(), _PREVIEW_END, agent)
        else:
            self._free.append(agent)
            self._pace()

    def _pace(self) -> None:
        """Ask the pacer for new lines and dial them."""
        if self.now >= self.end:
            return
        free = self._free
        if self.config.mode is CampaignMode.PROGRESSIVE:
            lines = self.pacer.lines_to_dial(
                free_agents=len(free), lines_in_progress=0, now=self.now
            )
            for _ in range(lines):
                self._dial(free.popleft())
            return
        now = self.now
        elapsed = [now - self._connected_at[a] for a in self._busy]
        waiting = self._waiting_set
        ringing = [now - at for line, (_, at) in self._lines.items() if line not in waiting]
        lines = self.pacer.lines_to_dial(
            free_agents=len(free),
            lines_in_progress=len(self._lines),
            now=now,
            busy_elapsed_s=elapsed,
            ringing_elapsed_s=ringing,
        )
        for _ in range(lines):
            self._dial(-1)

    # -- agents -----------------------------------------------------------------------------

    def _connect(self, agent: int, line: int) -> None:
        _, dialled_at = self._lines.pop(line)
        now = self.now
        self.connects += 1
        self.wait_total_s += now - self._free_since[agent]
        self.pacer.record_outcome(Outcome.ANSWERED, now, ring_s=now - dialled_at)
        self._connected_at[agent] = now
        self._busy.add(agent)
        talk = self._talk()
        self._talk_s[agent] = talk
        self._push(now + talk, _TALK_END, agent)

    def _book_busy(self, since: float, until: float) -> None:
        """An agent was occupied from `since` to `until` (counted within the day only)."""
        until = min(until, self.end)
        if since >= until:
            return
        self.busy_s += until - since
        by_hour = self.busy_by_hour
        while since < until:
            hour = int(since // 3600.0)
            step = min(until, (hour + 1) * 3600.0)
            by_hour[hour] += step - since
            since = step

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> OutboundResult:
        """Simulate the day and return its figures."""
        config = self.config
        mode = config.mode
        if mode is CampaignMode.PREVIEW:
            self._free.clear()  # each agent reads a first lead
            for agent in range(config.agents):
                self._offer(agent)
        else:
            self._pace()
        if mode is CampaignMode.PREDICTIVE:
            self._push(config.decide_every_s, _TICK, 0)
        heap = self._heap
        pacer = self.pacer
        end = self.end
        while heap and heap[0][0] <= end:
            at, _, kind, subject = heapq.heappop(heap)
            self.now = at
            if kind == _TICK:
                self._push(at + config.decide_every_s, _TICK, 0)
                self._pace()
            elif kind == _ANSWER:
                agent, dialled_at = self._lines[subject]
                if agent >= 0:
                    self._connect(agent, subject)
                elif self._free:
                    self._connect(self._free.popleft(), subject)
                else:
                    self._waiting.append(subject)
                    self._waiting_set.add(subject)
                    self._push(at + config.abandon_wait_s, _GIVE_UP, subject)
            elif kind == _GIVE_UP:
                if subject in self._waiting_set:
                    self._waiting_set.discard(subject)
                    _, dialled_at = self._lines.pop(subject)
                    self.abandoned += 1
                    pacer.record_outcome(Outcome.ABANDONED, at, ring_s=at - dialled_at)
                    self._pace()
            elif kind == _TALK_END:
                wrap = self._wrap()
                self._push(at + wrap, _WRAP_END, subject)
            elif kind == _WRAP_END:
                since = self._connected_at[subject]
                self._book_busy(since, at)
                self._busy.discard(subject)
                pacer.record_talk(
                    self._talk_s[subject], at, wrap_s=at - since - self._talk_s[subject]
                )
                self._free_since[subject] = at
                self._offer(subject)
                if mode is CampaignMode.PREDICTIVE:
                    self._pace()
            elif kind == _PREVIEW_END:
                self._dial(subject)
            else:  # a line ended unanswered by a person: machine or no answer
                agent, _ = self._lines.pop(subject)
                if kind == _MACHINE_END:
                    self.machines += 1
                    pacer.record_outcome(Outcome.MACHINE, at)
                else:
                    self.no_answers += 1
                    pacer.record_outcome(Outcome.NO_ANSWER, at)
                if agent >= 0:
                    self._offer(agent)
                else:
                    self._pace()
            if kind in (_ANSWER, _GIVE_UP) and self.connects + self.abandoned >= 100:
                rate = pacer.abandon_rate(at)
                if rate > self.max_rate:
                    self.max_rate = rate
        for agent in self._busy:  # still on a call or wrapping up when the day ended
            self._book_busy(self._connected_at[agent], end)
        return OutboundResult(
            mode=mode,
            agents=config.agents,
            hours=config.hours,
            dials=self.dials,
            connects=self.connects,
            abandoned=self.abandoned,
            machines=self.machines,
            no_answers=self.no_answers,
            busy_s=self.busy_s,
            busy_by_hour=tuple(self.busy_by_hour),
            staffed_s=config.agents * end,
            wait_total_s=self.wait_total_s,
            final_ratio=pacer.ratio,
            max_abandon_rate=self.max_rate,
        )


def simulate_outbound(config: OutboundConfig) -> OutboundResult:
    """Simulate one campaign day."""
    return OutboundDay(config).run()


# -- closed forms -----------------------------------------------------------------------------


def mean_clipped(distribution: Distribution, limit: float) -> float:
    """E[min(R, limit)] for R drawn from `distribution` (the ring time of an answered line)."""
    kind = distribution.kind
    if kind is DistributionKind.DETERMINISTIC:
        return min(distribution.mean_s, limit)
    if kind is DistributionKind.EXPONENTIAL:
        mean = distribution.mean_s
        return mean * (1.0 - math.exp(-limit / mean))
    if kind is DistributionKind.UNIFORM:
        low, high = distribution.low_s, distribution.high_s
        if limit >= high:
            return (low + high) / 2
        if limit <= low:
            return limit
        inside = (limit - low) / (high - low)
        return inside * (low + limit) / 2 + (1 - inside) * limit
    if kind is DistributionKind.EMPIRICAL:
        values = distribution.values
        weights = distribution.weights or tuple(1.0 for _ in values)
        total = sum(weights)
        return sum(min(v, limit) * w for v, w in zip(values, weights, strict=True)) / total
    # Lognormal: the integral of the survival function from 0 to the limit (Simpson's rule).
    mu, sigma = lognormal_parameters(distribution.mean_s, distribution.cv)
    if sigma == 0:
        return min(distribution.mean_s, limit)
    steps = 4000
    h = limit / steps

    def survival(r: float) -> float:
        if r <= 0:
            return 1.0
        return 0.5 * math.erfc((math.log(r) - mu) / (sigma * math.sqrt(2)))

    odd = sum(survival((2 * i - 1) * h) for i in range(1, steps // 2 + 1))
    even = sum(survival(2 * i * h) for i in range(1, steps // 2))
    return h / 3 * (survival(0.0) + 4 * odd + 2 * even + survival(limit))


def _idle_per_connect(config: OutboundConfig, per_dial_s: float) -> float:
    """Expected agent seconds not occupied per connect, with `per_dial_s` before each dial.

    Each dial is an independent trial: a person with probability p, a machine with m, nobody
    with u = 1 - p - m, so a connect takes 1/p dials on average (geometric): the p-th share
    rings R (clipped at the timeout T) then connects; every failed dial costs R + AMD time
    (machine) or T (nobody). Idle per connect = per_dial_s/p + R + (m (R + amd) + u T) / p.
    """
    p, m = config.answer_rate, config.machine_share
    u = 1.0 - p - m
    timeout = config.no_answer_timeout_s
    ring = mean_clipped(config.ring, timeout)
    return per_dial_s / p + ring + (m * (ring + config.amd_s) + u * timeout) / p


def progressive_expectation(config: OutboundConfig) -> float:
    """Long-run occupancy of progressive mode: busy / (busy + idle) per connect cycle.

    Each agent cycles independently (its own reserved line): renewal-reward gives
    occupancy = (E[talk] + E[wrap]) / (E[talk] + E[wrap] + idle per connect).
    """
    busy = config.talk.mean_s + config.wrap.mean_s
    return busy / (busy + _idle_per_connect(config, 0.0))


def preview_expectation(config: OutboundConfig) -> float:
    """Long-run occupancy of preview mode: as progressive, plus a preview before every dial."""
    busy = config.talk.mean_s + config.wrap.mean_s
    return busy / (busy + _idle_per_connect(config, config.preview.mean_s))
