"""``imuhinge analyse FILE``: the offline analysis of a recording, with its outputs.

``--exercise NAME`` names the drill (``imuhinge exercises`` lists them); without it the
recording's ``# exercise: NAME`` line decides, else the kettlebell deadlift, which is
the analysis as it was before drills were named.
"""

from __future__ import annotations

import argparse


def register(commands) -> None:
    parser = commands.add_parser(
        "analyse",
        aliases=["analyze"],
        help="analyse a recording: reps, angles, flagged reps, report and plot",
        description="Analyse a recording CSV (contract 1): find each rep, measure pelvic "
        "tilt, trunk inclination and lumbar flexion, and flag rounded or overextended reps. "
        "Prints a per-rep table and a summary. An export of MetaBase, phyphox or Sensor "
        "Logger is imported on the way (see 'imuhinge import --help').",
    )
    parser.add_argument(
        "file", metavar="FILE", nargs="+", help="recording CSV, or an export's file(s) or folder"
    )
    parser.add_argument("--json", metavar="OUT", help="write the analysis JSON (contract 2); '-' for stdout")
    parser.add_argument("--plot", metavar="PNG", help="write the per-session plot")
    parser.add_argument("--report", metavar="HTML", help="write a self-contained HTML report")
    add_exercise_option(parser)
    add_threshold_options(parser)
    parser.add_argument(
        "--reference",
        metavar="FILE",
        help="a recording of your own good (neutral-spine) hinges, to calibrate the "
        "one-sensor lumbar flexion estimate",
    )
    parser.add_argument(
        "--pelvis-only",
        action="store_true",
        help="ignore a thorax sensor and analyse as one-sensor (to compare the modes)",
    )
    parser.set_defaults(handler=run)


DEFAULT_EXERCISE = "kettlebell-deadlift"
"""The drill analysed when neither ``--exercise`` nor the recording names one."""
EXERCISE_METADATA_KEY = "exercise"
"""The recording's metadata line naming the drill: ``# exercise: NAME``."""


def add_exercise_option(parser: argparse.ArgumentParser) -> None:
    """``--exercise NAME``, shared by the commands that analyse a recording."""
    parser.add_argument(
        "--exercise",
        metavar="NAME",
        help="the drill done ('imuhinge exercises' lists them): its start posture, direction, "
        "checks and target shape the analysis (default: the recording's '# exercise:' line, "
        f"else {DEFAULT_EXERCISE})",
    )


def exercise_from(args: argparse.Namespace, recording):
    """The drill's profile: ``--exercise``, else the recording's metadata, else the default.

    An unknown name, given or in the file, is bad input naming the known drills.
    """
    from ..exercises import profile_named

    name = args.exercise or recording.metadata.get(EXERCISE_METADATA_KEY) or DEFAULT_EXERCISE
    return profile_named(name.strip())


def add_threshold_options(parser: argparse.ArgumentParser) -> None:
    """The judgement thresholds, shared by every command that judges reps.

    Their defaults are the drill's limits (the profile's ``rounded`` and ``overextended``
    checks), else ``Thresholds``'s; a value given here overrides the drill's.
    """
    from ..settings import Thresholds

    default = Thresholds()
    parser.add_argument(
        "--max-lumbar-flexion",
        metavar="DEG",
        type=_positive_degrees,
        default=None,
        help="flag a rep as rounded above this lumbar flexion (default: the drill's limit, "
        f"{default.max_lumbar_flexion_deg:g}° for every drill that checks it)",
    )
    parser.add_argument(
        "--max-lockout-extension",
        metavar="DEG",
        type=_positive_degrees,
        default=None,
        help="flag a rep as overextended above this lumbar extension at lockout "
        f"(default: the drill's limit, {default.max_lockout_extension_deg:g}° for every drill that checks it)",
    )


def thresholds_from(args: argparse.Namespace, profile=None):
    """The thresholds: the options given, else the drill's limits, else the defaults."""
    from ..settings import Thresholds

    default = Thresholds()
    limits = {c.flag: c.limit for c in profile.checks} if profile is not None else {}

    def chosen(given, flag, fallback):
        if getattr(args, given, None) is not None:
            return getattr(args, given)
        return float(limits.get(flag, fallback))

    return Thresholds(
        max_lumbar_flexion_deg=chosen("max_lumbar_flexion", "rounded", default.max_lumbar_flexion_deg),
        max_lockout_extension_deg=chosen(
            "max_lockout_extension", "overextended", default.max_lockout_extension_deg
        ),
    )


def _positive_degrees(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of degrees") from None
    if not 0.0 < value < 90.0:
        raise argparse.ArgumentTypeError(f"{text}° is outside 0–90°")
    return value


def run(args: argparse.Namespace) -> int:
    from ..pipeline.analyse import analyse_recording
    from ..report.outputs import write_outputs
    from .import_cmd import load_for_command

    recording = load_for_command(args.file)
    profile = exercise_from(args, recording)
    reference = load_for_command([args.reference]) if args.reference else None
    analysis = analyse_recording(
        recording,
        thresholds_from(args, profile),
        reference=reference,
        pelvis_only=args.pelvis_only,
        exercise=profile,
    )
    write_outputs(analysis, json_path=args.json, plot_path=args.plot, report_path=args.report)
    return 0
