"""Read and write the recording CSV (contract 1 in DESIGN.md).

Reading validates everything a later step would otherwise trip over, and refuses a bad
file with one ``RecordingError`` naming the file, the line (1-based, as an editor shows
it) and the problem. The parse itself is pandas' C reader, so a one-hour recording reads
in about the time pandas needs for any CSV of that size.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import RecordingError
from . import columns as C
from .model import Recording, SensorStream
from .plausibility import check_stream

HEAD_BYTES = 65536
"""Metadata and the header must lie within this many bytes of the file's start."""
MAX_FILE_BYTES = 1_000_000_000
"""Larger files are refused before reading: the analysis holds a recording in memory."""
METADATA_MAX_CHARS = 500
"""Metadata values longer than this are cut: they are untrusted text."""
MAX_ABS_VALUE = 1e9
"""Any number beyond this is corrupt whatever its unit (and would overflow arithmetic)."""


def read_recording(path: str | os.PathLike) -> Recording:
    """Read and validate a recording CSV; raise ``RecordingError`` on anything malformed."""
    path_text = str(path)
    try:
        size_bytes = Path(path).stat().st_size
        if size_bytes > MAX_FILE_BYTES:
            raise RecordingError(
                path_text,
                f"the file is {size_bytes / 1e9:.1f} GB; recordings up to "
                f"{MAX_FILE_BYTES / 1e9:.0f} GB (about 10 hours of two sensors at 200 Hz) "
                "are supported, so split it into sessions",
            )
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise RecordingError(path_text, "no such file") from None
    except IsADirectoryError:
        raise RecordingError(path_text, "is a folder, not a recording file") from None
    except OSError as exc:
        raise RecordingError(path_text, f"cannot be read ({exc.strerror})") from None
    return parse_recording(raw, path_text)


def parse_recording(raw: bytes, source: str = "<memory>") -> Recording:
    """Parse the bytes of a recording CSV; ``source`` names it in error messages."""
    if not raw or raw.isspace():
        raise RecordingError(source, "the file is empty")
    if b"\x00" in raw[:4096]:
        raise RecordingError(source, "this is not a text file (it contains binary data)")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RecordingError(source, "this is not UTF-8 text", line) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\r" in raw:
        # Windows (CRLF) and old Mac (CR) line ends, even mixed, all become "\n", so the
        # metadata scan, pandas and the line numbers in messages agree on what a line is.
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")

    head_lines = raw[:HEAD_BYTES].decode("utf-8", errors="replace").split("\n")
    metadata, header_index = _read_metadata(head_lines, source)
    header_line = header_index + 1
    names = [n.strip() for n in head_lines[header_index].split(",")]
    _check_header(names, source, header_line)
    header_offset = sum(len(line.encode("utf-8")) + 1 for line in head_lines[:header_index])

    try:
        frame = pd.read_csv(
            io.BytesIO(raw[header_offset:]),
            dtype={C.SENSOR: "category"},
            skipinitialspace=True,
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        problem, line = _parser_problem(str(exc))
        raise RecordingError(source, problem, None if line is None else line + header_index) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise RecordingError(source, "the file has a header but no samples", header_line)

    line_of_row = _RowLines(raw, header_index)
    numeric = _numeric_block(frame, source, line_of_row)
    labels = frame[C.SENSOR].cat
    codes = labels.codes.to_numpy()
    _check_labels(list(labels.categories), codes, source, line_of_row)

    accelerometer_only = _accelerometer_only(metadata, source, head_lines)
    streams: dict[str, SensorStream] = {}
    for label in C.SENSOR_LABELS:
        if label not in labels.categories:
            continue
        rows = np.flatnonzero(codes == labels.categories.get_loc(label))
        block = numeric[rows]
        stream = SensorStream(
            time_s=block[:, 0].copy(), acc_g=block[:, 1:4].copy(), gyr_dps=block[:, 4:7].copy()
        )
        check_stream(label, stream, rows, source, line_of_row, gyroscope=label not in accelerometer_only)
        streams[label] = stream
    if C.PELVIS not in streams:
        raise RecordingError(source, "there are no pelvis samples; the pelvis sensor is required")
    return Recording(streams=streams, metadata=metadata, source=source)


def write_recording(recording: Recording, path: str | os.PathLike) -> None:
    """Write ``recording`` as a contract-1 CSV, rows of all sensors interleaved in time."""
    Path(path).write_text(format_recording(recording), encoding="utf-8")


def format_recording(recording: Recording) -> str:
    """The contract-1 CSV text of ``recording`` (an accelerometer-only sensor's gyroscope
    columns as 0.0)."""
    head = [f"# {C.FORMAT_KEY}: {C.FORMAT_VERSION}"]
    no_gyroscope = set(recording.accelerometer_only)
    for key, value in recording.metadata.items():
        if key == C.FORMAT_KEY:
            continue
        head.append(f"# {_clean_metadata(key)}: {_clean_metadata(value)}")
    parts = []
    for label, stream in recording.streams.items():
        part = pd.DataFrame(
            {
                C.TIME_S: np.round(stream.time_s, 4),
                C.SENSOR: label,
                **{c: np.round(stream.acc_g[:, i], 5) for i, c in enumerate(C.ACC_G)},
                **{
                    c: np.zeros(len(stream)) if label in no_gyroscope else np.round(stream.gyr_dps[:, i], 3)
                    for i, c in enumerate(C.GYR_DPS)
                },
            }
        )
        parts.append(part)
    table = pd.concat(parts, ignore_index=True).sort_values(C.TIME_S, kind="stable")
    body = table.to_csv(index=False, lineterminator="\n")
    return "\n".join(head) + "\n" + body


def _read_metadata(head_lines: list[str], source: str) -> tuple[dict[str, str], int]:
    """Metadata from leading ``# key: value`` lines, and the index of the header line."""
    metadata: dict[str, str] = {}
    last = 0
    for index, line in enumerate(head_lines):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            return metadata, index
        last = index
        key, sep, value = stripped[1:].partition(":")
        if sep:
            metadata[_clean_metadata(key.strip())] = _clean_metadata(value.strip())
    raise RecordingError(source, "the file has no header row, only comment lines", last + 1)


def _accelerometer_only(metadata: dict[str, str], source: str, head_lines: list[str]) -> tuple[str, ...]:
    """The labels of the ``accelerometer-only`` line; refuse one naming an unknown sensor."""
    value = metadata.get(C.ACCELEROMETER_ONLY_KEY)
    if value is None:
        return ()
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [name for name in names if name not in C.SENSOR_LABELS]
    if names and not unknown:
        return tuple(label for label in C.SENSOR_LABELS if label in names)
    line = next(
        (i + 1 for i, text in enumerate(head_lines)
         if text.lstrip().startswith("#") and C.ACCELEROMETER_ONLY_KEY in text),
        None,
    )
    what = f"the {C.ACCELEROMETER_ONLY_KEY} line"
    expected = f"expected a comma-separated list of {' and '.join(C.SENSOR_LABELS)}"
    if not names:
        raise RecordingError(source, f"{what} lists no sensor ({expected})", line)
    shown = _clean_metadata(unknown[0])[:40]
    raise RecordingError(source, f"{what} names '{shown}', which is not a sensor label ({expected})", line)


def _clean_metadata(text: str) -> str:
    """Strip control characters and bound the length of untrusted metadata text."""
    cleaned = "".join(ch for ch in text if ch.isprintable())
    return cleaned[:METADATA_MAX_CHARS]


def _check_header(names: list[str], source: str, line: int) -> None:
    if len(names) == 1 and any(d in names[0] for d in ";\t|"):
        raise RecordingError(
            source, "the header is not comma separated (found ';', tab or '|' instead)", line
        )
    seen = set()
    for name in names:
        if name in seen and name in C.COLUMNS:
            raise RecordingError(source, f"column '{name}' appears twice in the header", line)
        seen.add(name)
    missing = [c for c in C.COLUMNS if c not in seen]
    if missing:
        listed = ", ".join(f"'{m}'" for m in missing)
        raise RecordingError(
            source, f"the header lacks column{'s' if len(missing) > 1 else ''} {listed}", line
        )


def _parser_problem(message: str) -> tuple[str, int | None]:
    """Turn pandas' tokenizer message into our wording and its line number (1 = the header)."""
    import re

    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if found:
        expected, line, saw = (int(g) for g in found.groups())
        return f"this row has {saw} fields where the header has {expected}", line
    return f"the CSV cannot be parsed ({_clean_metadata(message.strip())[:200]})", None


class _RowLines:
    """1-based file line of each data row, worked out only when an error needs one.

    The parser skips blank lines, so a row's line is found by counting the non-blank
    lines after the header; doing that for a large file costs time, hence lazily.
    """

    def __init__(self, raw: bytes, header_index: int):
        self._raw = raw
        self._header_index = header_index
        self._lines: np.ndarray | None = None

    def __getitem__(self, row: int) -> int:
        if self._lines is None:
            lines = self._raw.decode("utf-8").split("\n")
            self._lines = np.asarray(
                [i + 1 for i in range(self._header_index + 1, len(lines)) if lines[i].strip()],
                dtype=np.int64,
            )
        return int(self._lines[row])


def _numeric_block(frame: pd.DataFrame, source: str, line_of_row: "_RowLines") -> np.ndarray:
    """The numeric columns as one float array; refuse text, NaN and infinity."""
    block = np.empty((len(frame), len(C.NUMERIC_COLUMNS)), dtype=np.float64)
    for j, name in enumerate(C.NUMERIC_COLUMNS):
        column = frame[name]
        if column.dtype.kind not in "fiu":
            values = pd.to_numeric(column, errors="coerce")
            bad = values.isna() & column.notna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                shown = _clean_metadata(str(column.iloc[row]))[:40]
                raise RecordingError(
                    source, f"'{name}' holds '{shown}', which is not a number", int(line_of_row[row])
                )
            column = values
        block[:, j] = column.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(block)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        what = "is missing or NaN" if np.isnan(block[row, col]) else "is infinite"
        raise RecordingError(
            source, f"'{C.NUMERIC_COLUMNS[col]}' {what}", int(line_of_row[row])
        )
    absurd = np.abs(block) > MAX_ABS_VALUE
    if absurd.any():
        row, col = np.argwhere(absurd)[0]
        raise RecordingError(
            source,
            f"'{C.NUMERIC_COLUMNS[col]}' holds {block[row, col]:.6g}, which no recording can hold",
            int(line_of_row[row]),
        )
    return block


def _check_labels(
    categories: list, codes: np.ndarray, source: str, line_of_row: "_RowLines"
) -> None:
    """Refuse a missing or unknown sensor label (labels are parsed as a categorical)."""
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise RecordingError(source, "the sensor label is missing", int(line_of_row[row]))
    unknown = [i for i, name in enumerate(categories) if name not in C.SENSOR_LABELS]
    if unknown:
        row = int(np.flatnonzero(np.isin(codes, unknown))[0])
        shown = _clean_metadata(str(categories[codes[row]]))[:40]
        raise RecordingError(
            source,
            f"unknown sensor label '{shown}' (expected {' or '.join(C.SENSOR_LABELS)})",
            int(line_of_row[row]),
        )
