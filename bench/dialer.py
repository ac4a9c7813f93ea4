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
from sim.outbound import (
    OutboundConfig,
    OutboundResult,
    preview_expectation,
    progressive_expectation,
    simulate_outbound,
)
from sim.scenario import Distribution

TARGET_POINTS = 25.0


def config_from(args: argparse.Namespace, mode: CampaignMode) -> OutboundConfig:
    """One mode's simulated day from the command line."""
    talk = (
        Distribution.lognormal(args.talk_s, args.talk_cv)
        if args.talk_cv
        else Distribution.exponential(args.talk_s)
    )
    return OutboundConfig(
        mode=mode,
        agents=args.agents,
        hours=args.hours,
        answer_rate=args.answer_rate,
        machine_share=args.machine_share,
        ring=Distribution.lognormal(args.ring_s, 0.5),
        no_answer_timeout_s=args.no_answer_s,
        talk=talk,
        wrap=Distribution.deterministic(args.wrap_s),
        preview=Distribution.deterministic(args.preview_s),
        abandon_cap=args.cap,
        seed=args.seed,
    )


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--answer-rate", type=float, default=0.30, help="share answered by a person")
    parser.add_argument("--machine-share", type=float, default=0.0, help="share answered by AMD")
    parser.add_argument("--talk-s", type=float, default=120.0, help="mean talk seconds")
    parser.add_argument("--talk-cv", type=float, default=0.0, help="lognormal talk with this cv")
    parser.add_argument("--wrap-s", type=float, default=10.0)
    parser.add_argument("--ring-s", type=float, default=12.0, help="mean ring until an answer")
    parser.add_argument("--no-answer-s", type=float, default=30.0, help="no-answer timeout")
    parser.add_argument("--preview-s", type=float, default=10.0)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--cap", type=float, default=0.03, help="abandon cap (share of answered)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    results: dict[CampaignMode, OutboundResult] = {}
    seconds: dict[CampaignMode, float] = {}
    for mode in (CampaignMode.PREVIEW, CampaignMode.PROGRESSIVE, CampaignMode.PREDICTIVE):
        config = config_from(args, mode)
        try:
            config.check()
        except ValueError as exc:
            parser.exit(2, f"{exc}\n")
        started = time.process_time()
        results[mode] = simulate_outbound(config)
        seconds[mode] = time.process_time() - started
    preview = results[CampaignMode.PREVIEW]
    progressive = results[CampaignMode.PROGRESSIVE]
    predictive = results[CampaignMode.PREDICTIVE]
    gain = (predictive.occupancy - progressive.occupancy) * 100
    within_cap = predictive.abandon_rate <= args.cap
    reached = gain >= TARGET_POINTS and within_cap
    if args.json:
        out = {mode.value: r.as_json() for mode, r in results.items()}
        out["target_reached"] = reached  # type: ignore[assignment]
        print(json.dumps(out))
        return 0
    base = config_from(args, CampaignMode.PROGRESSIVE)
    expected = {
        CampaignMode.PREVIEW: _pct(preview_expectation(base)),
        CampaignMode.PROGRESSIVE: _pct(progressive_expectation(base)),
        CampaignMode.PREDICTIVE: "-",
    }
    talk = f"lognormal cv {args.talk_cv:g}" if args.talk_cv else "exponential"
    print(
        f"{args.agents} agents, {args.hours:g} h, {args.answer_rate:.0%} answered by a person, "
        f"{args.machine_share:.0%} machines, talk {args.talk_s:g} s ({talk}), wrap-up "
        f"{args.wrap_s:g} s, ring {args.ring_s:g} s, no answer after {args.no_answer_s:g} s, "
        f"preview {args.preview_s:g} s, cap {args.cap:.1%}, seed {args.seed}"
    )
    rows = [
        ("occupancy", lambda r: _pct(r.occupancy)),
        ("closed form", lambda r: expected[r.mode]),
        ("abandon rate", lambda r: _pct(r.abandon_rate)),
        ("max rolling abandon", lambda r: _pct(r.max_abandon_rate)),
        ("wait between calls", lambda r: f"{r.wait_between_calls_s:.1f} s"),
        ("dials/hour", lambda r: f"{r.dials_per_hour:,.0f}"),
        ("connects", lambda r: f"{r.connects:,}"),
        ("abandoned", lambda r: f"{r.abandoned:,}"),
        ("machines", lambda r: f"{r.machines:,}"),
        ("final dial ratio", lambda r: f"{r.final_ratio:.2f}"),
        ("simulated in", lambda r: f"{seconds[r.mode]:.1f} CPU s"),
    ]
    order = (preview, progressive, predictive)
    print(f"  {'':<20}" + "".join(f"{r.mode.value:>14}" for r in order))
    for title, cell in rows:
        print(f"  {title:<20}" + "".join(f"{cell(r):>14}" for r in order))
    verdict = "reached" if reached else "NOT reached"
    print(
        f"predictive occupancy {_pct(predictive.occupancy)} >= progressive "
        f"{_pct(progressive.occupancy)} + {TARGET_POINTS:g} points at abandon "
        f"{_pct(predictive.abandon_rate)} <= {args.cap:.0%}: {gain:+.1f} points, {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
