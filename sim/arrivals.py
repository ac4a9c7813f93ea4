"""When callers arrive: a Poisson process per queue, constant-rate or by intraday profile."""

from __future__ import annotations

from sim.distributions import Draw
from sim.scenario import DAY_S, QueueSpec


def next_arrival(
    spec: QueueSpec, unit_exponential: Draw, start_clock_s: float, t: float
) -> float | None:
    """The first arrival after simulated time `t`, or None if the queue gets no callers.

    With a profile the rate is piecewise constant (per 15-minute interval, zero outside the
    profile, repeating daily): one unit-exponential draw of "integrated rate" is spent across
    the intervals, which is exact for a non-homogeneous Poisson process.
    """
    profile = spec.arrival_profile
    if profile is None:
        rate = spec.arrival_rate_per_hour
        return t + unit_exponential() * (3600.0 / rate) if rate > 0 else None
    if not spec.has_arrivals:
        return None
    need = unit_exponential()
    rates, width = profile.rates_per_hour, profile.interval_s
    while True:
        offset = (start_clock_s + t - profile.start_s) % DAY_S
        index = int(offset // width)
        if index >= len(rates):
            t += DAY_S - offset  # closed until the profile starts again the next day
            continue
        left = width * (index + 1) - offset
        rate = rates[index] / 3600.0
        if rate > 0 and need <= rate * left:
            return t + need / rate
        need -= rate * left
        t += left


def rate_per_hour_at(spec: QueueSpec, start_clock_s: float, t: float) -> float:
    """The queue's arrival rate (calls per hour) at simulated time `t`."""
    profile = spec.arrival_profile
    if profile is None:
        return spec.arrival_rate_per_hour
    offset = (start_clock_s + t - profile.start_s) % DAY_S
    index = int(offset // profile.interval_s)
    return profile.rates_per_hour[index] if index < len(profile.rates_per_hour) else 0.0
