"""Preview, progressive and predictive side by side: one simulated campaign day each.

The default is the requirement's scenario: 50 agents, 30 % of dials answered by a person, talk
120 s (exponential), a simulated 8-hour day, abandon cap 3 %; plus what a real day has and the
requirement leaves open, printed with the figures: ring until answer (lognormal, mean 12 s),
no-answer timeout 30 s, wrap-up 10 s, a 10 s preview, no answering machines (`--machine-share`
adds them). Each mode runs the discrete-event simulation of `sim.outbound`; predictive is paced
by the product's own `callcenter.campaigns.pacing.Pacer`. Every mode sees the same random
streams (seed).

Occupancy = (talk + wrap-up) / staffed time; abandon rate = abandoned / answered by a person
over the day ("max rolling" = its highest value once 100 people had answered); wait between
calls = an agent's mean idle seconds from free to the next connect. Preview and progressive
also show the closed-form occupancy their runs must match.

The target: predictive occupancy >= progressive + 25 points, with abandons <= the cap.

Run: .venv/bin/python bench/dialer.py [--agents 50] [--answer-rate 0.3] [--talk-s 120]
     [--hours 8] [--cap 0.03] [--wrap-s 10] [--machine-share 0] [--seed 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

from callcenter.campaigns.enums import CampaignMode
from callcenter.cli import UsageError
from callcenter.cli_tables import print_tables
from sim.outbound import OutboundResult, simulate_outbound
from sim.outbound_cli import (
    MODES,
    add_day_arguments,
    closed_forms,
    config_from,
    describe,
    figures_table,
    pct,
)

TARGET_POINTS = 25.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_day_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        configs = [config_from(args, mode) for mode in MODES]
    except UsageError as exc:
        parser.exit(2, f"{exc}\n")
    results: dict[CampaignMode, OutboundResult] = {}
    seconds: dict[CampaignMode, str] = {}
    for config in configs:
        started = time.process_time()
        results[config.mode] = simulate_outbound(config)
        seconds[config.mode] = f"{time.process_time() - started:.1f} CPU s"
    progressive = results[CampaignMode.PROGRESSIVE]
    predictive = results[CampaignMode.PREDICTIVE]
    gain = (predictive.occupancy - progressive.occupancy) * 100
    reached = gain >= TARGET_POINTS and predictive.abandon_rate <= args.cap
    if args.json:
        out: dict[str, object] = {mode.value: r.as_json() for mode, r in results.items()}
        out["occupancy_gain_points"] = gain
        out["target_reached"] = reached
        print(json.dumps(out))
        return 0
    extra = {"closed form": closed_forms(args), "simulated in": seconds}
    print_tables(figures_table(list(results.values()), describe(args), extra))
    verdict = "reached" if reached else "NOT reached"
    print(
        f"predictive occupancy {pct(predictive.occupancy)} >= progressive "
        f"{pct(progressive.occupancy)} + {TARGET_POINTS:g} points at abandon "
        f"{pct(predictive.abandon_rate)} <= {args.cap:.0%}: {gain:+.1f} points, {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
