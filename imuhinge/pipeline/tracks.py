"""Steps 1–4 for one sensor: from raw samples to calibrated, filtered segment angles.

A ``SegmentTrack`` holds everything later steps need about one body segment: its
resampled stream, its calibration, its orientation and its angles, all on the analysis
clock. ``analyse_recording`` builds one per sensor. Three ways lead there: quiet standing
and the gyroscope (as designed); no still window at all (``pipeline.fallback``); and no
gyroscope (``pipeline.accelerometer_only``), where the tilt comes from gravity alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .accelerometer_only import gravity_direction, mediolateral_axis_from_gravity, tilt_deg, tilt_quaternions
from .angles import SegmentAngles, bridge_invalid, segment_angles
from .axes import quaternions_to_matrices, sagittal_frontal_heading_deg, segment_from_sensor, to_segment
from .calibration import QUIET_STANDING, SensorCalibration, calibrate_sensor, forward_sign, posture_start, runs_of
from .fallback import (
    FALLBACK_MEAN_GRAVITY,
    calibrate_from_mean_gravity,
    flipped_forward,
    forward_sign_from_dwell,
    forward_sign_like,
    mean_gravity_up,
)
from .orientation import estimate_orientation
from .reps import RepSpan
from .resample import UniformStream
from .settings import PipelineSettings


@dataclass
class SegmentTrack:
    """One segment through steps 1–4 (arrays share the analysis clock)."""

    stream: UniformStream
    calibration: SensorCalibration
    quaternions_wxyz: np.ndarray
    angles: SegmentAngles

    def world_acceleration_g(self, span: RepSpan) -> np.ndarray:
        """(m, 3) acceleration of the sensor in the world frame (g), gravity removed,
        over a rep (start to end inclusive)."""
        within = slice(span.start_index, span.end_index + 1)
        acc_segment = to_segment(self.calibration.rotation_segment_sensor, self.stream.acc_g[within])
        rotation = quaternions_to_matrices(self.quaternions_wxyz[within])
        world = np.einsum("nij,nj->ni", rotation, acc_segment)
        world[:, 2] -= 1.0
        return world

    def forward_world(self, span: RepSpan) -> np.ndarray:
        """(m, 2) unit horizontal direction the segment faces (world x, y) over a rep."""
        rotation = quaternions_to_matrices(self.quaternions_wxyz[span.start_index : span.end_index + 1])
        forward = rotation[:, :2, 0]
        return forward / np.maximum(np.linalg.norm(forward, axis=1, keepdims=True), 1e-9)


def track_segment(
    stream: UniformStream,
    window: tuple[int, int],
    quiet: np.ndarray,
    settings: PipelineSettings,
    bridge_gaps: bool = False,
    method: str = QUIET_STANDING,
    forward_like_deg: np.ndarray | None = None,
    gyroscope: bool = True,
) -> SegmentTrack:
    """Calibrate ``stream``, estimate its orientation and its angles.

    ``bridge_gaps``: straighten the angles inside long gaps before filtering (see
    ``FilterSettings.bridge_gaps``; the caller decides, as it depends on the mode).
    ``method``: how ``window`` was found (``pipeline.fallback``). Without any still
    window, calibration and the angles' zero come from the whole recording, and which
    way is forward is judged on the orientation itself: by ``forward_sign_from_dwell``,
    or, given ``forward_like_deg`` (another segment's sagittal angle on the same clock,
    such as the pelvis's for the thorax), so that the two tilt forward together.
    ``gyroscope=False``: the sensor has none; see ``_track_accelerometer_only``.
    """
    if not gyroscope:
        return _track_accelerometer_only(stream, window, method, settings, bridge_gaps, forward_like_deg, quiet)
    if method == FALLBACK_MEAN_GRAVITY:
        return _track_without_standing(stream, settings, bridge_gaps, forward_like_deg)
    calibration = calibrate_sensor(stream, window, quiet, settings.calibration)
    calibration.method = method
    quaternions = _orientation(stream, calibration, quiet, settings)
    angles = segment_angles(quaternions, stream.rate_hz, window, settings.filter,
                            valid=stream.valid if bridge_gaps else None)
    return SegmentTrack(stream, calibration, quaternions, angles)


def _orientation(
    stream: UniformStream, calibration: SensorCalibration, quiet: np.ndarray, settings: PipelineSettings
) -> np.ndarray:
    """Step 3 for one calibrated sensor: (n, 4) quaternions ``R_world_segment``."""
    rotation = calibration.rotation_segment_sensor
    gyr_segment = to_segment(rotation, stream.gyr_dps - calibration.gyro_bias_track_dps)
    acc_segment = to_segment(rotation, stream.acc_g)
    return estimate_orientation(
        gyr_segment,
        acc_segment,
        stream.rate_hz,
        settings.fusion,
        still=quiet,
        valid=stream.valid,
        bridge_error_deg=stream.bridge_error_deg,
    )


def _track_without_standing(
    stream: UniformStream, settings: PipelineSettings, bridge_gaps: bool, forward_like_deg: np.ndarray | None
) -> SegmentTrack:
    """Steps 2–4 with no still window at all (``fallback-mean-gravity``).

    The orientation is the gyroscope's alone, integrated forwards from the mean posture:
    the accelerometer could re-level it only at the brief turning points of the
    movement, from an upright that is itself a guess, and each re-levelling would shift
    the angles mid-set; a constant offset, in contrast, is removed by zeroing on the most
    upright posture. Across a long gap the turn is unknown, so each stretch between gaps
    starts again from the mean posture, and its sagittal angle is shifted to agree on
    average with the tilt of the low-passed accelerometer over the stretch (the body's own
    accelerations average out over reps) before the whole is zeroed.
    """
    fallback = settings.fallback
    calibration = calibrate_from_mean_gravity(stream, settings.calibration, fallback)
    gyro_only = replace(settings.fusion, smooth=False)
    stretches = runs_of(stream.valid)
    restart = np.zeros(len(stream), dtype=bool)
    restart[[start for start, _ in stretches]] = True

    def orientation(calibration: SensorCalibration) -> np.ndarray:
        gyr_dps = stream.gyr_dps - calibration.gyro_bias_track_dps
        gyr_segment = to_segment(calibration.rotation_segment_sensor, gyr_dps)
        return estimate_orientation(gyr_segment, np.zeros_like(gyr_segment), stream.rate_hz, gyro_only,
                                    still=restart, valid=stream.valid)

    quaternions = orientation(calibration)
    sagittal_deg = sagittal_frontal_heading_deg(quaternions_to_matrices(quaternions))[0]
    if calibration.axis_found and _fallback_forward_sign(sagittal_deg, stream, fallback, forward_like_deg) < 0:
        calibration = flipped_forward(calibration)
        quaternions = orientation(calibration)
        sagittal_deg = sagittal_frontal_heading_deg(quaternions_to_matrices(quaternions))[0]
    gravity_deg = tilt_deg(to_segment(
        calibration.rotation_segment_sensor,
        gravity_direction(stream.acc_g, stream.rate_hz, settings.accelerometer_only),
    ))[0]
    offset_deg = np.zeros(len(stream))
    for start, stop in stretches:
        offset_deg[start:stop] = np.mean(gravity_deg[start:stop] - sagittal_deg[start:stop])
    offset_deg = bridge_invalid(offset_deg, stream.valid)
    angles = segment_angles(
        quaternions, stream.rate_hz, (0, len(stream)), settings.filter,
        valid=stream.valid if bridge_gaps else None,
        zero_sagittal_percentile=fallback.upright_percentile,
        sagittal_offset_deg=offset_deg,
    )
    return SegmentTrack(stream, calibration, quaternions, angles)


def _track_accelerometer_only(
    stream: UniformStream,
    window: tuple[int, int],
    method: str,
    settings: PipelineSettings,
    bridge_gaps: bool,
    forward_like_deg: np.ndarray | None,
    quiet: np.ndarray | None = None,
) -> SegmentTrack:
    """Steps 2–4 for a sensor without a gyroscope: tilt from gravity's direction alone.

    Up is the mean accelerometer direction of calibration standing (or, without any,
    of the whole recording), the left axis is found from the plane gravity moves in,
    and the orientation is the tilt of the low-passed accelerometer, heading unknown
    (NaN in the angles, so no rotation is reported). Zero gyroscope bias is recorded.
    """
    without_standing = method == FALLBACK_MEAN_GRAVITY
    gravity = gravity_direction(stream.acc_g, stream.rate_hz, settings.accelerometer_only)
    if without_standing:
        up = mean_gravity_up(stream)
        window = (0, len(stream))
    else:
        up = np.mean(stream.acc_g[window[0] : window[1]], axis=0)
        up = up / np.linalg.norm(up)
    settled = 0 if without_standing or quiet is None else posture_start(stream, window, quiet, settings.calibration)
    moves = slice(settled, None)
    left, found = mediolateral_axis_from_gravity(
        gravity[moves], up, stream.valid[moves], stream.rate_hz, settings.accelerometer_only
    )
    rotation = segment_from_sensor(up, left)
    if found:
        if without_standing:
            sagittal_deg = tilt_deg(to_segment(rotation, gravity))[0]
            sign = _fallback_forward_sign(sagittal_deg, stream, settings.fallback, forward_like_deg)
        else:
            sign = forward_sign(stream.acc_g[moves], rotation, stream.rate_hz, settings.calibration)
        if sign < 0:
            rotation = segment_from_sensor(up, -left)
    no_bias = np.zeros((len(stream), 3))
    calibration = SensorCalibration(rotation, np.zeros(3), up, found, no_bias, method, gyroscope=False,
                                    posture_start_index=settled)
    quaternions = tilt_quaternions(to_segment(rotation, gravity))
    angles = segment_angles(
        quaternions, stream.rate_hz, window, settings.filter,
        valid=stream.valid if bridge_gaps else None,
        zero_sagittal_percentile=settings.fallback.upright_percentile if without_standing else None,
    )
    angles = replace(angles, heading_deg=np.full(len(stream), np.nan))
    return SegmentTrack(stream, calibration, quaternions, angles)


def _fallback_forward_sign(
    sagittal_deg: np.ndarray, stream: UniformStream, fallback, forward_like_deg: np.ndarray | None
) -> float:
    """Which way is forward without standing: like ``forward_like_deg`` if given, else by dwell."""
    if forward_like_deg is not None:
        return forward_sign_like(sagittal_deg, forward_like_deg, stream.valid)
    return forward_sign_from_dwell(sagittal_deg, stream.valid, fallback)


def retrack_with_rotation(
    track: SegmentTrack,
    rotation_segment_sensor: np.ndarray,
    window: tuple[int, int],
    quiet: np.ndarray,
    settings: PipelineSettings,
    bridge_gaps: bool,
) -> SegmentTrack:
    """``track`` again from step 3 with other segment axes (same stream, bias and up).

    Used when the left axis is re-estimated after the reps are known
    (``pipeline.exercise.refine_left_axes``); quiet-standing calibration with a gyroscope only.
    """
    calibration = replace(track.calibration, rotation_segment_sensor=rotation_segment_sensor)
    quaternions = _orientation(track.stream, calibration, quiet, settings)
    angles = segment_angles(quaternions, track.stream.rate_hz, window, settings.filter,
                            valid=track.stream.valid if bridge_gaps else None)
    return SegmentTrack(track.stream, calibration, quaternions, angles)
