"""Step 2 without quiet standing: a calibration that says loudly what it could not do.

Quiet standing gives three things: "up" (gravity's direction while still), the gyroscope
bias (the mean rate while nothing turns) and the zero of every angle (the standing
posture). Some recordings never hold still: an export that starts mid-set, a sensor
worn where it never rests. Rather than refuse them, the analysis falls back, in order:

1. ``fallback-stillest-window``: the stillest ``min_quiet_s`` of the recording, if it is
   still by limits ``looser_by`` times the quiet-standing ones (a posture held with some
   sway). Up, bias and zero come from it as from quiet standing.
2. ``fallback-mean-gravity``: up is the mean accelerometer direction over the whole
   recording (the body's own accelerations average out over many movements); the bias is
   the trend of the integrated rate (a set keeps returning to the same postures); the
   zero of the sagittal angle is its ``upright_percentile`` (people hinge forward far and
   lean back little, so the most upright posture they return to is near the bottom of
   the distribution).

Either way the angles carry an offset nobody measured, so the analysis records the method
and a warning. Noise is not movement: without quiet standing, a recording is still refused
unless most of its gyroscope variation is slow (``movement_share``), because body
movement lies below about 2 Hz while sensor noise spreads up to the Nyquist rate, and
integrated noise would otherwise drift into made-up reps.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import AnalysisError
from ..recording.columns import PELVIS
from .axes import segment_from_sensor
from .calibration import (
    QUIET_STANDING,
    SensorCalibration,
    mediolateral_axis,
    moving_mean,
    runs_of,
    stillness_measures,
)
from .resample import UniformStream
from .settings import CalibrationSettings, FallbackSettings

FALLBACK_STILLEST_WINDOW = "fallback-stillest-window"
FALLBACK_MEAN_GRAVITY = "fallback-mean-gravity"
CALIBRATION_METHODS = (QUIET_STANDING, FALLBACK_STILLEST_WINDOW, FALLBACK_MEAN_GRAVITY)
"""Values of ``calibration.method`` in the analysis JSON."""

FALLBACK_WARNINGS = {
    FALLBACK_STILLEST_WINDOW: (
        "the recording never stood still for {min_quiet_s:g} s, so it was calibrated on its "
        "stillest {min_quiet_s:g} s (from {start_s:.1f} s), which was not quite still: every "
        "angle carries an unknown offset of a few degrees"
    ),
    FALLBACK_MEAN_GRAVITY: (
        "the recording never stood still, so upright was guessed from the average direction "
        "of gravity and angles are measured from the most upright posture reached, not from "
        "standing: every angle carries an unknown offset, so read the verdicts with care"
    ),
}
"""One plain sentence per fallback, printed and stored with the analysis."""


def fallback_calibration_window(
    streams: dict[str, UniformStream],
    calibration: CalibrationSettings,
    settings: FallbackSettings,
    gyroscopes: dict[str, bool] | None = None,
) -> tuple[tuple[int, int], str]:
    """The window and method to calibrate from when no quiet standing was found.

    ``streams`` are every sensor used, on one clock; ``gyroscopes`` says which have one
    (default: all). Raises ``AnalysisError`` when the recording has no clear body movement
    either (see the module docstring: the pelvis sensor, and any other sensor that moves,
    must move mostly slowly), and when fallbacks are turned off (``settings.enabled``).
    """
    needed_s = calibration.min_quiet_s
    no_quiet = (
        f"no quiet standing of at least {needed_s:g} s was found to calibrate from; "
        "start the recording standing still for a few seconds"
    )
    if not settings.enabled:
        raise AnalysisError(no_quiet)
    for label, stream in streams.items():
        gyroscope = (gyroscopes or {}).get(label, True)
        if label != PELVIS and gyroscope and _still(stream, calibration):
            continue  # a still upper-back sensor is no sign of noise; the pelvis decides
        share = movement_share(stream, settings, gyroscope=gyroscope)
        if share < settings.min_movement_share:
            raise AnalysisError(
                f"{no_quiet} (and the {label} sensor's signal looks like noise rather than "
                "body movement, so no fallback calibration was tried)"
            )
    rate_hz = next(iter(streams.values())).rate_hz
    window = stillest_window(list(streams.values()), calibration, settings)
    if window is not None:
        return window, FALLBACK_STILLEST_WINDOW
    valid = np.logical_and.reduce([stream.valid for stream in streams.values()])
    if valid.sum() < needed_s * rate_hz:
        raise AnalysisError(no_quiet)
    return (0, len(valid)), FALLBACK_MEAN_GRAVITY


def fallback_warning(method: str, window: tuple[int, int], rate_hz: float,
                     calibration: CalibrationSettings) -> str:
    """The warning sentence for ``method`` (a fallback), with its numbers filled in."""
    return FALLBACK_WARNINGS[method].format(min_quiet_s=calibration.min_quiet_s, start_s=window[0] / rate_hz)


def movement_share(stream: UniformStream, settings: FallbackSettings, gyroscope: bool = True) -> float:
    """Share (0–1) of the gyroscope's variance, about its mean, that is slow movement.

    Slow is what a ``movement_window_s`` moving mean keeps: nearly all of a hinge or a
    swing, about a tenth of white noise. Only valid samples count; with fewer than two,
    the share is 0. ``gyroscope=False``: the accelerometer's variance instead.
    """
    gyr = (stream.gyr_dps if gyroscope else stream.acc_g)[stream.valid]
    if len(gyr) < 2:
        return 0.0
    centred = gyr - np.mean(gyr, axis=0)
    total = float(np.sum(centred**2))
    if total <= 0.0:
        return 0.0
    width = max(1, int(round(settings.movement_window_s * stream.rate_hz)))
    slow = moving_mean(centred, width)
    return float(np.sum(slow**2) / total)


def stillest_window(
    streams: list[UniformStream], calibration: CalibrationSettings, settings: FallbackSettings
) -> tuple[int, int] | None:
    """The stillest ``min_quiet_s`` (index range) in which every sensor passes the quiet
    test loosened ``looser_by`` times, or None when no such window exists.

    Stillness is the gyroscope and accelerometer spreads, each as a multiple of its
    quiet-standing limit, averaged over the window and summed over sensors.
    """
    loose = _loosened(calibration, settings.looser_by)
    needed = int(round(calibration.min_quiet_s * streams[0].rate_hz))
    width = int(round(calibration.window_s * streams[0].rate_hz))
    passes = np.ones(len(streams[0]), dtype=bool)
    spread = np.zeros(len(streams[0]))
    for stream in streams:
        gyr_spread_dps, acc_spread_g, acc_level_g = stillness_measures(stream, width)
        passes &= (
            (gyr_spread_dps < loose.quiet_gyro_std_dps)
            & (acc_spread_g < loose.quiet_acc_std_g)
            & (np.abs(acc_level_g - 1.0) < loose.quiet_acc_tolerance_g)
            & stream.valid
        )
        spread += gyr_spread_dps / calibration.quiet_gyro_std_dps + acc_spread_g / calibration.quiet_acc_std_g
    if len(passes) < needed or needed < 1:
        return None
    failing = np.concatenate([[0], np.cumsum(~passes)])
    summed = np.concatenate([[0.0], np.cumsum(spread)])
    starts = np.arange(len(passes) - needed + 1)
    whole = failing[starts + needed] == failing[starts]
    if not whole.any():
        return None
    mean_spread = (summed[starts + needed] - summed[starts]) / needed
    best = int(starts[whole][np.argmin(mean_spread[whole])])
    return best, best + needed


def calibrate_from_mean_gravity(
    stream: UniformStream, calibration: CalibrationSettings, settings: FallbackSettings
) -> SensorCalibration:
    """Calibrate one sensor with no still window at all (``fallback-mean-gravity``).

    Up from the mean accelerometer direction, a constant bias from ``mean_gravity_bias_dps``,
    the left axis from the movement exactly as with quiet standing. Its sign (which way
    is forward) is left for ``forward_sign_from_dwell`` to judge on the orientation.
    """
    up = mean_gravity_up(stream)
    bias_dps = mean_gravity_bias_dps(stream)
    bias_track = np.tile(bias_dps, (len(stream), 1))
    left, found = mediolateral_axis(stream.gyr_dps - bias_track, up, stream.valid, stream.rate_hz, calibration)
    rotation = segment_from_sensor(up, left)
    return SensorCalibration(rotation, bias_dps, up, found, bias_track, FALLBACK_MEAN_GRAVITY)


def forward_sign_from_dwell(sagittal_deg: np.ndarray, valid: np.ndarray, settings: FallbackSettings) -> float:
    """+1 if the sagittal angle's forward side is the right one, −1 if it is reversed.

    With up taken from the mean posture, "forward goes further than backward" cannot
    tell the way (the mean lies between upright and the bottom). What still tells it is
    where the segment lingers: between reps and at the float of a swing it stays near
    upright, while the bottom of a rep is passed through. So the extreme (2nd or 98th
    percentile) near which more samples lie, within ``dwell_share`` of the range, is
    upright. On the true pelvic tilt of training sessions (single sets, swings and
    deadlifts) the upright side held 1.5 times or more the samples of the other. Each
    stretch between long gaps has its own offset, so each is centred on its median first.
    """
    sagittal_deg = np.asarray(sagittal_deg, dtype=np.float64)
    stretches = [sagittal_deg[a:b] - np.median(sagittal_deg[a:b]) for a, b in runs_of(valid)]
    x = np.concatenate(stretches) if stretches else np.empty(0)
    if len(x) < 2:
        return 1.0
    low, high = np.percentile(x, [2.0, 98.0])
    margin = settings.dwell_share * (high - low)
    near_low = int(np.sum(x < low + margin))
    near_high = int(np.sum(x > high - margin))
    return 1.0 if near_low >= near_high else -1.0


def forward_sign_like(sagittal_deg: np.ndarray, reference_deg: np.ndarray, valid: np.ndarray) -> float:
    """+1 if ``sagittal_deg`` rises and falls with ``reference_deg``, −1 if against it.

    With two sensors the trunk leans forward whenever the pelvis hinges, so the thorax's
    forward is the side on which it moves with the pelvis (correlation over ``valid``
    samples, each stretch between long gaps centred on its own median).
    """
    total = 0.0
    for a, b in runs_of(valid):
        x = sagittal_deg[a:b] - np.median(sagittal_deg[a:b])
        y = reference_deg[a:b] - np.median(reference_deg[a:b])
        total += float(x @ y)
    return 1.0 if total >= 0.0 else -1.0


def flipped_forward(calibration: SensorCalibration) -> SensorCalibration:
    """``calibration`` with anterior and left reversed (a half turn about up)."""
    rotation = segment_from_sensor(calibration.up_sensor, -calibration.rotation_segment_sensor[1])
    return replace(calibration, rotation_segment_sensor=rotation)


def mean_gravity_up(stream: UniformStream) -> np.ndarray:
    """Unit "up" in the sensor frame: the mean accelerometer direction over valid samples."""
    if not np.any(stream.valid):
        raise AnalysisError("the recording never stood still, and it has no samples to calibrate from")
    mean = np.mean(stream.acc_g[stream.valid], axis=0)
    norm = float(np.linalg.norm(mean))
    if not np.isfinite(norm) or norm < 0.5:
        raise AnalysisError(
            "the recording never stood still and its mean acceleration is not gravity "
            f"({norm:.2f} g), so there is nothing to calibrate from"
        )
    return mean / norm


def mean_gravity_bias_dps(stream: UniformStream) -> np.ndarray:
    """Gyroscope bias (deg/s, sensor frame) from a recording that never stood still.

    The rate integrated over time is the angle turned plus the bias times the time. A
    set of reps keeps returning to the same postures, so the angle turned has no trend
    and the bias is the slope of a straight line fitted to the integral. (The mean rate,
    which is that line through the two ends only, is off by the difference between the
    first and the last posture divided by the duration: several degrees per second when
    one end is at the bottom of a rep.) Across a long data gap the angle turned is
    unknown, so each stretch between gaps has its own offset and they share the slope.
    """
    valid = np.asarray(stream.valid, dtype=bool)
    integral_deg = np.cumsum(np.where(valid[:, None], stream.gyr_dps, 0.0), axis=0) / stream.rate_hz
    time_s = np.arange(len(valid)) / stream.rate_hz
    covariance, spread = np.zeros(3), 0.0
    for start, stop in runs_of(valid):
        t = time_s[start:stop] - np.mean(time_s[start:stop])
        covariance += t @ (integral_deg[start:stop] - np.mean(integral_deg[start:stop], axis=0))
        spread += float(t @ t)
    return covariance / spread if spread > 0.0 else np.zeros(3)


def _still(stream: UniformStream, calibration: CalibrationSettings) -> bool:
    """True when the gyroscope's spread over the whole recording is within the quiet
    limit: the sensor did not move (nor is it noisy)."""
    gyr = stream.gyr_dps[stream.valid]
    return len(gyr) < 2 or float(np.linalg.norm(np.std(gyr, axis=0))) < calibration.quiet_gyro_std_dps


def _loosened(settings: CalibrationSettings, factor: float) -> CalibrationSettings:
    return replace(
        settings,
        quiet_gyro_std_dps=settings.quiet_gyro_std_dps * factor,
        quiet_acc_std_g=settings.quiet_acc_std_g * factor,
        quiet_acc_tolerance_g=settings.quiet_acc_tolerance_g * factor,
    )
