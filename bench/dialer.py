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

`--pbx` also runs the progressive and predictive campaigns with the product's own dialer and
the whole app on the simulated PBX over TCP AMI (`sim.outbound_pbx`), each for the same day
(`--hours`) at `--speed` times real time (8 hours at 30x: 16 real minutes per mode), and prints
the figures the PBX measured beside the DES ones over the same period. The dialer keeps the
PBX's clock (`CALLCENTER_PBX_CLOCK_SPEED`): its rounds, ring and talk times and rolling day are
in the PBX's seconds; the agents' wrap-up is the console's pause. Preview is left out there: it
needs a person pressing Call. `--real-s` cuts the run shorter (the start of the day only, when
the abandon cap's rolling day has too few answers to allow more lines than free agents).

Run: .venv/bin/python bench/dialer.py [--agents 50] [--answer-rate 0.3] [--talk-s 120]
     [--hours 8] [--cap 0.03] [--wrap-s 10] [--machine-share 0] [--seed 1] [--json]
     [--pbx [--speed 30] [--real-s S]]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from dataclasses import replace

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
from sim.outbound_pbx import PbxDay, PbxResult, run_on_pbx

TARGET_POINTS = 25.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_day_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--pbx", action="store_true", help="also run the real dialer on the simulated PBX"
    )
    parser.add_argument(
        "--speed", type=float, default=30.0, help="simulated PBX seconds per real second (30)"
    )
    parser.add_argument(
        "--real-s",
        type=float,
        default=None,
        help="real seconds per mode on the PBX (default: the whole day, --hours at --speed)",
    )
    args = parser.parse_args(argv)
    if args.real_s is None:
        args.real_s = args.hours * 3600 / args.speed
    if args.pbx and (args.speed <= 0 or args.real_s <= 0):
        parser.exit(2, "--speed and --real-s must be positive\n")
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
    on_pbx = pbx_runs(args) if args.pbx else {}
    if args.json:
        out: dict[str, object] = {mode.value: r.as_json() for mode, r in results.items()}
        out["occupancy_gain_points"] = gain
        out["target_reached"] = reached
        if on_pbx:
            out["pbx"] = {mode.value: r.as_json() for mode, r in on_pbx.items()}
            des = same_period(on_pbx, args)
            out["des_same_period"] = {mode.value: r.as_json() for mode, r in des.items()}
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
    if on_pbx:
        print_pbx(on_pbx, same_period(on_pbx, args), args)
    return 0


def pbx_runs(args: argparse.Namespace) -> dict[CampaignMode, PbxResult]:
    """Progressive, then predictive, each on a fresh simulated PBX with the real dialer."""
    logging.basicConfig(level=logging.ERROR)
    found = {}
    for mode in (CampaignMode.PROGRESSIVE, CampaignMode.PREDICTIVE):
        day = PbxDay(
            mode=mode,
            agents=args.agents,
            answer_rate=args.answer_rate,
            ring_s=args.ring_s,
            no_answer_s=args.no_answer_s,
            talk_s=args.talk_s,
            wrap_s=args.wrap_s,
            cap=args.cap,
            speed=args.speed,
            real_s=args.real_s,
            seed=args.seed,
        )
        found[mode] = asyncio.run(run_on_pbx(day))
    return found


def same_period(
    on_pbx: dict[CampaignMode, PbxResult], args: argparse.Namespace
) -> dict[CampaignMode, OutboundResult]:
    """The DES over the period each PBX run lasted (same cold start: the figures compare)."""
    return {
        mode: simulate_outbound(replace(config_from(args, mode), hours=run.period_s / 3600))
        for mode, run in on_pbx.items()
    }


def print_pbx(
    on_pbx: dict[CampaignMode, PbxResult],
    des: dict[CampaignMode, OutboundResult],
    args: argparse.Namespace,
) -> None:
    """The PBX's figures beside the DES's over the same period, one line per mode."""
    print(
        f"\nOn the simulated PBX with the product's dialer: {args.agents} agents, "
        f"{args.speed:g}x for {args.real_s:g} real s ({args.real_s * args.speed / 3600:.2f} "
        "simulated hours) per mode"
    )
    header = f"{'':<12}{'simulated':>10}{'dials':>7}{'connects':>9}{'abandon':>9}"
    des_header = "DES, same period: occupancy abandon wait s"
    print(f"{header}{'occupancy':>11}{'wait s':>8}{'ratio':>7}   {des_header}")
    for mode, run in on_pbx.items():
        day = des[mode]
        print(
            f"{mode.value:<12}{run.period_s / 60:>8.1f} m{run.dials:>7}{run.connects:>9}"
            f"{pct(run.abandon_rate):>9}{pct(run.occupancy):>11}"
            f"{run.wait_between_calls_s:>8.1f}{run.final_ratio:>7.2f}   "
            f"{pct(day.occupancy):>27} {pct(day.abandon_rate):>7} {day.wait_between_calls_s:>6.1f}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
