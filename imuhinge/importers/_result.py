"""Turning a merged stream into a ``Recording`` with metadata that says what was done."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ..recording import Recording
from ..recording import columns as C
from ..recording.columns import START_KEY
from ._merge import MergedStream

IMPORTED_KEY = "imported"
SOURCE_KEY = "source files"
WARNING_KEY = "import warning"
"""Metadata key of the first warning (then ``import warning 2``, …); the command line
prints them, and reports show them with the rest of the metadata."""


def to_recording(
    merged: MergedStream,
    sensor: str,
    format_name: str,
    sources: list[Path],
    device: str,
    clock_is_epoch: bool,
) -> Recording:
    """A one-sensor ``Recording`` labelled ``sensor``, its metadata naming the import.

    ``clock_is_epoch`` says whether ``merged.start_s`` is Unix time, so the start can be
    written as a UTC date.
    """
    if sensor not in C.SENSOR_LABELS:
        from ..errors import BadInputError

        raise BadInputError(f"--sensor must be {' or '.join(C.SENSOR_LABELS)}, not '{sensor}'")
    metadata = {IMPORTED_KEY: ", ".join([format_name, *merged.notes])}
    metadata[f"sensor {sensor}"] = f"{device} {merged.rate_hz:.4g} Hz".strip()
    metadata[SOURCE_KEY] = ", ".join(path.name for path in sources)
    if clock_is_epoch:
        start = datetime.fromtimestamp(merged.start_s, tz=timezone.utc)
        metadata[START_KEY] = start.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for number, warning in enumerate(merged.warnings, start=1):
        metadata[WARNING_KEY if number == 1 else f"{WARNING_KEY} {number}"] = warning
    source = " + ".join(str(path) for path in sources)
    return Recording(streams={sensor: merged.stream}, metadata=metadata, source=source)


def import_warnings(recording: Recording) -> list[str]:
    """The warnings an import left in the recording's metadata (empty for a plain CSV)."""
    return [value for key, value in recording.metadata.items() if key.startswith(WARNING_KEY)]
