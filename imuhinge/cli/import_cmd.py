"""``imuhinge import FORMAT FILES… --out recording.csv``: another app's export as a recording."""

from __future__ import annotations

import argparse
import sys

from ..errors import BadInputError


def register(commands) -> None:
    from ..importers import FORMATS

    parser = commands.add_parser(
        "import",
        help="turn another app's export (MetaBase, phyphox, Sensor Logger) into a recording CSV",
        description="Convert a recording made with another app into an imuhinge recording "
        "CSV (contract 1): units to g and °/s, accelerometer and gyroscope merged onto one "
        "clock. metabase: the Accelerometer and Gyroscope CSVs of a MetaBase session (one "
        "is enough, its partner is found by name). phyphox: 'Raw Data.csv' of an experiment "
        "recording both sensors, or of 'Acceleration with g' and 'Gyroscope' (with their "
        "meta/time.csv), or their unpacked folders. sensorlogger: the unpacked export folder, "
        "or any CSV in it. auto: recognise the export by its headers. 'imuhinge analyse' and "
        "'imuhinge plot' also accept these exports directly.",
    )
    parser.add_argument("format", metavar="FORMAT", choices=FORMATS, help=", ".join(FORMATS))
    parser.add_argument("files", metavar="FILE", nargs="+", help="export file(s) or folder")
    parser.add_argument("--out", metavar="FILE.csv", required=True, help="recording CSV to write")
    parser.add_argument(
        "--sensor",
        choices=("pelvis", "thorax"),
        default="pelvis",
        help="where the sensor was worn (default pelvis; a recording needs a pelvis sensor "
        "to be analysed)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..importers import import_export
    from ..recording import write_recording

    recording = import_export(args.format, args.files, args.sensor)
    print_warnings(recording)
    try:
        write_recording(recording, args.out)
    except OSError as exc:
        raise BadInputError(f"cannot write {args.out} ({exc.strerror or exc})") from None
    stream = recording.streams[args.sensor]
    print(
        f"wrote {args.out}: {args.sensor}, {len(stream)} samples at {stream.median_rate_hz:.4g} Hz, "
        f"{recording.duration_s:.1f} s ({recording.metadata.get('imported', '')})"
    )
    if args.sensor != "pelvis":
        print(
            f"note: this recording holds only the {args.sensor} sensor; analysing it needs a "
            "pelvis sensor as well"
        )
    return 0


def load_for_command(paths: list[str], sensor: str = "pelvis"):
    """``load_recording`` for a command: any import warnings go to stderr, one per line.

    A session plan's folder (one recording per drill) is refused in one sentence that says
    how to analyse it, rather than being taken for an export it is not.
    """
    from ..importers import load_recording

    if plan_folder_given(paths):
        raise BadInputError(
            f"{paths[0]} is a session plan folder (one recording per drill): analyse it with "
            "'imuhinge analyse FOLDER', or give one of its recordings"
        )
    recording = load_recording(paths, sensor)
    print_warnings(recording)
    return recording


def plan_folder_given(paths: list[str]) -> bool:
    """True when ``paths`` is one folder holding a session plan's recordings
    (``imuhinge.plan_session.folder``); checked before export folders are looked for."""
    from ..plan_session.folder import is_plan_folder

    return len(paths) == 1 and is_plan_folder(paths[0])


def print_warnings(recording) -> None:
    from ..importers import import_warnings

    for warning in import_warnings(recording):
        print(f"imuhinge: warning: {warning}", file=sys.stderr)
