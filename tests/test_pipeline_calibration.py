"""Step 2: calibration finds how the sensor is clipped, among all 24 orientations plus a
tilt, from quiet standing and the hinge movement alone."""

import numpy as np
import pytest

from imuhinge.errors import AnalysisError
from imuhinge.pipeline.analyse import analyse_recording
from imuhinge.pipeline.axes import axis_aligned_rotations, rotation_matrix
from imuhinge.pipeline.calibration import calibrate_sensor, quiet_mask, standing_window
from imuhinge.pipeline.resample import analysis_clock, resample_stream
from imuhinge.pipeline.settings import CalibrationSettings
from synthetic_imu import hinge_profile_deg, make_recording, world_from_segment

RATE_HZ = 50.0


def _session(clip: np.ndarray, seed: int = 0, standing_s: float = 6.0):
    """Standing, then four forward hinges with side sway and a slow turn between them."""
    t = np.arange(0, 32, 1 / RATE_HZ)
    reps = [(standing_s + 6 * k, 1.4, 1.2, 45.0) for k in range(4)]
    sagittal = hinge_profile_deg(t, reps)
    moving = t > standing_s
    frontal = np.where(moving, 1.0 * np.sin(2 * np.pi * 0.9 * t), 0.0)
    heading = np.where(moving, 20.0 * np.sin(2 * np.pi * 0.05 * (t - standing_s)), 0.0)
    rotation = world_from_segment(sagittal, frontal, heading)
    return make_recording(t, {"pelvis": (rotation, clip)}, seed=seed)


def _calibrate(recording):
    settings = CalibrationSettings()
    raw = recording.streams["pelvis"]
    clock = analysis_clock(raw.time_s[0], raw.time_s[-1], RATE_HZ)
    stream = resample_stream(raw, clock, RATE_HZ, 0.25)
    quiet = quiet_mask(stream, settings)
    window = standing_window(quiet, RATE_HZ, settings)
    return calibrate_sensor(stream, window, quiet, settings), window


def _angle_between_deg(a: np.ndarray, b: np.ndarray) -> float:
    cosine = (np.trace(a @ b.T) - 1.0) / 2.0
    return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))


@pytest.mark.parametrize("index", range(24))
def test_every_clip_orientation_with_a_tilt_is_recovered(index):
    clip = axis_aligned_rotations()[index] @ rotation_matrix("x", 4.0) @ rotation_matrix("y", -3.0)
    calibration, window = _calibrate(_session(clip, seed=index))
    assert _angle_between_deg(calibration.rotation_segment_sensor, clip) < 1.0
    assert calibration.axis_found
    assert window[0] < 0.5 * RATE_HZ


def test_gyro_bias_is_estimated_from_still_moments():
    recording = _session(np.eye(3), seed=5)
    true_bias = recording.streams["pelvis"].gyr_dps[:200].mean(axis=0)
    calibration, _ = _calibrate(recording)
    assert np.allclose(calibration.gyro_bias_dps, true_bias, atol=0.1)


def test_late_quiet_standing_is_found():
    t = np.arange(0, 32, 1 / RATE_HZ)
    recording = _session(np.eye(3), seed=2)
    rng = np.random.default_rng(0)
    early = t < 2.0
    recording.streams["pelvis"].gyr_dps[early] += rng.normal(0, 20, (early.sum(), 3))
    _, window = _calibrate(recording)
    assert 1.8 < window[0] / RATE_HZ < 2.6


def test_no_quiet_standing_falls_back_and_says_so():
    """Without quiet standing the analysis runs on a fallback calibration (see
    test_pipeline_fallback.py), and says so; it is refused only when fallbacks are off."""
    t = np.arange(0, 20, 1 / RATE_HZ)
    restless = 8.0 * np.sin(2 * np.pi * 0.6 * t)
    zero = np.zeros_like(t)
    recording = make_recording(t, {"pelvis": (world_from_segment(restless, zero, zero), np.eye(3))})
    analysis = analyse_recording(recording)
    assert analysis.calibration["method"] == "fallback-mean-gravity"
    assert any("never stood still" in warning for warning in analysis.warnings)


def test_too_short_a_recording_is_refused():
    t = np.arange(0, 2.0, 1 / RATE_HZ)
    zero = np.zeros_like(t)
    recording = make_recording(t, {"pelvis": (world_from_segment(zero, zero, zero), np.eye(3))})
    with pytest.raises(AnalysisError, match="only 2.0 s long"):
        analyse_recording(recording)
