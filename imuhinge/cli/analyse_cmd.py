"""``imuhinge analyse FILE``: the offline analysis of a recording, with its outputs."""

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


def add_threshold_options(parser: argparse.ArgumentParser) -> None:
    """The judgement thresholds, shared by every command that judges reps."""
    from ..settings import Thresholds

    default = Thresholds()
    parser.add_argument(
        "--max-lumbar-flexion",
        metavar="DEG",
        type=_positive_degrees,
        default=default.max_lumbar_flexion_deg,
        help=f"flag a rep as rounded above this lumbar flexion (default {default.max_lumbar_flexion_deg:g}°)",
    )
    parser.add_argument(
        "--max-lockout-extension",
        metavar="DEG",
        type=_positive_degrees,
        default=default.max_lockout_extension_deg,
        help="flag a rep as overextended above this lumbar extension at lockout "
        f"(default {default.max_lockout_extension_deg:g}°)",
    )


def thresholds_from(args: argparse.Namespace):
    from ..settings import Thresholds

    return Thresholds(
        max_lumbar_flexion_deg=args.max_lumbar_flexion,
        max_lockout_extension_deg=args.max_lockout_extension,
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
    reference = load_for_command([args.reference]) if args.reference else None
    analysis = analyse_recording(
        recording,
        thresholds_from(args),
        reference=reference,
        pelvis_only=args.pelvis_only,
    )
    write_outputs(analysis, json_path=args.json, plot_path=args.plot, report_path=args.report)
    return 0
