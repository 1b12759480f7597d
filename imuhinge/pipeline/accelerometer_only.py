"""Segment tilt from the accelerometer alone, for sensors without a gyroscope.

Some sensors stream acceleration only (the Polar H10 chest strap). What an accelerometer
reads is gravity plus the body's own acceleration; low-passed below the movement's
fastest changes (``cutoff_hz``), the body's part largely averages out and the direction
left is gravity's, "up" in the sensor frame. From it come the sagittal and frontal
tilt; the heading (rotation about the vertical) cannot be seen at all.

This is valid only in slow movement. In a fast rep the body's acceleration does not
average out within the filter and the filter also flattens the peak itself, so fast reps
such as kettlebell swings are underestimated (README, "How accurate it is", gives the
measured figures).

The mediolateral axis, which a gyroscope finds as the dominant rotation axis, comes here
from the plane in which gravity's direction moves: a hinge turns the segment about its
left axis, so, seen from the sensor, gravity swings in the plane perpendicular to it.

Offline the low-pass runs forwards and backwards (no delay); ``causal_gravity_direction``
runs the same filter forwards only, block by block, for live use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfilt, sosfilt_zi, sosfiltfilt

from .settings import AccelerometerOnlySettings


MEASURED_SLOW_PELVIS_RMSE_DEG = 1.9
MEASURED_SWING_PELVIS_BIAS_DEG = -6.1
MEASURED_SWING_LUMBAR_RMSE_DEG = 13.7
"""Figures the accuracy note quotes, measured by ``benchmarks/accuracy.py
--accelerometer-only --seeds 1-200 --hinge-seeds 1-60 --swing-seeds 1-60`` (held-out
simulated sessions, every sensor accelerometer-only): RMS error of peak pelvic tilt in
deadlifts (1.88°) and hinges (1.46°); in swings its mean error (negative: under) and the
RMS error of peak lumbar flexion with two such sensors."""


def accuracy_note(labels: list[str], lumbar_measured: bool) -> str:
    """The plain sentence that says how much less accurate an accelerometer-only
    recording is. ``labels``: the sensors without gyroscope; ``lumbar_measured``: both
    sensors were analysed, so lumbar flexion is measured (and shares the limitation)."""
    which = " and ".join(labels)
    sensors = "sensor has" if len(labels) == 1 else "sensors have"
    swing = f"by {-MEASURED_SWING_PELVIS_BIAS_DEG:g}° on average"
    if lumbar_measured:
        swing += f", and lumbar flexion is off by {MEASURED_SWING_LUMBAR_RMSE_DEG:g}° RMS"
    return (
        f"accelerometer only: the {which} {sensors} no gyroscope, so angles are valid only in "
        f"slow movement (peak tilt within {MEASURED_SLOW_PELVIS_RMSE_DEG:g}° RMS in simulated "
        f"deadlifts and hinges) and fast reps such as swings are underestimated ({swing} in "
        "simulated swings)"
    )


@dataclass(frozen=True)
class GravityFilterState:
    """What ``causal_gravity_direction`` carries from one block to the next.

    ``sos``: the low-pass (second-order sections); ``zi``: its state per section and
    axis, shape (sections, 2, 3); ``rate_hz``: the rate it was designed for.
    """

    sos: np.ndarray
    zi: np.ndarray
    rate_hz: float


def lowpass_sos(rate_hz: float, settings: AccelerometerOnlySettings) -> np.ndarray:
    """The Butterworth low-pass (second-order sections) at ``settings.cutoff_hz``."""
    cutoff_hz = min(settings.cutoff_hz, 0.45 * rate_hz)
    return butter(settings.order, cutoff_hz, btype="low", fs=rate_hz, output="sos")


def gravity_direction(acc_g: np.ndarray, rate_hz: float, settings: AccelerometerOnlySettings) -> np.ndarray:
    """(n, 3) unit "up" in the sensor frame: the accelerometer low-passed without delay.

    ``acc_g`` (n, 3) is specific force in g, sampled uniformly at ``rate_hz``. A sample
    whose filtered value is (near) zero, which no real recording gives, reads as the
    previous direction.
    """
    acc = np.asarray(acc_g, dtype=np.float64)
    sos = lowpass_sos(rate_hz, settings)
    if len(acc) > 3 * (2 * len(sos) + 1):
        acc = sosfiltfilt(sos, acc, axis=0)
    return _unit_rows(acc)


def causal_gravity_direction(
    acc_g: np.ndarray,
    rate_hz: float,
    settings: AccelerometerOnlySettings = AccelerometerOnlySettings(),
    state: GravityFilterState | None = None,
) -> tuple[np.ndarray, GravityFilterState]:
    """Live form of ``gravity_direction``: (n, 3) unit "up" for a block, and the new state.

    Feed consecutive blocks of (n, 3) accelerometer samples (g, uniform at ``rate_hz``),
    passing back the state each call returns; start with ``state=None``, which settles
    the filter on the first sample (no start-up transient). The same low-pass as
    offline, run forwards only, so the direction lags the movement (about 0.22 s at the
    default 1 Hz cut-off). Pure: the inputs are not changed.
    """
    acc = np.asarray(acc_g, dtype=np.float64).reshape(-1, 3)
    if state is None or state.rate_hz != rate_hz:
        sos = lowpass_sos(rate_hz, settings)
        first = acc[0] if len(acc) else np.array([0.0, 0.0, 1.0])
        zi = sosfilt_zi(sos)[:, :, None] * first[None, None, :]
        state = GravityFilterState(sos, zi, rate_hz)
    if not len(acc):
        return np.empty((0, 3)), state
    filtered, zi = sosfilt(state.sos, acc, axis=0, zi=state.zi)
    return _unit_rows(filtered), GravityFilterState(state.sos, zi, state.rate_hz)


def tilt_deg(up_segment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sagittal (+ forward) and frontal (+ towards the right) tilt, degrees, from (n, 3)
    "up" expressed in the segment frame, exactly as ``axes.sagittal_frontal_heading_deg``
    reads them from an orientation (so a segment may lean past 90°)."""
    up = np.asarray(up_segment, dtype=np.float64)
    beyond = np.where(up[:, 2] < 0.0, -1.0, 1.0)
    sagittal = np.degrees(np.arctan2(-up[:, 0], beyond * np.hypot(up[:, 1], up[:, 2])))
    frontal = np.degrees(np.arctan2(beyond * up[:, 1], beyond * up[:, 2]))
    return sagittal, frontal


def tilt_quaternions(up_segment: np.ndarray) -> np.ndarray:
    """(n, 4) quaternions (w, x, y, z) of ``R_world_segment = Ry(sagittal) · Rx(frontal)``:
    the orientation the tilt gives, heading fixed at zero (it cannot be seen)."""
    sagittal, frontal = tilt_deg(up_segment)
    half_s, half_f = np.radians(sagittal) / 2.0, np.radians(frontal) / 2.0
    cs, ss, cf, sf = np.cos(half_s), np.sin(half_s), np.cos(half_f), np.sin(half_f)
    return np.stack([cs * cf, cs * sf, ss * cf, -ss * sf], axis=1)


def mediolateral_axis_from_gravity(
    gravity_sensor: np.ndarray,
    up_sensor: np.ndarray,
    valid: np.ndarray,
    rate_hz: float,
    settings: AccelerometerOnlySettings,
) -> tuple[np.ndarray, bool]:
    """The left axis (sensor frame, sign not yet chosen) from how gravity's direction moves.

    ``gravity_sensor`` (n, 3) is the low-passed "up" through the recording (unit vectors),
    ``up_sensor`` the calibration's up. Each sample's departure from ``up_sensor`` points
    along the segment's anterior axis when the segment tilts forward or back; the
    dominant direction of departures (samples tilted at least ``min_tilt_deg``, weighted
    by how far) is that axis, and left is perpendicular to it and to up. Returns (axis,
    found); with less than ``min_motion_s`` of such tilt, the sensor axis most nearly
    horizontal stands in and found is False.
    """
    up = np.asarray(up_sensor, dtype=np.float64)
    moves = np.asarray(gravity_sensor, dtype=np.float64) - up
    moves -= np.outer(moves @ up, up)
    size = np.linalg.norm(moves, axis=1)
    tilted = (size > 2.0 * np.sin(np.radians(settings.min_tilt_deg) / 2.0)) & np.asarray(valid, dtype=bool)
    if tilted.sum() < settings.min_motion_s * rate_hz:
        axis = np.eye(3)[int(np.argmin(np.abs(up)))]
        return axis - np.dot(axis, up) * up, False
    weighted = moves[tilted] * size[tilted, None]
    _, vectors = np.linalg.eigh(weighted.T @ weighted)
    anterior = vectors[:, -1]
    left = np.cross(anterior, up)
    return left / np.linalg.norm(left), True


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` scaled to unit length; a (near) zero row repeats the row before."""
    norm = np.linalg.norm(x, axis=1)
    ok = norm > 1e-6
    out = np.zeros_like(x)
    out[ok] = x[ok] / norm[ok, None]
    if not ok.all():
        index = np.where(ok, np.arange(len(x)), -1)
        last = np.maximum.accumulate(index)
        fill = np.flatnonzero(~ok & (last >= 0))
        out[fill] = out[last[fill]]
        out[~ok & (last < 0)] = (0.0, 0.0, 1.0)
    return out
