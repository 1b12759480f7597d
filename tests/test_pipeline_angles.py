"""Steps 3–4: orientation from imufusion and the segment angles, against known rotations."""

import numpy as np
import pytest

from imuhinge.pipeline.analyse import analyse_recording
from imuhinge.pipeline.axes import (
    axis_aligned_rotations,
    quaternions_to_matrices,
    rotation_matrix,
    sagittal_frontal_heading_deg,
    sagittal_from_up_deg,
)
from synthetic_imu import hinge_profile_deg, make_recording, world_from_segment


def test_angles_of_a_known_rotation():
    rotation = rotation_matrix("z", 30.0) @ rotation_matrix("y", 40.0) @ rotation_matrix("x", -10.0)
    sagittal, frontal, heading = sagittal_frontal_heading_deg(rotation[None])
    assert sagittal[0] == pytest.approx(40.0)
    assert frontal[0] == pytest.approx(-10.0)
    assert heading[0] == pytest.approx(30.0)


def test_a_trunk_leaning_past_horizontal_keeps_its_sagittal_angle():
    rotation = rotation_matrix("z", -20.0) @ rotation_matrix("y", 105.0) @ rotation_matrix("x", 4.0)
    sagittal, frontal, heading = sagittal_frontal_heading_deg(rotation[None])
    assert sagittal[0] == pytest.approx(105.0)
    assert frontal[0] == pytest.approx(4.0)
    assert heading[0] == pytest.approx(-20.0)


def test_signs_follow_the_frames_page():
    forward = rotation_matrix("y", 20.0)
    assert (forward @ [0, 0, 1])[0] > 0, "a forward tilt moves the segment's top forward"
    to_the_right = rotation_matrix("x", 10.0)
    assert (to_the_right @ [0, 0, 1])[1] < 0, "a positive side bend tips the top to the right (-y)"
    up_seen_tilted = forward.T @ [0, 0, 1]
    assert sagittal_from_up_deg(up_seen_tilted[None])[0] == pytest.approx(20.0)


def test_quaternion_matrices_match_a_known_rotation():
    half = np.radians(25.0)
    quaternion = np.array([[np.cos(half), 0.0, np.sin(half), 0.0]])
    assert np.allclose(quaternions_to_matrices(quaternion)[0], rotation_matrix("y", 50.0))


def _session(seed: int):
    """Standing, then hinges whose lumbar flexion is known: trunk = 1.3 × pelvis."""
    rate_hz = 100.0
    t = np.arange(0, 40, 1 / rate_hz)
    reps = [(7.0 + 5.5 * k, 1.2, 1.0, 35.0 + 6 * k, 0.4 * (k % 2)) for k in range(5)]
    pelvis = hinge_profile_deg(t, reps, pause_drop_deg=1.0)
    thorax = 1.3 * pelvis
    side = np.where(t > 7.0, 2.0 * np.sin(2 * np.pi * 0.3 * t), 0.0)
    zero = np.zeros_like(t)
    clips = axis_aligned_rotations()
    recording = make_recording(
        t,
        {
            "pelvis": (world_from_segment(pelvis, side, zero), clips[seed] @ rotation_matrix("x", 3.0)),
            "thorax": (world_from_segment(thorax, zero, zero), clips[23 - seed] @ rotation_matrix("y", -4.0)),
        },
        seed=seed,
    )
    return recording, t, pelvis, thorax, reps


@pytest.mark.parametrize("seed", [0, 9])
def test_pipeline_recovers_known_tilts_and_flexion(seed):
    recording, t, pelvis, thorax, reps = _session(seed)
    analysis = analyse_recording(recording)
    traces = analysis.traces
    true_pelvis = np.interp(traces.time_s, t, pelvis)
    true_lumbar = np.interp(traces.time_s, t, thorax - pelvis)
    assert np.max(np.abs(traces.pelvis_tilt_deg - true_pelvis)) < 1.0
    assert np.max(np.abs(traces.lumbar_flexion_deg - true_lumbar)) < 1.0
    assert len(analysis.reps) == len(reps)
    for rep, (start_s, down_s, up_s, depth_deg, pause_s) in zip(analysis.reps, reps):
        assert rep.pelvis_tilt_deg == pytest.approx(depth_deg, abs=0.5)
        assert rep.lumbar_flexion_deg == pytest.approx(0.3 * depth_deg, abs=0.5)
        assert rep.start_s == pytest.approx(start_s, abs=0.05)
        assert rep.bottom_s == pytest.approx(start_s + down_s, abs=0.05)
        assert rep.end_s == pytest.approx(start_s + down_s + pause_s + up_s, abs=0.05)
