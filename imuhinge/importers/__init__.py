"""Recordings made with other apps and sensors, turned into imuhinge recordings.

One module per export format, each stating its units, axes and conversions:
``metabase`` (MbientLab MetaMotion via MetaBase), ``phyphox``, ``sensorlogger``. Each
returns a one-sensor ``Recording`` (contract 1 in memory), its metadata saying what was
imported and how (``# imported: metabase, accelerometer 12.5 Hz interpolated to 25 Hz``).

``load_recording`` is what the commands use: it reads a contract-1 CSV as it is, and
recognises an export by its header (or a Sensor Logger or phyphox folder by its files)
and imports it, so ``imuhinge analyse`` takes either.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import BadInputError, RecordingError
from ..recording import Recording, read_recording
from . import _table, metabase, phyphox, sensorlogger
from ._result import import_warnings

AUTO = "auto"
IMPORTERS: dict[str, Callable[[list[Path], str], Recording]] = {
    metabase.FORMAT: metabase.import_metabase,
    phyphox.FORMAT: phyphox.import_phyphox,
    sensorlogger.FORMAT: sensorlogger.import_sensorlogger,
}
FORMATS = (AUTO, *IMPORTERS)
RECORDING = "recording"
"""What ``detect_format`` calls an imuhinge recording CSV (contract 1)."""

__all__ = ["FORMATS", "detect_format", "import_export", "import_warnings", "load_recording"]


def load_recording(paths: list[str], sensor: str = "pelvis") -> Recording:
    """A recording from a contract-1 CSV, or imported from any supported export.

    ``paths`` is one recording CSV, or the file(s) or folder of an export; ``sensor``
    labels an imported stream (``pelvis`` or ``thorax``) and is ignored for a recording
    CSV, which carries its own labels.
    """
    found = [Path(p) for p in paths]
    kind = detect_format(found)
    if kind == RECORDING:
        if len(found) != 1:
            raise BadInputError(f"give one recording file, not {len(found)}")
        return read_recording(found[0])
    return IMPORTERS[kind](found, sensor)


def import_export(format_name: str, paths: list[str], sensor: str = "pelvis") -> Recording:
    """Import an export of a stated format (or ``auto``); refuse a recording CSV."""
    found = [Path(p) for p in paths]
    if format_name == AUTO:
        format_name = detect_format(found)
        if format_name == RECORDING:
            raise BadInputError(
                f"{found[0]} is already an imuhinge recording; there is nothing to import"
            )
    if format_name not in IMPORTERS:
        raise BadInputError(f"unknown format '{format_name}' (known: {', '.join(FORMATS)})")
    return IMPORTERS[format_name](found, sensor)


def detect_format(paths: list[Path]) -> str:
    """``metabase``, ``phyphox``, ``sensorlogger``, or ``recording`` for anything else.

    Files are recognised by their header line, folders by the files in them. Anything
    unrecognised is treated as a recording CSV, whose reader then says what is wrong.
    """
    if not paths:
        raise BadInputError("no file was given")
    kinds = {_detect_one(path) for path in paths}
    if len(kinds) > 1:
        listed = ", ".join(sorted(kinds))
        raise BadInputError(f"the files given are of different kinds ({listed}); give one export")
    return kinds.pop()


def _detect_one(path: Path) -> str:
    if path.is_dir():
        if sensorlogger.is_export_folder(path):
            return sensorlogger.FORMAT
        if (path / phyphox.RAW_DATA).is_file():
            return phyphox.FORMAT
        raise RecordingError(
            str(path),
            "this folder is neither a Sensor Logger export (Gyroscope.csv with "
            "TotalAcceleration.csv or Accelerometer.csv) nor a phyphox export (Raw Data.csv)",
        )
    if path.name.lower() in {name.lower() for name in sensorlogger.KNOWN_FILES} and (
        sensorlogger.is_export_folder(path.parent)
    ):
        return sensorlogger.FORMAT
    header = _table.first_line(path)
    for module in (metabase, phyphox, sensorlogger):
        if module.looks_like(header):
            return module.FORMAT
    return RECORDING
