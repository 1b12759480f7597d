"""MbientLab MetaMotion (MetaWear) recordings exported by the MetaBase app.

**Files.** One CSV per sensor, named
``<session>_<Accelerometer|Gyroscope>_<rate>Hz_<firmware>.csv``, for example
``A-dead-heavy_MetaWear_2019-01-15T20.35.27.174_C42732BE255C_Accelerometer_12.500Hz_1.4.4.csv``.
Both files of a session share the name up to the sensor's name, which is how the partner
of a file is found in its folder.

**Columns.** ``epoch (ms),time (+HH:MM),elapsed (s),x-axis (g),y-axis (g),z-axis (g)``;
the gyroscope's end in ``(deg/s)``. The ``time (…)`` column's name carries the recording's
UTC offset (``time (01:00)``), so columns are matched by prefix and that one is not used.

**Units and axes.** Acceleration is in g and angular rate in degrees per second, so no
unit is converted. Both are in the sensor's own right-handed frame (the Bosch IMU inside
the MetaMotion), the accelerometer reading specific force (+1 g along the axis pointing
up when still), which is contract 1's convention: x, y, z are copied unchanged.

**Clock.** ``epoch (ms)`` (Unix time in milliseconds, UTC) is the clock both files share;
``elapsed (s)`` restarts at 0 in each file and is not used. The two sensors run at
different rates (the MetaBase default is 12.5 Hz for the accelerometer, 25 Hz for the
gyroscope) and start at different moments; they are merged as ``_merge`` describes: the
overlap only, ``time_s = 0`` at the later start, the slower stream linearly interpolated
onto the faster one's timestamps. An accelerometer at 12.5 Hz is accepted that way, with
a warning that so low a rate limits accuracy.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import BadInputError, RecordingError
from ..recording import Recording
from . import _table
from ._merge import TimedSamples, merge_onto_one_clock
from ._result import to_recording

FORMAT = "metabase"
EPOCH_MS = "epoch (ms)"
TIME_PREFIX = "time ("
ELAPSED_S = "elapsed (s)"
AXES = ("x-axis", "y-axis", "z-axis")
UNIT_OF = {"accelerometer": "(g)", "gyroscope": "(deg/s)"}
FILE_NAME_SENSOR = {"accelerometer": "Accelerometer", "gyroscope": "Gyroscope"}
_NAME = re.compile(r"^(?P<prefix>.+)_(?P<sensor>[A-Za-z]+)_(?P<rate>[\d.]+)Hz_[^_]*\.csv$")
_MAC = re.compile(r"_(?P<mac>[0-9A-F]{12})$")


def looks_like(header_line: str) -> bool:
    """Whether a file's first line is a MetaBase export's header."""
    names = [name.strip() for name in header_line.split(",")]
    return len(names) >= 2 and names[0] == EPOCH_MS and names[1].startswith(TIME_PREFIX)


def import_metabase(paths: list[Path], sensor: str = "pelvis") -> Recording:
    """Import a MetaBase session from its accelerometer and gyroscope files.

    ``paths`` is both files, in any order, or one of them, whose partner is then found in
    the same folder by the shared name prefix.
    """
    if len(paths) == 1:
        paths = [paths[0], find_partner(paths[0])]
    if len(paths) != 2:
        raise BadInputError(
            f"a MetaBase session is two files (accelerometer and gyroscope), not {len(paths)}"
        )
    tables = {}
    for path in paths:
        kind, samples = _read_sensor_file(path)
        if kind in tables:
            raise BadInputError(
                f"{paths[0]} and {paths[1]} are both {kind} files; a MetaBase session needs "
                "one accelerometer and one gyroscope file"
            )
        tables[kind] = samples
    merged = merge_onto_one_clock(tables["accelerometer"], tables["gyroscope"])
    ordered = [Path(tables[kind].source) for kind in ("accelerometer", "gyroscope")]
    return to_recording(merged, sensor, FORMAT, ordered, _device(ordered[0]), clock_is_epoch=True)


def find_partner(path: Path) -> Path:
    """The other sensor's file of the same session, in the same folder."""
    match = _NAME.match(path.name)
    kind = match and match["sensor"].lower()
    if kind not in FILE_NAME_SENSOR:
        raise RecordingError(
            str(path),
            "the file name does not say which sensor it holds (…_Accelerometer_… or "
            "…_Gyroscope_…), so its partner cannot be found; give both files",
        )
    other = FILE_NAME_SENSOR["gyroscope" if kind == "accelerometer" else "accelerometer"]
    pattern = f"{glob_escape(match['prefix'])}_{other}_*Hz_*.csv"
    found = sorted(path.parent.glob(pattern))
    if not found:
        raise RecordingError(
            str(path),
            f"no {other.lower()} file of the same session (named "
            f"'{match['prefix']}_{other}_…') is in the same folder",
        )
    if len(found) > 1:
        raise RecordingError(
            str(path),
            f"{len(found)} {other.lower()} files of the same session are in the same folder; "
            "give the two files to use",
        )
    return found[0]


def glob_escape(text: str) -> str:
    """``text`` with the characters glob treats specially made literal."""
    return re.sub(r"([\[\]*?])", r"[\1]", text)


def _read_sensor_file(path: Path) -> tuple[str, TimedSamples]:
    """Which sensor a MetaBase file holds, and its samples on the epoch clock (s)."""
    frame = _table.read_table(path)
    if not looks_like(",".join(frame.columns)):
        raise RecordingError(
            str(path), f"this is not a MetaBase export (its header does not start with '{EPOCH_MS},time (')", 1
        )
    kind = next(
        (k for k, unit in UNIT_OF.items() if f"{AXES[0]} {unit}" in frame.columns), None
    )
    if kind is None:
        found = next((c for c in frame.columns if c.startswith(AXES[0])), "no x-axis column")
        raise RecordingError(
            str(path),
            f"this MetaBase file holds '{found}', not an accelerometer (g) or gyroscope "
            "(deg/s); only those two are used",
            1,
        )
    columns = [f"{axis} {UNIT_OF[kind]}" for axis in AXES]
    _table.require_columns(frame, [EPOCH_MS, *columns], path, "MetaBase export")
    epoch_ms = _table.integer_column(frame, EPOCH_MS, path)
    values = _table.numeric_block(frame, columns, path)
    return kind, TimedSamples(epoch_ms / 1000.0, values, kind, str(path))


def _device(path: Path) -> str:
    match = _NAME.match(path.name)
    mac = match and _MAC.search(match["prefix"])
    if not mac:
        return "MbientLab MetaMotion"
    text = mac["mac"]
    return "MbientLab MetaMotion " + ":".join(text[i : i + 2] for i in range(0, 12, 2))
