"""Step 2: quiet standing, gyroscope bias, and each segment's axes in its sensor's frame.

The user never says how a sensor is clipped. Quiet standing gives "up" (the mean
accelerometer direction) and, with every other still moment, the gyroscope bias (the
mean rate while nothing turns, whatever the posture). The movement gives the left
(mediolateral) axis: hinges turn the segment about it, so it is the dominant rotation
axis perpendicular to gravity. Its sign is chosen so that the reps are forward tilts,
because people hinge forward far and lean back little.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AnalysisError
from .axes import segment_from_sensor, sagittal_from_up_deg, to_segment
from .resample import UniformStream
from .settings import CalibrationSettings

QUIET_STANDING = "quiet-standing"
"""``SensorCalibration.method`` when calibrated from quiet standing, as designed."""


@dataclass
class SensorCalibration:
    """What calibration learned about one sensor.

    ``rotation_segment_sensor`` maps sensor-frame vectors to the segment frame;
    ``gyro_bias_track_dps`` (n, 3) is the bias through the recording, subtracted from
    the gyroscope before anything else, and ``gyro_bias_dps`` its value at calibration;
    ``up_sensor`` is gravity's "up" in the sensor frame during calibration standing;
    ``axis_found`` is False when there was too little movement to find the left axis
    (it is then a guess, and the angles should not be trusted). ``method`` says where up,
    bias and zero came from: ``quiet-standing``, or a fallback (``pipeline.fallback``).
    ``gyroscope`` is False for a sensor without one (``pipeline.accelerometer_only``).
    ``posture_start_index``: the sample from which the recording is in the calibration posture
    for good (``posture_start``); 0 unless it started in another posture.
    """

    rotation_segment_sensor: np.ndarray
    gyro_bias_dps: np.ndarray
    up_sensor: np.ndarray
    axis_found: bool = True
    gyro_bias_track_dps: np.ndarray | None = None
    method: str = QUIET_STANDING
    gyroscope: bool = True
    posture_start_index: int = 0

    def as_dict(self) -> dict:
        """JSON-friendly summary (rounded)."""
        return {
            "gyro_bias_dps": [round(float(v), 3) for v in self.gyro_bias_dps],
            "up_in_sensor_frame": [round(float(v), 4) for v in self.up_sensor],
            "rotation_segment_sensor": [
                [round(float(v), 4) for v in row] for row in self.rotation_segment_sensor
            ],
            "left_axis_found_from_movement": self.axis_found,
            "method": self.method,
            "gyroscope": self.gyroscope,
        }


def moving_mean(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving mean over ``width`` samples along axis 0 (edges use what exists)."""
    x = np.asarray(x, dtype=np.float64)
    width = max(1, int(width))
    pad_lo, pad_hi = width // 2, width - 1 - width // 2
    sums = np.cumsum(np.concatenate([np.zeros((1,) + x.shape[1:]), x]), axis=0)
    index = np.arange(len(x))
    hi = np.minimum(index + pad_hi + 1, len(x))
    lo = np.maximum(index - pad_lo, 0)
    count = (hi - lo).reshape((-1,) + (1,) * (x.ndim - 1))
    return (sums[hi] - sums[lo]) / count


def quiet_mask(stream: UniformStream, settings: CalibrationSettings) -> np.ndarray:
    """True where the sensor is still and reads about 1 g (bias-independent test)."""
    width = int(round(settings.window_s * stream.rate_hz))
    gyr_spread_dps, acc_spread_g, acc_level_g = stillness_measures(stream, width)
    return (
        (gyr_spread_dps < settings.quiet_gyro_std_dps)
        & (acc_spread_g < settings.quiet_acc_std_g)
        & (np.abs(acc_level_g - 1.0) < settings.quiet_acc_tolerance_g)
        & stream.valid
    )


def stillness_measures(stream: UniformStream, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per sample, over a centred window of ``width`` samples: the gyroscope's spread
    (deg/s, norm of the per-axis standard deviations), the accelerometer's spread (g)
    and its mean magnitude (g). Spreads, not levels, because the bias is not known yet."""
    gyr, acc = stream.gyr_dps, stream.acc_g
    gyr_spread = np.sqrt(np.clip(moving_mean(gyr**2, width) - moving_mean(gyr, width) ** 2, 0, None))
    acc_spread = np.sqrt(np.clip(moving_mean(acc**2, width) - moving_mean(acc, width) ** 2, 0, None))
    acc_level = moving_mean(np.linalg.norm(acc, axis=1), width)
    return np.linalg.norm(gyr_spread, axis=1), np.linalg.norm(acc_spread, axis=1), acc_level


def runs_of(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs in ``mask`` (stop exclusive)."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def standing_window(
    quiet: np.ndarray, rate_hz: float, settings: CalibrationSettings, acc_g: np.ndarray | None = None
) -> tuple[int, int]:
    """Index range of the calibration: the first quiet stretch long enough (``min_quiet_s``)
    in the posture the recording is mostly still in.

    ``quiet`` should already combine every sensor (all still at the same time). A
    recording may start in another posture than its drill's: a plan session's next file
    begins while the person still lies after the bridges, or someone starts standing and
    then lies down for bridges. Given ``acc_g`` (the pelvis accelerometer, sensor frame,
    on the same clock), the long enough stretches are grouped by posture
    (``posture_groups``) and the first of the group with the most quiet time is used;
    without it, or when the first stretch's posture has the most, the first stretch.
    """
    needed = int(round(settings.min_quiet_s * rate_hz))
    runs = [(start, stop) for start, stop in runs_of(quiet) if stop - start >= needed]
    if not runs:
        raise AnalysisError(
            f"no quiet standing of at least {settings.min_quiet_s:g} s was found to calibrate "
            "from; start the recording standing still for a few seconds"
        )
    start, stop = runs[0]
    if acc_g is not None and len(runs) > 1:
        groups = posture_groups(runs, acc_g, settings.posture_group_deg)
        weights = np.zeros(max(groups) + 1)
        for (a, b), group in zip(runs, groups):
            weights[group] += b - a
        start, stop = runs[groups.index(int(np.argmax(weights)))]
    return start, min(stop, start + int(round(settings.max_quiet_used_s * rate_hz)))


def posture_groups(runs: list[tuple[int, int]], acc_g: np.ndarray, max_angle_deg: float) -> list[int]:
    """A group number for each still stretch (start, stop), in time order: stretches whose
    mean accelerometer direction is within ``max_angle_deg`` of a group's (its stretches'
    mean, weighted by duration) join it, the others start a new one. Still, the
    accelerometer reads gravity, so a group is one posture of the body, whatever the clip."""
    centres: list[np.ndarray] = []
    groups = []
    cos_max = np.cos(np.radians(max_angle_deg))
    for a, b in runs:
        direction = np.mean(acc_g[a:b], axis=0)
        direction = direction / max(float(np.linalg.norm(direction)), 1e-9)
        near = [float(np.dot(direction, c / np.linalg.norm(c))) for c in centres]
        if near and max(near) >= cos_max:
            group = int(np.argmax(near))
            centres[group] = centres[group] + direction * (b - a)
        else:
            group = len(centres)
            centres.append(direction * (b - a))
        groups.append(group)
    return groups


def calibrate_sensor(
    stream: UniformStream,
    window: tuple[int, int],
    quiet: np.ndarray,
    settings: CalibrationSettings,
) -> SensorCalibration:
    """Calibrate one sensor from its standing ``window``, still samples and movement.

    The movement is taken from ``posture_start`` on: a recording that started in another
    posture (lying before the person got up) would otherwise have its largest excursion
    there, and the reps would be read the wrong way.
    """
    start, stop = window
    bias_track = gyro_bias_track_dps(stream, quiet, window, settings)
    up = np.mean(stream.acc_g[start:stop], axis=0)
    up = up / np.linalg.norm(up)
    settled = posture_start(stream, window, quiet, settings)
    moves = slice(settled, None)
    left, found = mediolateral_axis(
        (stream.gyr_dps - bias_track)[moves], up, stream.valid[moves], stream.rate_hz, settings
    )
    rotation = segment_from_sensor(up, left)
    if found and forward_sign(stream.acc_g[moves], rotation, stream.rate_hz, settings) < 0:
        rotation = segment_from_sensor(up, -left)
    bias_dps = np.mean(bias_track[start:stop], axis=0)
    return SensorCalibration(rotation, bias_dps, up, found, bias_track, posture_start_index=settled)


def posture_start(
    stream: UniformStream, window: tuple[int, int], quiet: np.ndarray, settings: CalibrationSettings
) -> int:
    """Where the recording is in its calibration posture for good: the window's start if a
    still stretch before it (``min_quiet_s`` at least) was in another posture (gravity
    further than ``posture_group_deg`` from the window's), else 0. What comes before is
    another drill's posture and getting out of it, not the drill's movement."""
    start, stop = window
    up = np.mean(stream.acc_g[start:stop], axis=0)
    up = up / max(float(np.linalg.norm(up)), 1e-9)
    needed = int(round(settings.min_quiet_s * stream.rate_hz))
    cos_max = np.cos(np.radians(settings.posture_group_deg))
    for a, b in runs_of(quiet[:start]):
        if b - a >= needed:
            direction = np.mean(stream.acc_g[a:b], axis=0)
            if float(np.dot(direction, up)) < cos_max * float(np.linalg.norm(direction)):
                return start
    return 0


def gyro_bias_track_dps(
    stream: UniformStream, quiet: np.ndarray, window: tuple[int, int], settings: CalibrationSettings
) -> np.ndarray:
    """(n, 3) gyroscope bias (deg/s) through the recording, from every still stretch.

    A still stretch's mean rate is the bias plus whatever the body turned meanwhile
    (sway and breathing turn it by a fraction of a degree). The tilting part of that
    turn is seen by the accelerometer, whose direction at the stretch's two ends gives
    it, so it is removed. Stretches are then pooled by a weighted moving average (weight:
    duration, fading over ``bias_time_constant_s``) so the bias can follow a slow drift.
    """
    rate_hz = stream.rate_hz
    edge = max(1, int(round(settings.bias_edge_s * rate_hz)))
    needed = max(int(round(settings.bias_min_still_s * rate_hz)), 3 * edge)
    centres, weights, estimates = [], [], []
    for a, b in runs_of(quiet):
        if b - a < needed:
            continue
        u0 = np.mean(stream.acc_g[a : a + edge], axis=0)
        u1 = np.mean(stream.acc_g[b - edge : b], axis=0)
        u0, u1 = u0 / np.linalg.norm(u0), u1 / np.linalg.norm(u1)
        span_s = (b - a - edge) / rate_hz
        turned_dps = np.degrees(np.cross((u1 - u0) / span_s, 0.5 * (u0 + u1)))
        estimates.append(np.mean(stream.gyr_dps[a:b], axis=0) - turned_dps)
        centres.append(0.5 * (a + b) / rate_hz)
        weights.append((b - a) / rate_hz)
    if not estimates:
        start, stop = window
        return np.tile(np.mean(stream.gyr_dps[start:stop], axis=0), (len(stream), 1))
    centres_s, weights_s, values = np.array(centres), np.array(weights), np.array(estimates)
    grid_s = np.arange(0.0, len(stream) / rate_hz + 1.0, 1.0)
    fade = np.exp(-np.abs(grid_s[:, None] - centres_s[None, :]) / settings.bias_time_constant_s)
    w = fade * weights_s[None, :] + 1e-12
    on_grid = (w @ values) / w.sum(axis=1, keepdims=True)
    time_s = np.arange(len(stream)) / rate_hz
    return np.column_stack([np.interp(time_s, grid_s, on_grid[:, k]) for k in range(3)])


def mediolateral_axis(
    gyr_dps: np.ndarray,
    up_sensor: np.ndarray,
    valid: np.ndarray,
    rate_hz: float,
    settings: CalibrationSettings,
) -> tuple[np.ndarray, bool]:
    """The dominant rotation axis perpendicular to ``up_sensor`` (sign not yet chosen).

    Uses bias-corrected rates above the motion threshold, with the vertical component
    (turning, walking's yaw) removed; faster samples weigh more so that the hinge
    dominates walking's smaller rolls. Returns (axis, found); without enough movement,
    the sensor axis most nearly horizontal stands in and found is False.
    """
    level = gyr_dps - np.outer(gyr_dps @ up_sensor, up_sensor)
    speed = np.linalg.norm(level, axis=1)
    moving = (speed > settings.motion_rate_dps) & valid
    if moving.sum() < settings.min_motion_s * rate_hz:
        axis = np.eye(3)[int(np.argmin(np.abs(up_sensor)))]
        return axis - np.dot(axis, up_sensor) * up_sensor, False
    sample = level[moving]
    weighted = sample * speed[moving, None]
    _, vectors = np.linalg.eigh(weighted.T @ weighted)
    return vectors[:, -1], True


def forward_sign(
    acc_g: np.ndarray, rotation_segment_sensor: np.ndarray, rate_hz: float, settings: CalibrationSettings
) -> float:
    """+1 if tilts under ``rotation_segment_sensor`` go mostly forward, else −1.

    Judged from the slowly varying accelerometer direction (body accelerations average
    out): the largest forward excursion should exceed the largest backward one.
    """
    width = int(round(rate_hz / settings.sign_lowpass_hz))
    up_segment = to_segment(rotation_segment_sensor, moving_mean(acc_g, width))
    tilt_deg = sagittal_from_up_deg(up_segment)
    forward = np.percentile(tilt_deg, 99.5)
    backward = -np.percentile(tilt_deg, 0.5)
    return 1.0 if forward >= backward else -1.0
