"""Erlang C (M/M/n) and Erlang A (M/M/n+M) queueing formulas for staffing and validation.

Both models: Poisson arrivals at rate `arrival_rate` (calls per second), exponential talk with
mean `mean_talk_s`, `agents` identical agents, one FIFO queue. Erlang A adds exponential
patience with mean `mean_patience_s`: a caller still waiting when their patience runs out
hangs up (abandons). Erlang C is the limit of Erlang A as patience grows without bound.

Service level here means what `kpi.definitions.service_level` measures with no short
abandons: callers answered within T seconds divided by all callers who arrived (offered). In
Erlang A a caller who abandons before T therefore counts against the service level, exactly
as in the simulator's KPI.

Erlang A follows Palm (1946) and Garnett, Mandelbaum & Reiman (2002), "Designing a call center
with impatient customers". With mu = 1/talk, theta = 1/patience, a = lambda/mu, s = n*mu/theta
and y = lambda/theta, the virtual wait V (the wait of a caller with infinite patience) has an
atom P(V = 0) = 1 - P(wait) and, for x > 0, a density proportional to
g(x) = exp(y (1 - e^{-theta x}) - n mu x). Writing S(b, x) = sum_k x^k / (b (b+1) ... (b+k))
(so that the lower incomplete gamma is gamma(b, x) = x^b e^{-x} S(b, x)):

- P(wait) = B y S(s, y) / (1 + B y S(s, y)), with B = ErlangB(n - 1, a);
- a caller who waits is eventually answered with probability 1 - q, where
  q = sum_k t_k (k+1)/(s+k+1) / sum_k t_k, t_k = y^k / (s (s+1) ... (s+k));
  P(abandon) = P(wait) q;
- P(answered within T) = (1 - P(wait)) + P(wait) (1 - q) (1 - R(T)), with
  R(T) = gamma(s+1, y e^{-theta T}) / gamma(s+1, y) (the served callers' wait distribution);
- ASA (mean wait of answered callers) by conditioning on the j callers ahead on arrival
  (PASTA): served with probability s/(s+j+1) after a wait of mean
  sum_{i=0..j} 1/(theta (s+i+1)) given served.

Every sum is evaluated in log space (log-sum-exp), and Erlang B by its stable recursion, so
the formulas hold for thousands of agents (tested up to 2,000) without overflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_TERMS = 20_000_000


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/n/n with offered load `load` erlangs (stable recursion)."""
    if agents < 0:
        raise ValueError("agents must be >= 0")
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def _log_terms(b: float, x: float) -> np.ndarray:
    """log of x^k / (b (b+1) ... (b+k)) for k = 0 .. K, with K covering all that matters."""
    if x <= 0:
        return np.array([-math.log(b)])
    peak = max(0.0, x - b)  # terms grow while x / (b + k) > 1
    count = int(peak + 12.0 * math.sqrt(b + peak + 1.0) + 60.0)
    if count > MAX_TERMS:
        raise ValueError("patience too long for this load: the Erlang A sums do not converge")
    k = np.arange(count, dtype=float)
    return k * math.log(x) - np.cumsum(np.log(b + k))


def _log_upper_gamma_q(a: float, x: float) -> float:
    """log Q(a, x), the regularized upper incomplete gamma, by Lentz's continued fraction
    (for x > a + 1, where it converges fast and Q may be far below machine epsilon)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return -x + a * math.log(x) - math.lgamma(a) + math.log(h)


def _log_lower_gamma_p(a: float, x: float) -> float:
    """log P(a, x), the regularized lower incomplete gamma, by its series."""
    if x <= 0:
        return -math.inf
    return a * math.log(x) - x - math.lgamma(a) + _logsumexp(_log_terms(a, x))


def _gamma_ratio_complement(a: float, y: float, theta_t: float) -> float:
    """1 - gamma(a, y e^{-theta_t}) / gamma(a, y) = 1 - R(T): among waiting callers who are
    answered, the share answered within T (module docstring); accurate even when tiny."""
    z = y * math.exp(-theta_t)
    if y <= a + 1.0:
        # The exponent is written so that it does not cancel for small theta_t.
        log_ratio = (
            -a * theta_t
            - y * math.expm1(-theta_t)
            + _logsumexp(_log_terms(a, z))
            - _logsumexp(_log_terms(a, y))
        )
        return max(0.0, -math.expm1(log_ratio))
    # gamma(a, .) is nearly saturated: work with upper tails, Q(a, z) - Q(a, y) over P(a, y).
    q_y = math.exp(_log_upper_gamma_q(a, y))
    if z > a + 1.0:
        q_z = math.exp(_log_upper_gamma_q(a, z))
    else:
        q_z = -math.expm1(_log_lower_gamma_p(a, z))
    return max(0.0, q_z - q_y) / (1.0 - q_y)


def _logistic(x: float) -> float:
    """1 / (1 + e^-x) without overflow."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _logsumexp(values: np.ndarray) -> float:
    top = float(values.max())
    return top + math.log(float(np.exp(values - top).sum()))


@dataclass(frozen=True, slots=True)
class ErlangC:
    """M/M/n: nobody abandons. Rates per second, times in seconds."""

    arrival_rate: float
    mean_talk_s: float
    agents: int

    @property
    def load(self) -> float:
        """Offered load in erlangs (arrival rate x mean talk)."""
        return self.arrival_rate * self.mean_talk_s

    @property
    def stable(self) -> bool:
        return self.load < self.agents

    @property
    def p_wait(self) -> float:
        """Probability that a caller has to wait (the Erlang C formula)."""
        n, a = self.agents, self.load
        if not self.stable:
            return 1.0
        b = erlang_b(n, a)
        return n * b / (n - a * (1.0 - b))

    def service_level(self, threshold_s: float) -> float:
        """Share of callers answered within `threshold_s`: 1 - C e^{-(n mu - lambda) T}."""
        if not self.stable:
            return 0.0
        drain = self.agents / self.mean_talk_s - self.arrival_rate
        return 1.0 - self.p_wait * math.exp(-drain * threshold_s)

    @property
    def asa_s(self) -> float:
        """Average speed of answer (mean wait of all callers, all are answered)."""
        if not self.stable:
            return math.inf
        return self.p_wait / (self.agents / self.mean_talk_s - self.arrival_rate)

    @property
    def occupancy(self) -> float:
        return min(1.0, self.load / self.agents) if self.agents else 1.0


@dataclass(frozen=True, slots=True)
class ErlangA:
    """M/M/n+M (Palm's model): exponential patience. Rates per second, times in seconds."""

    arrival_rate: float
    mean_talk_s: float
    agents: int
    mean_patience_s: float

    def __post_init__(self) -> None:
        if self.arrival_rate <= 0 or self.mean_talk_s <= 0 or self.mean_patience_s <= 0:
            raise ValueError("arrival rate, talk and patience must be positive")
        if self.agents < 0:
            raise ValueError("agents must be >= 0")

    @property
    def load(self) -> float:
        return self.arrival_rate * self.mean_talk_s

    @property
    def _s(self) -> float:
        return self.agents * self.mean_patience_s / self.mean_talk_s

    @property
    def _y(self) -> float:
        return self.arrival_rate * self.mean_patience_s

    def _log_busy_odds(self) -> float:
        """log(B y S(s, y)): the odds that an arriving caller finds every agent busy."""
        b = erlang_b(self.agents - 1, self.load)
        if b <= 0:
            return -math.inf
        return math.log(b) + math.log(self._y) + _logsumexp(_log_terms(self._s, self._y))

    @property
    def p_wait(self) -> float:
        """Probability that an arriving caller finds every agent busy."""
        if self.agents == 0:
            return 1.0
        return _logistic(self._log_busy_odds())

    @property
    def _p_no_wait(self) -> float:
        """1 - P(wait), computed directly so that it keeps its precision when tiny."""
        if self.agents == 0:
            return 0.0
        return _logistic(-self._log_busy_odds())

    def _waiters_share(self, factor: np.ndarray) -> float:
        """sum_k t_k factor_k / sum_k t_k over the terms t_k = y^k / (s (s+1) ... (s+k))."""
        terms = _log_terms(self._s, self._y)
        return math.exp(_logsumexp(terms + np.log(factor[: terms.size])) - _logsumexp(terms))

    @property
    def _q(self) -> float:
        """Probability that a caller who has to wait abandons."""
        if self.agents == 0:
            return 1.0
        k = np.arange(_log_terms(self._s, self._y).size, dtype=float)
        return self._waiters_share((k + 1.0) / (self._s + k + 1.0))

    @property
    def _served_if_waiting(self) -> float:
        """1 - q, computed directly (no cancellation when nearly every waiter abandons)."""
        if self.agents == 0:
            return 0.0
        k = np.arange(_log_terms(self._s, self._y).size, dtype=float)
        return self._waiters_share(self._s / (self._s + k + 1.0))

    @property
    def p_abandon(self) -> float:
        """Share of all callers who abandon."""
        return self.p_wait * self._q

    @property
    def p_answered(self) -> float:
        return 1.0 - self.p_abandon

    def service_level(self, threshold_s: float) -> float:
        """Callers answered within `threshold_s` / all callers (abandons count against)."""
        if self.agents == 0:
            return 0.0
        theta = 1.0 / self.mean_patience_s
        s, y = self._s, self._y
        in_time = _gamma_ratio_complement(s + 1.0, y, theta * threshold_s)
        waited_in_time = self._served_if_waiting * in_time
        # Both terms are >= 0, so a tiny service level keeps its precision.
        return min(1.0, self._p_no_wait + self.p_wait * waited_in_time)

    @property
    def asa_s(self) -> float:
        """Average speed of answer: mean wait of answered callers (0 s waits included)."""
        if self.agents == 0:
            return math.nan
        s, y = self._s, self._y
        theta = 1.0 / self.mean_patience_s
        # P(j callers ahead | all agents busy) is proportional to t_j.
        terms = _log_terms(s, y)
        j = np.arange(terms.size, dtype=float)
        weight = np.exp(terms - float(terms.max()))
        served = s / (s + j + 1.0)
        mean_wait_if_served = np.cumsum(1.0 / (theta * (s + j + 1.0)))
        waited_and_served = float((weight * served * mean_wait_if_served).sum() / weight.sum())
        return self.p_wait * waited_and_served / self.p_answered

    @property
    def mean_wait_s(self) -> float:
        """Mean time in queue over all callers (abandoners until they hang up): P(ab) / theta."""
        return self.p_abandon * self.mean_patience_s


def agents_for_service_level(
    arrival_rate: float,
    mean_talk_s: float,
    target: float,
    threshold_s: float,
    mean_patience_s: float | None = None,
) -> int:
    """Fewest agents whose service level (answered within T / offered) reaches `target`.

    Erlang A when `mean_patience_s` is given, Erlang C otherwise. The service level grows
    with the number of agents, so a doubling search then bisection finds the answer.
    """
    if not 0 < target < 1:
        raise ValueError("target must be between 0 and 1 (exclusive)")

    def level(n: int) -> float:
        if mean_patience_s is None:
            return ErlangC(arrival_rate, mean_talk_s, n).service_level(threshold_s)
        return ErlangA(arrival_rate, mean_talk_s, n, mean_patience_s).service_level(threshold_s)

    high = max(1, math.ceil(arrival_rate * mean_talk_s))
    while level(high) < target:
        high *= 2
    low = 0  # level(low) < target or low == 0
    while high - low > 1:
        middle = (low + high) // 2
        if level(middle) >= target:
            high = middle
        else:
            low = middle
    return high
