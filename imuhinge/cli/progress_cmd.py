"""``imuhinge progress FOLDER``: how one person's sessions went, drill by drill, and what
to do next.

Every recording in FOLDER is analysed with its drill (its ``# exercise:`` line; none:
the kettlebell deadlift). Sessions are ordered by the recording's start time when its
metadata states one, else by the file's modification time, then by name. A file that
cannot be analysed is listed with its reason and skipped. Exit status 0 when at least
one session was analysed, 2 when none was (or the folder is missing or empty).
"""

from __future__ import annotations

import argparse


def register(commands) -> None:
    from ..progress.rule import RULE_SENTENCE

    parser = commands.add_parser(
        "progress",
        help="progress across a person's sessions: per drill, reps, flagged reps, trends, next drill",
        description="Analyse every recording in FOLDER (one person's sessions; recording CSVs "
        "and the exports 'imuhinge analyse' accepts) and print, per drill in programme order: "
        "the sessions, reps against the target, the share of flagged reps, the typical depth "
        "and lumbar flexion, and how they changed from the first session to the last. "
        f"{RULE_SENTENCE} Sessions are ordered by the recording's start time when its "
        "metadata states one, else by file modification time, then by name.",
    )
    parser.add_argument("folder", metavar="FOLDER", help="folder holding one person's recordings")
    parser.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML report")
    parser.add_argument("--plot", metavar="OUT.png", help="write the trend plots (one panel per drill)")
    parser.add_argument("--json", metavar="OUT.json", help="write the numbers as JSON ('-' for stdout)")
    from .analyse_cmd import add_threshold_options

    add_threshold_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.text import Text

    from ..errors import BadInputError
    from ..progress import build_progress
    from ..progress.table import print_progress
    from ..report.outputs import write_file as _write
    from .analyse_cmd import thresholds_from

    progress = build_progress(args.folder, lambda profile: thresholds_from(args, profile))
    to_stdout = args.json == "-"
    console = Console(stderr=to_stdout, highlight=False)
    print_progress(progress, console)
    if not progress.drills:
        raise BadInputError(
            f"none of the {len(progress.skipped)} file(s) in {args.folder} could be analysed"
        )
    written = []
    if args.json:
        from ..progress.json_report import write_progress_json

        _write("the progress JSON", args.json, lambda: write_progress_json(progress, args.json))
        if not to_stdout:
            written.append(("progress JSON", args.json))
    if args.plot or args.html:
        from ..progress.plot import plot_progress

        figure = plot_progress(progress)
        if args.plot:
            _write("the plot", args.plot, lambda: figure.savefig(args.plot), image=True)
            written.append(("plot", args.plot))
        if args.html:
            from ..progress.html import write_progress_report

            _write("the report", args.html, lambda: write_progress_report(progress, args.html, figure))
            written.append(("report", args.html))
    for label, path in written:
        console.print(Text.assemble(f"{label} written to ", (str(path), "bold")), highlight=False)
    return 0
