"""phyphox (RWTH Aachen) experiments exported as CSV.

**Files.** phyphox's CSV export is a zip (unpack it first) holding one table per export
set, for the sensor experiments ``Raw Data.csv``, and ``meta/time.csv`` with the moments
the experiment was started and paused. Recording both sensors takes either

- two experiments, "Acceleration with g" and "Gyroscope (rotation rate)", each exported
  on its own: two ``Raw Data.csv`` files (or their folders), merged onto one clock
  through each one's ``meta/time.csv`` (system time of every START minus its experiment
  time); without those files two experiments cannot be aligned and are refused; or
- one experiment that records both (made in the phyphox editor), whose table has the
  acceleration and gyroscope columns side by side, each block after its own
  ``"Time (s)"`` column, or all sharing one.

**Columns** (quoted, English headers)::

    "Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)","Absolute acceleration (m/s^2)"
    "Time (s)","Gyroscope x (rad/s)","Gyroscope y (rad/s)","Gyroscope z (rad/s)","Absolute (rad/s)"

The "Absolute" columns are not used. All three of phyphox's CSV dialects are read:
comma with decimal point, tab with decimal point, semicolon with decimal comma.

**Units and axes.** Acceleration in m/s² is divided by 9.80665 (standard gravity) to give
g; angular rate in rad/s is multiplied by 180/π to give °/s. phyphox reports the phone's
own right-handed axes (x to the right of the screen, y to its top, z out of the screen)
with the same signs on Android and iOS, the accelerometer as specific force (+9.81 m/s²
along z when the phone lies face up), which is contract 1's convention: the axes are
copied unchanged.

**Refused.** "Acceleration without g" (``Linear Acceleration x (m/s^2)``) has gravity
removed, and gravity is what tells imuhinge which way is down, so the tilt cannot be
found from it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import BadInputError, RecordingError
from ..recording import Recording
from . import _table
from ._merge import TimedSamples, merge_onto_one_clock
from ._result import to_recording

FORMAT = "phyphox"
RAW_DATA = "Raw Data.csv"
TIME_CSV = Path("meta") / "time.csv"
STANDARD_GRAVITY_M_S2 = 9.80665
DEG_PER_RAD = 180.0 / np.pi

_TIME = re.compile(r"^Time \(s\)(\.\d+)?$")
_ACC = re.compile(r"^Acceleration ([xyz]) \(m/s\^2\)")
_LINEAR = re.compile(r"^Linear Acceleration ([xyz]) \(m/s\^2\)")
_GYR = re.compile(r"^Gyroscope ([xyz]) \(rad/s\)")
_DIALECTS = {",": ".", "\t": ".", ";": ","}
"""Separator → decimal mark, for the three CSV formats phyphox offers."""


def looks_like(header_line: str) -> bool:
    """Whether a file's first line is a phyphox export's header (quoted ``"Time (s)"``)."""
    return header_line.startswith('"Time (s)"')


def import_phyphox(paths: list[Path], sensor: str = "pelvis") -> Recording:
    """Import a phyphox export: one or two ``Raw Data.csv`` files, or their folders."""
    files = _data_files(paths)
    blocks: dict[str, list[tuple[Path, TimedSamples]]] = {"accelerometer": [], "gyroscope": []}
    for path in files:
        for name, samples in _read_blocks(path).items():
            blocks[name].append((path, samples))
    for name, found in blocks.items():
        if not found:
            listed = ", ".join(str(path) for path in files)
            what = (
                "acceleration with g (\"Acceleration x (m/s^2)\")"
                if name == "accelerometer"
                else "gyroscope (\"Gyroscope x (rad/s)\")"
            )
            raise RecordingError(listed, f"no {what} data was found; imuhinge needs both sensors")
        if len(found) > 1:
            raise BadInputError(
                f"{found[0][0]} and {found[1][0]} both hold {name} data; give one of each"
            )
    (acc_path, acc_g), (gyr_path, gyr_dps) = blocks["accelerometer"][0], blocks["gyroscope"][0]
    same_experiment = acc_path == gyr_path
    on_system_clock = not same_experiment or (acc_path.parent / TIME_CSV).is_file()
    if on_system_clock:
        acc_g = _on_system_clock(acc_g, acc_path)
        gyr_dps = _on_system_clock(gyr_dps, gyr_path)
    merged = merge_onto_one_clock(acc_g, gyr_dps)
    sources = [acc_path] if same_experiment else [acc_path, gyr_path]
    return to_recording(merged, sensor, FORMAT, sources, "phyphox", clock_is_epoch=on_system_clock)


def _data_files(paths: list[Path]) -> list[Path]:
    """The CSV tables to read: files as given, or each folder's ``Raw Data.csv``."""
    files = []
    for path in paths:
        if path.is_dir():
            candidate = path / RAW_DATA
            if not candidate.is_file():
                raise RecordingError(str(path), f"this folder has no '{RAW_DATA}' from phyphox")
            files.append(candidate)
        else:
            files.append(path)
    if not 1 <= len(files) <= 2:
        raise BadInputError(f"a phyphox import takes one or two exports, not {len(files)}")
    return files


def _dialect(path: Path, first_column: str = '"Time (s)"') -> tuple[str, str]:
    """The separator and decimal mark of a phyphox table, from its header line."""
    header = _table.first_line(path)
    if not header.startswith(first_column):
        raise RecordingError(
            str(path), f"this is not a phyphox export (its header does not start with {first_column})", 1
        )
    separator = header[len(first_column) : len(first_column) + 1] or ","
    if separator not in _DIALECTS:
        raise RecordingError(str(path), f"the columns are separated by '{separator}', which phyphox does not write", 1)
    return separator, _DIALECTS[separator]


def _read_blocks(path: Path) -> dict[str, TimedSamples]:
    """The accelerometer and gyroscope blocks of one table, in g and °/s."""
    separator, decimal = _dialect(path)
    frame = _table.read_table(path, sep=separator)
    columns = list(frame.columns)
    if any(_LINEAR.match(name) for name in columns):
        raise RecordingError(
            str(path),
            "this is phyphox's acceleration without g (linear acceleration), which has gravity "
            "removed; imuhinge needs gravity to find the tilt, so record \"Acceleration with g\"",
        )
    found = {}
    for name, pattern, scale in (
        ("accelerometer", _ACC, 1.0 / STANDARD_GRAVITY_M_S2),
        ("gyroscope", _GYR, DEG_PER_RAD),
    ):
        axes = {m.group(1): c for c in columns if (m := pattern.match(c))}
        if not axes:
            continue
        if set(axes) != {"x", "y", "z"}:
            missing = sorted({"x", "y", "z"} - set(axes))
            raise RecordingError(str(path), f"the {name} lacks its {', '.join(missing)} column", 1)
        axis_columns = [axes[a] for a in "xyz"]
        time_column = _time_column_before(columns, columns.index(axis_columns[0]), path)
        block = frame[[time_column, *axis_columns]]
        block = block[(block != "").any(axis=1).to_numpy()]
        numbers = _table.numeric_block(block, [time_column, *axis_columns], path, decimal)
        found[name] = TimedSamples(numbers[:, 0], numbers[:, 1:] * scale, name, str(path))
    return found


def _time_column_before(columns: list[str], index: int, path: Path) -> str:
    for name in reversed(columns[:index]):
        if _TIME.match(name):
            return name
    raise RecordingError(str(path), "a sensor's columns have no \"Time (s)\" column before them", 1)


def _on_system_clock(samples: TimedSamples, data_path: Path) -> TimedSamples:
    """Experiment time (s) → Unix time (s), from the export's ``meta/time.csv``.

    phyphox's experiment time stops while the experiment is paused; each START row gives
    the offset from experiment time to system time from then on, so a pause becomes a
    gap in the recording, as it was, rather than being closed up.
    """
    time_path = data_path.parent / TIME_CSV
    if not time_path.is_file():
        raise RecordingError(
            str(data_path),
            f"the accelerometer and gyroscope come from two experiments, and without "
            f"'{TIME_CSV.as_posix()}' from phyphox's export zip next to this file they cannot "
            "be put on one clock",
        )
    separator, decimal = _dialect(time_path, '"event"')
    frame = _table.read_table(time_path, sep=separator)
    _table.require_columns(frame, ["event", "experiment time", "system time"], time_path, "phyphox time file")
    starts = frame[frame["event"].str.upper() == "START"]
    if starts.empty:
        raise RecordingError(str(time_path), "there is no START event, so the start time is unknown")
    numbers = _table.numeric_block(starts, ["experiment time", "system time"], time_path, decimal)
    experiment_s, system_s = numbers[:, 0], numbers[:, 1]
    segment = np.clip(np.searchsorted(experiment_s, samples.time_s, side="right") - 1, 0, None)
    offset_s = system_s[segment] - experiment_s[segment]
    return TimedSamples(samples.time_s + offset_s, samples.values, samples.name, samples.source)

