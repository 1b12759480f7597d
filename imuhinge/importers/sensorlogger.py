"""Sensor Logger (Kelvin Choi's app for Android and iOS) recordings exported as zipped CSV.

**Files.** The unpacked export is a folder with one CSV per sensor. Used here:
``TotalAcceleration.csv`` (acceleration including gravity), or else ``Accelerometer.csv``
plus ``Gravity.csv``; ``Gyroscope.csv``; and ``Metadata.csv`` for the platform. Handing
over the folder or any CSV in it is enough: the siblings are found in the same folder.

**Columns.** ``time,seconds_elapsed,z,y,x`` (note the order: z first). ``time`` is Unix
time in nanoseconds, the clock all the sensors share, and is the one used (as integers,
exact); ``seconds_elapsed`` is relative to tapping Start and may be negative, so it is
not used. Columns are matched by name, not position.

**Units and conversions.** Acceleration and gravity are in m/s² (Sensor Logger assumes
g = 9.80665 m/s²) and are divided by 9.80665 to give g; angular rate is in rad/s and is
multiplied by 180/π to give °/s.

**Gravity.** ``Accelerometer.csv`` has gravity removed, and gravity is what tells imuhinge
which way is down. ``TotalAcceleration.csv`` is used when present; otherwise gravity is
restored by adding ``Gravity.csv``, linearly interpolated onto the accelerometer's
timestamps. Without either the recording is refused.

**Axes.** The phone's right-handed axes (x to the right of the screen, y to its top, z
out of the screen). Android reports acceleration as specific force (+9.81 m/s² along z
face up), contract 1's convention. iOS reports the opposite sign on all three axes unless
"Standardise Units & Frames" was on, so for an iOS recording without it (``platform``
and ``standardisation`` in ``Metadata.csv``) the acceleration is negated. Without
``Metadata.csv`` the Android convention is assumed and a warning says so. The gyroscope
has the same signs on both platforms and is copied unchanged.

Sensor timestamps are merged as ``_merge`` describes (overlap only, the slower stream
interpolated onto the faster one's timestamps).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import BadInputError, RecordingError
from ..recording import Recording
from . import _table
from ._merge import TimedSamples, merge_onto_one_clock, tidy
from ._result import to_recording

FORMAT = "sensorlogger"
HEADER = ("time", "seconds_elapsed", "z", "y", "x")
TOTAL_ACCELERATION = "TotalAcceleration.csv"
ACCELEROMETER = "Accelerometer.csv"
GRAVITY = "Gravity.csv"
GYROSCOPE = "Gyroscope.csv"
METADATA = "Metadata.csv"
KNOWN_FILES = (TOTAL_ACCELERATION, ACCELEROMETER, GRAVITY, GYROSCOPE, METADATA)
STANDARD_GRAVITY_M_S2 = 9.80665
DEG_PER_RAD = 180.0 / np.pi
NS_PER_S = 1_000_000_000


def looks_like(header_line: str) -> bool:
    """Whether a file's first line is a Sensor Logger sensor table's header."""
    names = [name.strip().strip('"') for name in header_line.split(",")]
    return names[:2] == list(HEADER[:2]) and {"x", "y", "z"} <= set(names)


def is_export_folder(folder: Path) -> bool:
    """Whether a folder holds a Sensor Logger export (a gyroscope and some acceleration)."""
    return _find(folder, GYROSCOPE) is not None and any(
        _find(folder, name) is not None for name in (TOTAL_ACCELERATION, ACCELEROMETER)
    )


def import_sensorlogger(paths: list[Path], sensor: str = "pelvis") -> Recording:
    """Import a Sensor Logger export from its folder, or from any of its CSV files."""
    folders = {path if path.is_dir() else path.parent for path in paths}
    if len(folders) != 1:
        raise BadInputError(
            "the Sensor Logger files given are in different folders; give the one folder "
            "of the export"
        )
    folder = folders.pop()
    gyr_path = _find(folder, GYROSCOPE)
    if gyr_path is None:
        raise RecordingError(str(folder), f"there is no {GYROSCOPE} in this Sensor Logger export")
    flip, warnings = _acceleration_sign(folder)
    acc_g, acc_sources = _acceleration_g(folder)
    acc_g = TimedSamples(acc_g.time_s, acc_g.values * flip + 0.0, acc_g.name, acc_g.source)
    gyr_rad_s = _read_table(gyr_path, "gyroscope")
    gyr_dps = TimedSamples(gyr_rad_s.time_s, gyr_rad_s.values * DEG_PER_RAD, "gyroscope", str(gyr_path))
    merged = merge_onto_one_clock(acc_g, gyr_dps)
    merged.warnings.extend(warnings)
    if flip < 0:
        merged.notes.append("iOS acceleration signs reversed")
    return to_recording(
        merged, sensor, FORMAT, [*acc_sources, gyr_path], "Sensor Logger", clock_is_epoch=True
    )


def _acceleration_g(folder: Path) -> tuple[TimedSamples, list[Path]]:
    """Acceleration including gravity, in g, and the files it came from."""
    total_path = _find(folder, TOTAL_ACCELERATION)
    if total_path is not None:
        total = _read_table(total_path, "accelerometer")
        return _scaled(total, 1.0 / STANDARD_GRAVITY_M_S2), [total_path]
    linear_path, gravity_path = _find(folder, ACCELEROMETER), _find(folder, GRAVITY)
    if linear_path is None:
        raise RecordingError(
            str(folder), f"there is no {TOTAL_ACCELERATION} or {ACCELEROMETER} in this Sensor Logger export"
        )
    if gravity_path is None:
        raise RecordingError(
            str(linear_path),
            f"Sensor Logger's accelerometer has gravity removed and there is no "
            f"{TOTAL_ACCELERATION} or {GRAVITY} to restore it; imuhinge needs gravity to "
            "find the tilt",
        )
    linear = tidy(_read_table(linear_path, "accelerometer"))
    gravity = tidy(_read_table(gravity_path, "gravity"))
    gravity_on_linear = np.column_stack(
        [np.interp(linear.time_s, gravity.time_s, gravity.values[:, axis]) for axis in range(3)]
    )
    inside = (linear.time_s >= gravity.time_s[0]) & (linear.time_s <= gravity.time_s[-1])
    if inside.sum() < 2:
        raise BadInputError(f"{linear_path} and {gravity_path} do not overlap in time")
    total = TimedSamples(
        linear.time_s[inside],
        (linear.values + gravity_on_linear)[inside],
        "accelerometer",
        str(linear_path),
    )
    return _scaled(total, 1.0 / STANDARD_GRAVITY_M_S2), [linear_path, gravity_path]


def _acceleration_sign(folder: Path) -> tuple[float, list[str]]:
    """-1 for an iOS recording in iOS's own signs, else +1; and any warning about it."""
    metadata_path = _find(folder, METADATA)
    if metadata_path is None:
        return 1.0, [
            f"there is no {METADATA}, so Android's axis signs were assumed; if this was "
            "recorded on an iPhone without \"Standardise Units & Frames\", the acceleration's "
            "signs are reversed"
        ]
    frame = _table.read_table(metadata_path)
    _table.require_columns(frame, ["platform"], metadata_path, "Sensor Logger metadata")
    platform = str(frame["platform"].iloc[0]).strip().lower()
    standardised = (
        "standardisation" in frame.columns
        and str(frame["standardisation"].iloc[0]).strip().lower() == "true"
    )
    return (-1.0 if platform == "ios" and not standardised else 1.0), []


def _read_table(path: Path, name: str) -> TimedSamples:
    """One sensor table, its ``time`` in s since the epoch and values as x, y, z."""
    frame = _table.read_table(path)
    _table.require_columns(frame, ["time", "x", "y", "z"], path, "Sensor Logger table")
    time_ns = _table.integer_column(frame, "time", path)
    values = _table.numeric_block(frame, ["x", "y", "z"], path)
    time_s = (time_ns // NS_PER_S).astype(np.float64) + (time_ns % NS_PER_S) / NS_PER_S
    return TimedSamples(time_s, values, name, str(path))


def _scaled(samples: TimedSamples, factor: float) -> TimedSamples:
    return TimedSamples(samples.time_s, samples.values * factor, samples.name, samples.source)


def _find(folder: Path, name: str) -> Path | None:
    """The file ``name`` in ``folder``, matched without regard to case."""
    exact = folder / name
    if exact.is_file():
        return exact
    lowered = name.lower()
    return next((p for p in sorted(folder.glob("*.csv")) if p.name.lower() == lowered), None)
