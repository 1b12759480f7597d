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

MIN_RATE_HZ = 25.0 * 0.8
MAX_RATE_HZ = 400.0 * 1.25
MIN_SAMPLES = 10
HEAD_BYTES = 65536
MAX_FILE_BYTES = 1_000_000_000
"""Larger files are refused before reading: the analysis holds a recording in memory."""
"""Metadata and the header must lie within this many bytes of the file's start."""
METADATA_MAX_CHARS = 500
"""Metadata values longer than this are cut: they are untrusted text."""
MAX_SPAN_S = 12 * 3600.0
"""A sensor's samples may span at most this long (the analysis clock covers the span)."""
MAX_ABS_VALUE = 1e9
"""Any number beyond this is corrupt whatever its unit (and would overflow arithmetic)."""
MAX_ABS_ACC_G = 40.0
MAX_ABS_GYR_DPS = 4500.0
"""No body-worn IMU measures beyond these (the widest ranges sold are ±32 g, ±4000 °/s)."""
UNIT_WINDOWS_S = (0.5, 1.0, 2.0)
UNIT_SMOOTH_S = 0.25
UNIT_MIN_TILT_DEG = 20.0
UNIT_MIN_WINDOWS = 3
UNIT_MIN_RATIO = 0.15
"""The gyroscope unit check: over windows of 0.5, 1 and 2 s (a swing's half cycle to a
slow hinge) where the accelerometer (averaged over 0.25 s, so the body's own
acceleration fades) tilts by 20° or more, the gyroscope must have turned by at least
0.15 times as much (it turns by about as much, or more when the
sensor also rotates about the vertical; in rad/s it shows 57 times less)."""


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

    streams: dict[str, SensorStream] = {}
    for label in C.SENSOR_LABELS:
        if label not in labels.categories:
            continue
        rows = np.flatnonzero(codes == labels.categories.get_loc(label))
        block = numeric[rows]
        stream = SensorStream(
            time_s=block[:, 0].copy(), acc_g=block[:, 1:4].copy(), gyr_dps=block[:, 4:7].copy()
        )
        _check_stream(label, stream, rows, source, line_of_row)
        streams[label] = stream
    if C.PELVIS not in streams:
        raise RecordingError(source, "there are no pelvis samples; the pelvis sensor is required")
    return Recording(streams=streams, metadata=metadata, source=source)


def write_recording(recording: Recording, path: str | os.PathLike) -> None:
    """Write ``recording`` as a contract-1 CSV, rows of all sensors interleaved in time."""
    Path(path).write_text(format_recording(recording), encoding="utf-8")


def format_recording(recording: Recording) -> str:
    """The contract-1 CSV text of ``recording``."""
    head = [f"# {C.FORMAT_KEY}: {C.FORMAT_VERSION}"]
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
                **{c: np.round(stream.gyr_dps[:, i], 3) for i, c in enumerate(C.GYR_DPS)},
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


def _check_stream(
    label: str, stream: SensorStream, rows: np.ndarray, source: str, line_of_row: "_RowLines"
) -> None:
    """Per-sensor checks: enough samples, time strictly increasing, plausible rate and units."""
    if len(stream) < MIN_SAMPLES:
        raise RecordingError(
            source, f"the {label} sensor has only {len(stream)} samples, too few to analyse"
        )
    step = np.diff(stream.time_s)
    if (step <= 0).any():
        k = int(np.flatnonzero(step <= 0)[0]) + 1
        problem = "repeats the previous time" if step[k - 1] == 0 else "goes back in time"
        raise RecordingError(
            source, f"the {label} sensor's time_s {problem} ({stream.time_s[k]:.4f} s)",
            int(line_of_row[rows[k]]),
        )
    rate_hz = stream.median_rate_hz
    if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise RecordingError(
            source,
            f"the {label} sensor's sample rate is {rate_hz:.3g} Hz; 25 to 400 Hz is supported"
            " (is time_s in seconds?)",
        )
    norm_g = float(np.median(np.linalg.norm(stream.acc_g, axis=1)))
    if 7.0 < norm_g < 13.0:
        raise RecordingError(
            source,
            f"the {label} accelerometer reads {norm_g:.1f} at rest; that looks like m/s², "
            "but the recording must be in g (divide by 9.81)",
        )
    if 700.0 < norm_g < 1300.0:
        raise RecordingError(
            source,
            f"the {label} accelerometer reads {norm_g:.0f} at rest; that looks like mg, "
            "but the recording must be in g (divide by 1000)",
        )
    if not 0.5 < norm_g < 2.0:
        raise RecordingError(
            source,
            f"the {label} accelerometer's typical magnitude is {norm_g:.3g} g; a body-worn "
            "sensor reads about 1 g, so the values are not in g",
        )
    span_s = float(stream.time_s[-1] - stream.time_s[0])
    if span_s > MAX_SPAN_S:
        raise RecordingError(
            source,
            f"the {label} sensor's time_s spans {span_s / 3600:.3g} hours; recordings up to "
            f"{MAX_SPAN_S / 3600:.0f} hours are supported (is time_s in seconds since the start?)",
        )
    gyr_peak = float(np.percentile(np.abs(stream.gyr_dps), 99.9))
    if gyr_peak > 2500.0:
        raise RecordingError(
            source,
            f"the {label} gyroscope reaches {gyr_peak:.0f} °/s; that is beyond any body-worn "
            "sensor's range, so the values are not in degrees per second",
        )
    _check_range(label, stream, rows, source, line_of_row)
    _check_gyro_unit(label, stream, source)


def _check_range(
    label: str, stream: SensorStream, rows: np.ndarray, source: str, line_of_row: "_RowLines"
) -> None:
    """Refuse a single sample beyond what any body-worn sensor measures (a corrupt value)."""
    for values, names, limit, unit in (
        (stream.acc_g, C.ACC_G, MAX_ABS_ACC_G, "g"),
        (stream.gyr_dps, C.GYR_DPS, MAX_ABS_GYR_DPS, "°/s"),
    ):
        beyond = np.abs(values) > limit
        if beyond.any():
            k, axis = (int(i) for i in np.argwhere(beyond)[0])
            raise RecordingError(
                source,
                f"'{names[axis]}' holds {values[k, axis]:.6g}, beyond the range of any "
                f"body-worn sensor (±{limit:g} {unit})",
                int(line_of_row[rows[k]]),
            )


class _RunningIntegral:
    """Integral of the linear interpolant of ``values`` (n, 3) from ``time_s[0]``, at any time."""

    def __init__(self, time_s: np.ndarray, values: np.ndarray):
        steps = np.diff(time_s)[:, None] * 0.5 * (values[1:] + values[:-1])
        self._time_s = time_s
        self._cumulative = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(steps, axis=0)])

    def at(self, query_s: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [np.interp(query_s, self._time_s, self._cumulative[:, k]) for k in range(self._cumulative.shape[1])]
        )


def _check_gyro_unit(label: str, stream: SensorStream, source: str) -> None:
    """Refuse a gyroscope that turns far less than the accelerometer says the sensor tilted.

    That is what a gyroscope in radians per second looks like (57 times too small), or one
    whose values are not rates at all. See ``UNIT_MIN_RATIO``.
    """
    t = stream.time_s
    half = 0.5 * UNIT_SMOOTH_S
    rate_hz = stream.median_rate_hz
    acc_integral = _RunningIntegral(t, stream.acc_g)
    gyr_integral = _RunningIntegral(t, stream.gyr_dps)
    tilts, turns = [], []
    for window_s in UNIT_WINDOWS_S:
        starts = np.arange(t[0] + half, t[-1] - half - window_s, 0.5 * window_s)
        if not len(starts):
            continue
        ends = starts + window_s
        # skip windows with a loss (interpolation would only guess there)
        received = np.searchsorted(t, ends + half) - np.searchsorted(t, starts - half)
        whole = received >= 0.8 * (window_s + UNIT_SMOOTH_S) * rate_hz
        edges = np.concatenate([starts, ends])
        mean_acc = acc_integral.at(edges + half) - acc_integral.at(edges - half)
        direction = mean_acc / np.maximum(np.linalg.norm(mean_acc, axis=1, keepdims=True), 1e-12)
        cosine = np.sum(direction[: len(starts)] * direction[len(starts) :], axis=1)
        tilt_deg = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
        turned = gyr_integral.at(ends) - gyr_integral.at(starts)
        keep = whole & (tilt_deg >= UNIT_MIN_TILT_DEG)
        tilts.append(tilt_deg[keep])
        turns.append(np.linalg.norm(turned[keep], axis=1))
    tilt_deg = np.concatenate(tilts) if tilts else np.empty(0)
    turned_deg = np.concatenate(turns) if turns else np.empty(0)
    if len(tilt_deg) < UNIT_MIN_WINDOWS:
        return
    ratio = float(np.median(turned_deg / tilt_deg))
    if ratio >= UNIT_MIN_RATIO:
        return
    shown_tilt = float(np.median(tilt_deg))
    shown_turn = float(np.median(turned_deg))
    if 1 / 150 < ratio < 1 / 25:
        raise RecordingError(
            source,
            f"the {label} gyroscope turns about {1 / ratio:.0f} times less than the "
            f"accelerometer tilts ({shown_turn:.2g}° against {shown_tilt:.0f}° over a movement); "
            "that looks like radians per second, but the recording must be in degrees per "
            "second (multiply by 57.3)",
        )
    raise RecordingError(
        source,
        f"the {label} gyroscope barely turns while the accelerometer tilts "
        f"({shown_turn:.2g}° against {shown_tilt:.0f}° over a movement), so the gyroscope values "
        "are not angular rates in degrees per second",
    )
