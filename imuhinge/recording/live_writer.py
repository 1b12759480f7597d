"""Write a contract-1 recording while a live session runs, so that a crash loses little.

Rows are appended as samples arrive. Samples of the two sensors arrive in separate
notifications with their own latencies, so rows wait in a short reorder window
(``reorder_window_s``) and leave it in time order; a sample that arrives later than the
window is still written, just out of cross-sensor order (the reader only needs time to
increase per sensor). A sample whose time does not increase over the sensor's previous
one, or that holds a non-finite value, is dropped and counted.

Crash safety: the header is written and synced when the file is created; afterwards the
text of whole rows is appended with one ``os.write`` per flush and ``os.fsync``ed, at
least every ``flush_interval_s`` and on close. A crash, Ctrl-C or ``kill -9`` therefore
leaves a file that ends with a complete row and holds every row of the last flush
(``repair_truncated_tail`` cuts an incomplete last row, which only a kernel cutting a
multi-page write short or a power loss could leave). Contract 1 allows comments only
before the header, so gaps are not marked in the file: they show as missing samples,
and the summary ``close`` returns lists them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import BadInputError
from . import columns as C
from .model import accelerometer_only_labels

TIME_DECIMALS = 4
ROW_FORMAT = "%.4f,%s,%.5f,%.5f,%.5f,%.3f,%.3f,%.3f\n"
"""The decimals of ``format_recording``: 0.1 ms, 10 µg, 0.001 °/s."""
METADATA_MAX_CHARS = 500


class LiveRecordingError(BadInputError):
    """The live recording file cannot be created or written."""


@dataclass(frozen=True)
class SensorInfo:
    """What the ``# sensor <label>:`` metadata line says about one sensor.

    ``gyroscope=False`` marks a sensor without one (a Polar H10 streams acceleration
    only): it is listed in the ``# accelerometer-only:`` line and its gyroscope
    columns are written as 0.0 whatever ``add`` is given.
    """

    model: str
    address: str
    rate_hz: float
    gyroscope: bool = True

    def describe(self) -> str:
        return f"{self.model} {self.address} {self.rate_hz:g} Hz"


@dataclass(frozen=True)
class LiveWriterSettings:
    """How long rows wait for reordering (s), how often the file is synced (s), and what
    step between a sensor's samples counts as a gap (multiples of its nominal period).

    A sample is on disk at most ``reorder_window_s + flush_interval_s`` after it arrives
    (0.75 s by default), inside the promise that live data is on disk within a second.
    """

    reorder_window_s: float = 0.25
    flush_interval_s: float = 0.5
    gap_periods: float = 3.0


@dataclass(frozen=True)
class Gap:
    """A stretch without samples of ``sensor``, between two samples (s)."""

    sensor: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class LiveRecordingSummary:
    """What was written: rows per sensor, dropped samples per sensor, gaps, rows written
    after a later row of the other sensor (``late_rows``) and how many syncs were made."""

    path: str
    rows_written: dict[str, int] = field(default_factory=dict)
    dropped_samples: dict[str, int] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    late_rows: int = 0
    flushes: int = 0


class LiveRecordingWriter:
    """Appends contract-1 rows to ``path`` as samples arrive; use as a context manager.

    ``metadata`` becomes ``# key: value`` lines; ``sensors`` maps each label (``pelvis``
    is required, ``thorax`` optional) to its ``SensorInfo``. A sensor without a gyroscope
    is declared by ``SensorInfo(..., gyroscope=False)`` (or, equivalently, by listing its
    label in ``metadata["accelerometer-only"]``); either way one ``# accelerometer-only:``
    line lists every such sensor. ``clock`` (s, monotonic) decides when a flush is due. An
    existing file is refused unless ``overwrite``.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        metadata: Mapping[str, str],
        sensors: Mapping[str, SensorInfo],
        *,
        settings: LiveWriterSettings = LiveWriterSettings(),
        overwrite: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ):
        unknown = [label for label in sensors if label not in C.SENSOR_LABELS]
        if unknown or C.PELVIS not in sensors:
            raise ValueError(
                f"sensors must be {C.PELVIS} and optionally {C.THORAX}, got {list(sensors)}"
            )
        self.path = Path(path)
        self.metadata = dict(metadata)
        declared = set(accelerometer_only_labels({k: str(v) for k, v in self.metadata.items()}))
        self.metadata.pop(C.ACCELEROMETER_ONLY_KEY, None)
        self.sensors = {
            label: replace(info, gyroscope=False) if label in declared else info for label, info in sensors.items()
        }
        self.accelerometer_only = tuple(
            label for label in C.SENSOR_LABELS if label in self.sensors and not self.sensors[label].gyroscope
        )
        self.settings = settings
        self.overwrite = overwrite
        self._clock = clock
        self._fd: int | None = None
        self.summary = LiveRecordingSummary(
            path=str(self.path),
            rows_written={label: 0 for label in sensors},
            dropped_samples={label: 0 for label in sensors},
        )
        self._last_time_s = {label: -np.inf for label in sensors}
        self._pending_time_s: list[np.ndarray] = []
        self._pending_rows: list[np.ndarray] = []
        self._emitted = ""
        self._last_emitted_s = -np.inf
        self._last_flush_at = 0.0
        self._last_arrival_at = 0.0

    def with_sensors(self, sensors: Mapping[str, SensorInfo]) -> "LiveRecordingWriter":
        """The same writer (path, metadata, settings) for ``sensors``; before ``open`` only.

        A live session learns what its sensors are (name, protocol, rate, gyroscope) only
        once they have connected, and the header must say so before the first row.
        """
        if self._fd is not None:
            raise RuntimeError("with_sensors() after open()")
        return LiveRecordingWriter(self.path, self.metadata, sensors, settings=self.settings,
                                   overwrite=self.overwrite, clock=self._clock)

    def __enter__(self) -> "LiveRecordingWriter":
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def open(self) -> None:
        """Create the file and make its metadata and header durable before any sample."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (os.O_TRUNC if self.overwrite else os.O_EXCL)
        try:
            self._fd = os.open(self.path, flags, 0o644)
        except FileExistsError:
            raise LiveRecordingError(f"{self.path}: already exists; choose another --out or remove it") from None
        except OSError as exc:
            raise LiveRecordingError(f"{self.path}: cannot be created ({exc.strerror})") from None
        self._write_durably(self._head_text())
        _sync_directory(self.path.parent)
        self._last_flush_at = self._last_arrival_at = self._clock()

    def add(
        self, sensor: str, time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray | None = None
    ) -> int:
        """Queue samples of ``sensor`` (times in s since session start, (n, 3) g and °/s).

        ``gyr_dps`` may be None only for an accelerometer-only sensor, whose gyroscope
        columns are written as 0.0 in any case. Returns how many were accepted; flushes
        if one is due.
        """
        if self._fd is None:
            raise RuntimeError("add() before open() or after close()")
        if sensor not in self.sensors:
            raise ValueError(f"unknown sensor {sensor!r}; this recording has {list(self.sensors)}")
        time_s = np.round(np.asarray(time_s, dtype=np.float64).reshape(-1), TIME_DECIMALS)
        if sensor in self.accelerometer_only:
            gyr_dps = np.zeros((len(time_s), 3))
        elif gyr_dps is None:
            raise ValueError(f"the {sensor} sensor has a gyroscope, so add() needs its gyr_dps")
        values = np.hstack([
            np.asarray(acc_g, np.float64).reshape(-1, 3),
            np.asarray(gyr_dps, np.float64).reshape(-1, 3),
        ])
        finite = np.isfinite(time_s) & np.isfinite(values).all(axis=1)
        candidates_s = np.concatenate(([self._last_time_s[sensor]], np.where(finite, time_s, -np.inf)))
        before = np.maximum.accumulate(candidates_s)[:-1]
        keep = finite & (time_s > before)
        self.summary.dropped_samples[sensor] += int(len(time_s) - keep.sum())
        time_s, values = time_s[keep], values[keep]
        if len(time_s):
            self._note_gaps(sensor, time_s)
            self._last_time_s[sensor] = float(time_s[-1])
            rows = np.empty((len(time_s), 8), dtype=object)
            rows[:, 0] = time_s
            rows[:, 1] = sensor
            rows[:, 2:] = values
            self._pending_time_s.append(time_s)
            self._pending_rows.append(rows)
            self._last_arrival_at = self._clock()
        self.flush_if_due()
        return len(time_s)

    def flush_if_due(self) -> None:
        """Flush if ``flush_interval_s`` has passed since the last; call it on a timer too."""
        if self._fd is not None and self._clock() - self._last_flush_at >= self.settings.flush_interval_s:
            self.flush()

    def flush(self) -> None:
        """Write and sync the rows that have left the reorder window.

        When no sample has arrived for a whole window, everything waiting is written:
        nothing is coming that it would have to be ordered against.
        """
        if self._fd is None:
            return
        idle = self._clock() - self._last_arrival_at >= self.settings.reorder_window_s
        latest_s = max(self._last_time_s.values())
        self._emit(np.inf if idle else latest_s - self.settings.reorder_window_s)
        self._write_durably(self._emitted)
        self._emitted = ""
        self._last_flush_at = self._clock()
        self.summary.flushes += 1

    def close(self) -> LiveRecordingSummary:
        """Write everything still waiting, sync and close; safe to call twice."""
        if self._fd is not None:
            try:
                self._emit(np.inf)
                self._write_durably(self._emitted)
                self._emitted = ""
                self.summary.flushes += 1
            finally:
                os.close(self._fd)
                self._fd = None
        return self.summary

    def _head_text(self) -> str:
        lines = [f"# {C.FORMAT_KEY}: {C.FORMAT_VERSION}"]
        lines += [f"# sensor {label}: {_clean(info.describe())}" for label, info in self.sensors.items()]
        if self.accelerometer_only:
            lines.append(f"# {C.ACCELEROMETER_ONLY_KEY}: {','.join(self.accelerometer_only)}")
        for key, value in self.metadata.items():
            key_text = _clean(str(key)).replace(":", "-")
            if key_text and key_text != C.FORMAT_KEY and not key_text.startswith("sensor "):
                lines.append(f"# {key_text}: {_clean(str(value))}")
        lines.append(",".join(C.COLUMNS))
        return "\n".join(lines) + "\n"

    def _note_gaps(self, sensor: str, time_s: np.ndarray) -> None:
        limit_s = self.settings.gap_periods / self.sensors[sensor].rate_hz
        times_s = np.concatenate(([self._last_time_s[sensor]], time_s))
        for k in np.flatnonzero(np.diff(times_s) > limit_s):
            if np.isfinite(times_s[k]):
                self.summary.gaps.append(Gap(sensor, float(times_s[k]), float(times_s[k + 1])))

    def _emit(self, watermark_s: float) -> None:
        """Move pending rows at or before ``watermark_s`` (s) into the text to write, in time order."""
        if not self._pending_time_s:
            return
        time_s = np.concatenate(self._pending_time_s)
        rows = np.concatenate(self._pending_rows)
        ready = time_s <= watermark_s
        if not ready.any():
            return
        order = np.argsort(time_s[ready], kind="stable")
        out_time_s, out_rows = time_s[ready][order], rows[ready][order]
        self._pending_time_s = [time_s[~ready]] if (~ready).any() else []
        self._pending_rows = [rows[~ready]] if (~ready).any() else []
        self.summary.late_rows += int((out_time_s < self._last_emitted_s).sum())
        self._last_emitted_s = max(self._last_emitted_s, float(out_time_s[-1]))
        labels, counts = np.unique(out_rows[:, 1].astype(str), return_counts=True)
        for label, count in zip(labels, counts):
            self.summary.rows_written[label] += int(count)
        self._emitted += (ROW_FORMAT * len(out_rows)) % tuple(out_rows.ravel())

    def _write_durably(self, text: str) -> None:
        """Append ``text`` (whole lines) in one write where the kernel allows, then fsync."""
        data = memoryview(text.encode("utf-8"))
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
            os.fsync(self._fd)
        except OSError as exc:
            raise LiveRecordingError(f"{self.path}: cannot be written ({exc.strerror})") from None


def repair_truncated_tail(path: str | os.PathLike) -> int:
    """Cut an incomplete last line off a recording; return how many bytes were removed.

    The writer appends whole lines, so only an interrupted multi-page write or a power
    loss can leave one; after this the file reads as everything before it.
    """
    path = Path(path)
    with open(path, "rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        position = size
        while position > 0:
            step = min(4096, position)
            handle.seek(position - step)
            chunk = handle.read(step)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                keep = position - step + newline + 1
                break
            position -= step
        else:
            keep = 0
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    return size - keep


def _clean(text: str) -> str:
    """Metadata text on one line: control characters become spaces, length bounded."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:METADATA_MAX_CHARS]


def _sync_directory(folder: Path) -> None:
    """Make the new file's directory entry durable (ignored where directories cannot be synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
