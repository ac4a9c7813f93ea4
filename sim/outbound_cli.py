"""`callcenter sim outbound`: one simulated campaign day per dialling mode, side by side."""

from __future__ import annotations

import argparse
import json
from typing import Any

from callcenter.campaigns.enums import CampaignMode
from callcenter.cli import UsageError
from callcenter.cli_tables import Column, TextTable, print_tables
from sim.outbound import (
    OutboundConfig,
    OutboundResult,
    preview_expectation,
    progressive_expectation,
    simulate_outbound,
)
from sim.scenario import Distribution

MODES = (CampaignMode.PREVIEW, CampaignMode.PROGRESSIVE, CampaignMode.PREDICTIVE)


def _number(text: str, *, low: float, high: float | None = None, low_ok: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    above = value >= low if low_ok else value > low
    if not above or (high is not None and value > high):
        bound = f"at least {low:g}" if low_ok else f"above {low:g}"
        limit = f" and at most {high:g}" if high is not None else ""
        raise argparse.ArgumentTypeError(f"must be {bound}{limit}: {text!r}")
    return value


def _positive(text: str) -> float:
    return _number(text, low=0.0)


def _seconds(text: str) -> float:
    return _number(text, low=0.0, low_ok=True)


def _share(text: str) -> float:
    return _number(text, low=0.0, high=1.0, low_ok=True)


def _agents(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def add_day_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulated campaign day's options (defaults: the requirement's scenario)."""
    add = parser.add_argument
    add("--agents", type=_agents, default=50, help="agents working the campaign (default 50)")
    add("--hours", type=_positive, default=8.0, help="length of the day (default 8)")
    add("--answer-rate", type=_share, default=0.30, help="share of dials a person answers (0.3)")
    add("--machine-share", type=_share, default=0.0, help="share a machine answers (default 0)")
    add("--ring-s", type=_positive, default=12.0, help="mean ring until an answer (lognormal, 12)")
    add("--no-answer-s", type=_positive, default=30.0, help="no-answer timeout (default 30)")
    add("--amd-s", type=_seconds, default=3.0, help="AMD time to recognise a machine (3)")
    add("--talk-s", type=_positive, default=120.0, help="mean talk seconds (default 120)")
    add(
        "--talk-cv", type=_seconds, default=0.0, help="lognormal talk with this cv (0: exponential)"
    )
    add("--wrap-s", type=_seconds, default=10.0, help="wrap-up seconds (default 10)")
    add("--preview-s", type=_seconds, default=10.0, help="seconds to read a preview (default 10)")
    add("--cap", type=_share, default=0.03, help="abandon cap, share of answered (default 0.03)")
    add("--seed", type=int, default=1, help="random seed (default 1)")


def config_from(args: argparse.Namespace, mode: CampaignMode) -> OutboundConfig:
    """One mode's day from the options; raises UsageError when it cannot be simulated."""
    talk = (
        Distribution.lognormal(args.talk_s, args.talk_cv)
        if args.talk_cv
        else Distribution.exponential(args.talk_s)
    )
    config = OutboundConfig(
        mode=mode,
        agents=args.agents,
        hours=args.hours,
        answer_rate=args.answer_rate,
        machine_share=args.machine_share,
        ring=Distribution.lognormal(args.ring_s, 0.5),
        no_answer_timeout_s=args.no_answer_s,
        amd_s=args.amd_s,
        talk=talk,
        wrap=Distribution.deterministic(args.wrap_s),
        preview=Distribution.deterministic(args.preview_s),
        abandon_cap=args.cap,
        seed=args.seed,
    )
    try:
        config.check()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return config


def describe(args: argparse.Namespace) -> str:
    """The day's settings in one line."""
    talk = f"lognormal cv {args.talk_cv:g}" if args.talk_cv else "exponential"
    return (
        f"{args.agents} agents, {args.hours:g} h, {args.answer_rate:.0%} answered by a person, "
        f"{args.machine_share:.0%} machines, talk {args.talk_s:g} s ({talk}), wrap-up "
        f"{args.wrap_s:g} s, ring {args.ring_s:g} s, no answer after {args.no_answer_s:g} s, "
        f"preview {args.preview_s:g} s, cap {args.cap:.1%}, seed {args.seed}"
    )


def pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def figures_table(
    results: list[OutboundResult],
    title: str,
    extra: dict[str, dict[CampaignMode, str]] | None = None,
) -> TextTable:
    """The modes' figures as columns; `extra` adds rows (title -> text per mode)."""
    base = {
        "occupancy": lambda r: pct(r.occupancy),
        "occupancy, 1st hour": lambda r: pct(r.occupancy_by_hour()[0]),
        "abandon rate": lambda r: pct(r.abandon_rate),
        "max rolling abandon": lambda r: pct(r.max_abandon_rate),
        "wait between calls": lambda r: f"{r.wait_between_calls_s:.1f} s",
        "dials/hour": lambda r: f"{r.dials_per_hour:,.0f}",
        "dials": lambda r: f"{r.dials:,}",
        "connects": lambda r: f"{r.connects:,}",
        "abandoned": lambda r: f"{r.abandoned:,}",
        "machines": lambda r: f"{r.machines:,}",
        "final dial ratio": lambda r: f"{r.final_ratio:.2f}",
    }
    rows = [[name, *(cell(r) for r in results)] for name, cell in base.items()]
    for name, by_mode in (extra or {}).items():
        rows.append([name, *(by_mode.get(r.mode, "-") for r in results)])
    columns = [Column(""), *(Column(r.mode.value, number=True) for r in results)]
    return TextTable(columns, rows, title=title)


def closed_forms(args: argparse.Namespace) -> dict[CampaignMode, str]:
    """The closed-form occupancy of preview and progressive for these options."""
    base = config_from(args, CampaignMode.PROGRESSIVE)
    return {
        CampaignMode.PREVIEW: pct(preview_expectation(base)),
        CampaignMode.PROGRESSIVE: pct(progressive_expectation(base)),
    }


def add_outbound_command(commands: Any) -> None:
    """Add `outbound` to the `sim` command group."""
    parser = commands.add_parser(
        "outbound",
        help="simulate an outbound campaign day: preview, progressive, predictive",
        description="Simulate one outbound campaign day in each dialling mode (or one) and "
        "print occupancy, abandon rate, wait between calls and dials side by side. Predictive "
        "is paced by the dialer's own pacer.",
    )
    parser.add_argument(
        "--mode",
        choices=[m.value for m in MODES],
        help="only this mode (default: all three)",
    )
    add_day_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.set_defaults(func=_outbound)


def _outbound(args: argparse.Namespace) -> int:
    modes = [CampaignMode(args.mode)] if args.mode else list(MODES)
    configs = [config_from(args, mode) for mode in modes]
    results = [simulate_outbound(config) for config in configs]
    if args.json:
        print(json.dumps({r.mode.value: r.as_json() for r in results}))
        return 0
    extra = {"closed form": closed_forms(args)}
    print_tables(figures_table(results, describe(args), extra))
    return 0
