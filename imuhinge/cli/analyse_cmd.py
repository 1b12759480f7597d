"""``imuhinge analyse FILE``: the offline analysis of a recording, with its outputs.

``--exercise NAME`` names the drill (``imuhinge exercises`` lists them); without it the
recording's ``# exercise: NAME`` line decides, else the kettlebell deadlift, which is
the analysis as it was before drills were named.

A session plan's folder (``imuhinge live --plan``: one recording per drill, each with a
``# plan:`` line) is recognised before export folders are looked for, and every drill
is analysed as its own drill (``run_plan``, ``imuhinge.plan_session``).
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
        "Logger is imported on the way (see 'imuhinge import --help'). Given the folder of a "
        "session plan ('imuhinge live --plan'), analyses every drill's recording as its own "
        "drill and prints one row per drill, then each drill's flagged reps; --json, --plot "
        "and --report then cover the whole session.",
    )
    parser.add_argument(
        "file", metavar="FILE", nargs="+",
        help="recording CSV, an export's file(s) or folder, or a session plan's folder"
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
    from .import_cmd import load_for_command, plan_folder_given

    if plan_folder_given(args.file):
        return run_plan(args)
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


def run_plan(args: argparse.Namespace) -> int:
    """``imuhinge analyse PLAN_FOLDER``: every drill of a session plan's folder, each
    analysed as its own drill with the options given (``imuhinge.plan_session``)."""
    from ..errors import BadInputError
    from ..pipeline.analyse import analyse_recording
    from ..plan_session import analyse_plan_folder
    from ..plan_session.outputs import write_plan_outputs
    from .import_cmd import load_for_command

    folder = args.file[0]
    if args.exercise:
        raise BadInputError(
            f"--exercise cannot be used with {folder}, a session plan folder: each recording is "
            "analysed as the drill its '# exercise:' line names"
        )
    reference = load_for_command([args.reference]) if args.reference else None

    def analyse(recording, profile):
        return analyse_recording(
            recording, thresholds_from(args, profile), reference=reference, pelvis_only=args.pelvis_only,
            exercise=profile,
        )

    session = analyse_plan_folder(folder, analyse)
    write_plan_outputs(session, json_path=args.json, plot_path=args.plot, report_path=args.report,
                       limits=_limits_words(args))
    return 0


def _limits_words(args: argparse.Namespace) -> str:
    """One line on the limits a plan session was judged by."""
    given = []
    if args.max_lumbar_flexion is not None:
        given.append(f"rounded above {args.max_lumbar_flexion:g}° lumbar flexion")
    if args.max_lockout_extension is not None:
        given.append(f"overextended above {args.max_lockout_extension:g}° extension at lockout")
    if given:
        return ("Limits: " + " and ".join(given) + ", in every drill that checks it; the other "
                "checks at each drill's own limits ('imuhinge exercises NAME' lists them).")
    return "Limits: each drill's own ('imuhinge exercises NAME' lists them)."
