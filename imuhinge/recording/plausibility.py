"""Plausibility checks on one sensor's samples, after the CSV itself has parsed.

Enough samples, time strictly increasing, a supported rate, and values in the units
contract 1 asks for (g and degrees per second), each refused with one sentence naming
the file and, where one row is at fault, its line.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..errors import RecordingError
from . import columns as C
from .model import SensorStream


class RowLines(Protocol):
    """Maps a data row's index to its 1-based line in the file."""

    def __getitem__(self, row: int) -> int: ...


MIN_RATE_HZ = 25.0 * 0.8
MAX_RATE_HZ = 400.0 * 1.25
"""Contract 1 allows 25 to 400 Hz; a little either side is tolerated for clock error."""
MIN_SAMPLES = 10
MAX_SPAN_S = 12 * 3600.0
"""A sensor's samples may span at most this long (the analysis clock covers the span)."""
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


def check_stream(
    label: str,
    stream: SensorStream,
    rows: np.ndarray,
    source: str,
    line_of_row: RowLines,
    gyroscope: bool = True,
) -> None:
    """Per-sensor checks: enough samples, time strictly increasing, plausible rate and units.

    ``gyroscope=False`` (an accelerometer-only sensor): its gyroscope columns are not
    checked, since they hold no measurement.
    """
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
    if not gyroscope:
        _check_range(label, stream, rows, source, line_of_row, gyroscope=False)
        return
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
    label: str, stream: SensorStream, rows: np.ndarray, source: str, line_of_row: RowLines,
    gyroscope: bool = True,
) -> None:
    """Refuse a single sample beyond what any body-worn sensor measures (a corrupt value)."""
    checks = [(stream.acc_g, C.ACC_G, MAX_ABS_ACC_G, "g")]
    if gyroscope:
        checks.append((stream.gyr_dps, C.GYR_DPS, MAX_ABS_GYR_DPS, "°/s"))
    for values, names, limit, unit in checks:
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
