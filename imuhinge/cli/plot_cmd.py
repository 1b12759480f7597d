"""``imuhinge plot FILE -o PNG``: the per-session plot alone."""

from __future__ import annotations

import argparse

from .analyse_cmd import add_exercise_option, add_threshold_options, exercise_from, thresholds_from


def register(commands) -> None:
    parser = commands.add_parser(
        "plot",
        help="draw the per-session plot of a recording",
        description="Analyse a recording and draw one figure: angle traces over time with "
        "every rep shaded, flagged reps in red with their reason, and per-rep lumbar "
        "flexion against the threshold.",
    )
    parser.add_argument(
        "file", metavar="FILE", nargs="+", help="recording CSV, or an export's file(s) or folder"
    )
    parser.add_argument("-o", "--out", metavar="PNG", required=True, help="image to write (.png, .svg or .pdf)")
    add_exercise_option(parser)
    add_threshold_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..pipeline.analyse import analyse_recording
    from ..report.plot import save_plot
    from .import_cmd import load_for_command

    recording = load_for_command(args.file)
    profile = exercise_from(args, recording)
    analysis = analyse_recording(recording, thresholds_from(args, profile), exercise=profile)
    save_plot(analysis, args.out)
    print(f"plot written to {args.out}")
    return 0
