"""Step 5a: in two-sensor mode a rep inside a pelvis data gap is still found from the
thorax, counted, and flagged ``gap`` (not judged); one-sensor mode is left as it was."""

import sys
from pathlib import Path

import numpy as np

from imuhinge.pipeline.analyse import analyse_recording
from imuhinge.pipeline.gap_fill import segmentation_tilt_deg
from imuhinge.pipeline.reps import detect_reps
from imuhinge.pipeline.settings import GapFillSettings, SegmentationSettings
from imuhinge.simulation import SessionConfig, simulate_session
from synthetic_imu import hinge_profile_deg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from scoring import match_reps  # noqa: E402

RATE_HZ = 50.0


def _swings(t: np.ndarray, depth_scale: float) -> np.ndarray:
    """Ten continuous one-second swings from 5 s, ``depth_scale`` times 40° deep."""
    reps = [(5.0 + k, 0.5, 0.45, depth_scale * 40.0) for k in range(10)]
    return hinge_profile_deg(t, reps)


def test_a_swing_inside_a_pelvis_gap_is_found_from_the_trunk():
    t = np.arange(0, 20, 1 / RATE_HZ)
    pelvis = _swings(t, 1.0)
    trunk = _swings(t, 1.25) + 0.5
    valid = np.ones(len(t), dtype=bool)
    lost = (t > 9.8) & (t < 11.1)  # the whole sixth swing (9.0-9.95 is the fifth)
    valid[lost] = False
    pelvis_lost = pelvis.copy()
    pelvis_lost[lost] = np.interp(t[lost], t[~lost], pelvis[~lost])  # as if only bridged

    assert len(detect_reps(pelvis_lost, RATE_HZ, SegmentationSettings())) == 9
    thorax_valid = np.ones(len(t), dtype=bool)
    filled = segmentation_tilt_deg(pelvis_lost, valid, trunk, thorax_valid, RATE_HZ, GapFillSettings())
    assert len(detect_reps(filled, RATE_HZ, SegmentationSettings())) == 10
    assert np.max(np.abs(filled - pelvis)) < 2.0
    assert np.array_equal(filled[valid], pelvis_lost[valid])


def test_no_fill_where_the_thorax_was_lost_too():
    t = np.arange(0, 20, 1 / RATE_HZ)
    pelvis = _swings(t, 1.0)
    valid = ~((t > 9.8) & (t < 11.1))
    trunk = _swings(t, 1.25)
    both_lost = segmentation_tilt_deg(pelvis, valid, trunk, valid, RATE_HZ, GapFillSettings())
    assert np.array_equal(both_lost, pelvis)


def test_simulated_swing_in_a_pelvis_loss_is_counted_and_flagged_gap():
    # Training seed 1026: the pelvis loses 10.56-12.02 s, which holds the whole descent
    # and bottom of the swing at 11.17-12.12 s; without the fill it merges with the
    # swing before and two reps are lost.
    config = SessionConfig.random(seed=1026, sensors=("pelvis", "thorax"), scenario="swing")
    recording, truth = simulate_session(config)
    analysis = analyse_recording(recording)
    assert len(analysis.reps) == len(truth.reps)
    matches = dict((j, i) for i, j in match_reps(analysis.reps, truth.reps))
    in_gap = [j for j, rep in enumerate(truth.reps) if "gap" in rep.labels]
    assert in_gap and all(j in matches for j in in_gap)
    for j in in_gap:
        rep = analysis.reps[matches[j]]
        assert rep.flags == ["gap"]
    assert all("gap" not in analysis.reps[i].flags for j, i in matches.items() if j not in in_gap)
