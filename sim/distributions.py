"""Random draws for the engine: seeded numpy streams, refilled in blocks to stay fast.

Every stream draws from a child of the one `numpy.random.Generator` the engine was given
(`Generator.spawn`, in a fixed order), so a seed fixes the whole run; there is no global random
state. Values come out of numpy in blocks of
`BLOCK` (one vectorised call, then plain Python floats), which makes a draw cost about as much
as a list iteration step instead of a numpy call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from sim.scenario import Callers, Distribution, DistributionKind, QueueSpec, Scenario

BLOCK = 4096

Draw = Callable[[], float]


def _blocks(make: Callable[[int], np.ndarray]) -> Iterator[float]:
    while True:
        yield from make(BLOCK).tolist()


def lognormal_parameters(mean_s: float, cv: float) -> tuple[float, float]:
    """(mu, sigma) of the underlying normal for a lognormal with this mean and cv."""
    sigma2 = math.log1p(cv * cv)
    return math.log(mean_s) - sigma2 / 2, math.sqrt(sigma2)


def sampler(distribution: Distribution, rng: np.random.Generator) -> Draw:
    """A function returning one draw of `distribution` per call (seconds, never negative)."""
    kind = distribution.kind
    if kind is DistributionKind.DETERMINISTIC:
        value = distribution.mean_s
        return lambda: value
    stream: Iterator[float]
    if kind is DistributionKind.EXPONENTIAL:
        mean = distribution.mean_s
        stream = _blocks(lambda n: rng.exponential(mean, n))
    elif kind is DistributionKind.LOGNORMAL:
        mu, sigma = lognormal_parameters(distribution.mean_s, distribution.cv)
        stream = _blocks(lambda n: rng.lognormal(mu, sigma, n))
    elif kind is DistributionKind.UNIFORM:
        low, high = distribution.low_s, distribution.high_s
        stream = _blocks(lambda n: rng.uniform(low, high, n))
    else:
        values = np.asarray(distribution.values, dtype=float)
        weights = np.asarray(distribution.weights or [1.0] * len(values), dtype=float)
        p = weights / weights.sum()
        stream = _blocks(lambda n: rng.choice(values, size=n, p=p))
    return stream.__next__


def uniform_stream(rng: np.random.Generator) -> Draw:
    """Uniform(0, 1) draws, for yes/no decisions such as ring-no-answer or transfer."""
    return _blocks(lambda n: rng.random(n)).__next__


def index_stream(rng: np.random.Generator, size: int) -> Callable[[], int]:
    """Uniform picks among `size` items (e.g. a known caller's number)."""
    if size <= 0:
        raise ValueError("nothing to pick from")

    def picks() -> Iterator[int]:
        while True:
            yield from rng.integers(0, size, BLOCK).tolist()

    return picks().__next__


class QueueDraws:
    """The random streams of one queue, each from its own child generator."""

    __slots__ = ("arrival", "hangup", "patience", "talk", "transfer")

    def __init__(self, spec: QueueSpec, rng: np.random.Generator) -> None:
        # One child generator per stream: how fast one stream is used never shifts another,
        # so the event engine and the fast kernel see the same talk and patience per caller.
        self.arrival = sampler(Distribution.exponential(1.0), _child(rng))
        self.talk = sampler(spec.talk, _child(rng))
        patience_rng = _child(rng)
        self.patience = sampler(spec.patience, patience_rng) if spec.patience else None
        self.transfer = uniform_stream(_child(rng))
        self.hangup = uniform_stream(_child(rng))


class CallerDraws:
    """Who is calling: known customer or not, which one, or a random unknown number."""

    __slots__ = ("callers", "known", "pick", "unknown")

    def __init__(self, callers: Callers, rng: np.random.Generator) -> None:
        self.callers = callers
        self.known = uniform_stream(_child(rng))
        pick_rng = _child(rng)
        self.pick = index_stream(pick_rng, len(callers.numbers)) if callers.numbers else None
        self.unknown = index_stream(_child(rng), 10_000_000)

    def next_caller(self) -> tuple[str, str | None]:
        """(number, name) of the next caller."""
        callers = self.callers
        pick = self.pick
        if pick is not None and self.known() < callers.known_share:
            index = pick()
            return callers.numbers[index], (callers.names[index] if callers.names else None)
        # Seven digits, zero-padded: zfill takes half the time of a format spec here.
        return callers.unknown_prefix + str(self.unknown()).zfill(7), None


def _child(rng: np.random.Generator) -> np.random.Generator:
    return rng.spawn(1)[0]


class AgentDraws:
    """An agent's ring delay and ring-no-answer decisions."""

    __slots__ = ("ring", "ring_no_answer")

    def __init__(self, ring: Distribution, rng: np.random.Generator) -> None:
        self.ring = sampler(ring, _child(rng))
        self.ring_no_answer = uniform_stream(_child(rng))


class Draws:
    """Every random stream of a run, created in one fixed order from the run's generator."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        self.queues = {spec.name: QueueDraws(spec, rng) for spec in scenario.queues}
        self.agents = {spec.name: AgentDraws(spec.ring, rng) for spec in scenario.agents}
        self.callers = CallerDraws(scenario.callers, rng)
        self.routing = uniform_stream(_child(rng))  # strategy `random`
        # Spawned last, and only when callers differ: every other stream stays as it was.
        self.classes = _child(rng) if scenario.callers.has_classes else None  # sim.classes
