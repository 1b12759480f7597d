"""``imuhinge exercises``: the drills of the hip-hinge programme, in order, or one in full."""

from __future__ import annotations

import argparse


def register(commands) -> None:
    parser = commands.add_parser(
        "exercises",
        help="list the drills of the hip-hinge programme",
        description="List the drills imuhinge coaches, from the bridge to the kettlebell swing, in "
        "the order of the programme: start posture, target and what each rep is checked for. "
        "Give a drill's name to see its cue and every check with its limit.",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="show this drill in full")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from ..exercises import load_profiles, profile_named

    console = Console(highlight=False)
    if args.name:
        _show(console, profile_named(args.name))
    else:
        _list(console, load_profiles())
    return 0


def _target(profile) -> str:
    return f"hold {profile.target_hold_s:g} s" if profile.kind == "hold" else f"{profile.target_reps} reps"


def _list(console, profiles) -> None:
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("drill")
    table.add_column("name (for --exercise)", no_wrap=True)
    table.add_column("start")
    table.add_column("target", no_wrap=True)
    for p in profiles.values():
        table.add_row(str(p.order), p.title, p.name, p.start_posture, _target(p))
    console.print(table)
    console.print("Each drill's cue and checks: imuhinge exercises NAME", style="dim")


def _show(console, p) -> None:
    from rich.text import Text

    from ..exercises.profile import METRICS

    console.print(Text(f"{p.order}. {p.title} ({p.name})", style="bold"))
    console.print(p.cue)
    low, high = p.expected_range_deg
    if p.kind == "hold":
        console.print(f"Start: {p.start_posture}. An isometric hold of {p.target_hold_s:g} s: no reps are counted.")
    else:
        console.print(f"Start: {p.start_posture}. A rep: the {p.rep_angle.replace('_', ' ')} moves "
                      f"{p.direction} by about {low:g}–{high:g}°. Target: {p.target_reps} reps.")
    for c in p.checks:
        limit = f"above {c.above:g}" if c.above is not None else f"below {c.below:g}"
        needs = " (needs the thorax sensor)" if c.needs == "thorax" else ""
        console.print(f"- {c.flag}: {METRICS[c.metric]} {limit}{needs}")
    if p.next_drill:
        console.print(Text(f"Next in the programme: {p.next_drill}", style="dim"))
