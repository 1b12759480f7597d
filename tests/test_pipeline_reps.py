"""Step 5: rep segmentation on synthetic pelvic tilt profiles with the hard cases:
walking, fidgeting, a pause at the bottom, and continuous fast swings."""

import numpy as np
import pytest

from imuhinge.pipeline.reps import detect_reps
from imuhinge.pipeline.settings import SegmentationSettings
from synthetic_imu import hinge_profile_deg, min_jerk

RATE_HZ = 100.0
SETTINGS = SegmentationSettings()


def _times(spans, t):
    return [(t[s.start_index], t[s.bottom_index], t[s.end_index]) for s in spans]


def test_walking_and_fidgeting_between_reps_are_not_reps():
    t = np.arange(0, 60, 1 / RATE_HZ)
    reps = [(8.0, 1.2, 1.0, 45.0), (13.0, 1.4, 1.1, 30.0), (40.0, 1.0, 0.9, 55.0)]
    tilt = hinge_profile_deg(t, reps)
    walking = (t > 18) & (t < 30)
    tilt[walking] += 4.0 * np.sin(2 * np.pi * 1.8 * t[walking])
    fidget = (t > 31) & (t < 35)
    tilt[fidget] += 6.0 * min_jerk((t[fidget] - 31) / 2) * (1 - min_jerk((t[fidget] - 33) / 2))
    spans = detect_reps(tilt, RATE_HZ, SETTINGS)
    assert len(spans) == 3
    for (start, bottom, end), (s0, down, up, _) in zip(_times(spans, t), reps):
        assert start == pytest.approx(s0, abs=0.05)
        assert bottom == pytest.approx(s0 + down, abs=0.05)
        assert end == pytest.approx(s0 + down + up, abs=0.05)


def test_a_pause_at_the_bottom_is_one_rep():
    t = np.arange(0, 20, 1 / RATE_HZ)
    tilt = hinge_profile_deg(t, [(5.0, 1.5, 1.2, 50.0, 1.0)], pause_drop_deg=1.5)
    tilt += 0.4 * np.sin(2 * np.pi * 3.0 * t) * ((t > 6.5) & (t < 7.5))
    spans = detect_reps(tilt, RATE_HZ, SETTINGS)
    assert len(spans) == 1
    start, bottom, end = _times(spans, t)[0]
    assert start == pytest.approx(5.0, abs=0.05)
    assert end == pytest.approx(5.0 + 1.5 + 1.0 + 1.2, abs=0.05)


def test_continuous_fast_swings_split_at_the_top():
    t = np.arange(0, 30, 1 / RATE_HZ)
    reps, start = [], 6.0
    for k in range(15):
        reps.append((start, 0.5, 0.45, 40.0 + 3 * (k % 3)))
        start += 0.95 + 0.03 * (k % 2)
    tilt = hinge_profile_deg(t, reps)
    spans = detect_reps(tilt, RATE_HZ, SETTINGS)
    assert len(spans) == 15
    for (s, b, e), (s0, down, up, _) in zip(_times(spans, t), reps):
        assert abs(s - s0) <= 0.03 and abs(e - (s0 + down + up)) <= 0.03


def test_shallow_movements_below_the_rep_height_are_ignored():
    t = np.arange(0, 20, 1 / RATE_HZ)
    tilt = hinge_profile_deg(t, [(5.0, 1.0, 1.0, 9.0), (10.0, 1.0, 1.0, 30.0)])
    assert len(detect_reps(tilt, RATE_HZ, SETTINGS)) == 1


def test_a_rep_cut_off_by_the_end_of_the_recording_is_left_out():
    t = np.arange(0, 12, 1 / RATE_HZ)
    tilt = hinge_profile_deg(t, [(5.0, 1.0, 1.0, 40.0), (10.5, 1.0, 1.0, 40.0)])
    assert len(detect_reps(tilt, RATE_HZ, SETTINGS)) == 1
