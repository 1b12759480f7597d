"""The simulator is the test oracle, so its physics and its truth are tested here."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuhinge.cli.main import main
from imuhinge.recording import read_recording, write_recording
from imuhinge.simulation import SCENARIOS, SessionConfig, Truth, simulate_session, true_angles
from imuhinge.simulation.body import GRAVITY_MPS2, body_pose, fit_balance, static_shank_tilt_rad
from imuhinge.simulation.kinematics import CHANNELS, build_motion
from imuhinge.simulation.sensors import axis_aligned_rotations

TWO = ("pelvis", "thorax")


@pytest.fixture(scope="module")
def session():
    config = SessionConfig.random(seed=7, sensors=TWO, rate_hz=100.0)
    return config, *simulate_session(config)


@pytest.fixture(scope="module")
def ideal_session():
    config = SessionConfig.random(seed=30, sensors=TWO, rate_hz=100.0).without_faults()  # has a walk, a turn, a fidget
    return config, *simulate_session(config)


def _segment_rotation(config, label: str, time_s: np.ndarray) -> Rotation:
    """True R_world_segment of a sensor's segment at ``time_s``."""
    angles = true_angles(config, time_s)
    key = "pelvis" if label == "pelvis" else "thorax"
    sagittal = angles["pelvis_tilt_deg"] if key == "pelvis" else angles["trunk_inclination_deg"]
    zyx = np.c_[angles[f"{key}_heading_deg"], sagittal, angles[f"{key}_side_bend_deg"]]
    return Rotation.from_euler("ZYX", zyx, degrees=True)


def test_still_sensor_reads_one_g_and_the_gyro_bias(session):
    config, recording, truth = session
    for label, stream in recording.streams.items():
        still = stream.time_s < 5.0
        norm_g = np.linalg.norm(stream.acc_g[still], axis=1)
        assert abs(norm_g.mean() - 1.0) < 0.04
        assert norm_g.std() < 0.01
        bias_dps = np.asarray(truth.mounting[label]["gyro_bias_dps"])
        assert np.abs(stream.gyr_dps[still].mean(axis=0) - bias_dps).max() < 0.2


def test_gyro_integrates_to_the_true_tilt(ideal_session):
    config, recording, _ = ideal_session
    for label, stream in recording.streams.items():
        r_ss = Rotation.from_matrix(config.setup(label).segment_to_sensor_matrix)
        truth = _segment_rotation(config, label, stream.time_s)
        rate = np.radians(stream.gyr_dps)
        steps = Rotation.from_rotvec(0.5 * (rate[1:] + rate[:-1]) * np.diff(stream.time_s)[:, None])
        q = (truth[0] * r_ss).as_quat()
        quats = np.empty((len(stream), 4))
        quats[0] = q
        step_q = steps.as_quat()
        for i, (x, y, z, w) in enumerate(step_q):  # quaternion product q ⊗ step
            qx, qy, qz, qw = q
            q = np.array([
                qw * x + qx * w + qy * z - qz * y,
                qw * y - qx * z + qy * w + qz * x,
                qw * z + qx * y - qy * x + qz * w,
                qw * w - qx * x - qy * y - qz * z,
            ])
            quats[i + 1] = q
        estimate = Rotation.from_quat(quats) * r_ss.inv()
        tilt_error_deg = np.degrees(estimate.as_euler("ZYX")[:, 1] - truth.as_euler("ZYX")[:, 1])
        assert np.abs(tilt_error_deg).max() < 0.5, label


def test_gravity_in_quiet_standing_points_along_the_mounting(ideal_session):
    config, recording, truth = ideal_session
    for label, stream in recording.streams.items():
        mean_g = stream.acc_g[stream.time_s < 5.0].mean(axis=0)
        expected = config.setup(label).segment_to_sensor_matrix.T @ [0.0, 0.0, 1.0]
        angle_deg = np.degrees(np.arccos(np.dot(mean_g, expected) / np.linalg.norm(mean_g)))
        assert angle_deg < 0.5
        assert np.allclose(truth.mounting[label]["gravity_in_sensor_g"], expected, atol=1e-5)


def test_accelerometer_reads_the_second_derivative_of_the_sensor_position(ideal_session):
    """Positions from the body model (plus the walking travel, integrated here), twice
    differentiated, against what the accelerometer reports turned into the world."""
    config, recording, _ = ideal_session
    motion = build_motion(config)
    balance = fit_balance(motion, config.body, 0.0, config.duration_s)
    windows = [(config.reps[1].start_s, config.reps[1].end_s)]
    for kind in ("walk", "turn", "fidget"):
        activity = next(a for a in config.activities if a.kind == kind)
        windows.append((activity.start_s, activity.end_s))
    for start_s, end_s in windows:
        fine_s = np.arange(start_s - 1.0, end_s + 1.0, 1e-3)
        channels = motion.at(fine_s)
        pose = body_pose(channels, config.body, balance.at(fine_s))
        heading = np.radians(channels["heading_deg"])
        velocity = channels["speed_mps"][:, None] * np.c_[np.cos(heading), np.sin(heading), 0.0 * heading]
        travel_m = np.cumsum(velocity, axis=0) * 1e-3
        for label, site in (("pelvis", "sacrum"), ("thorax", "T12")):
            position_m = pose.site(site)[0] + travel_m
            acc_world = np.gradient(np.gradient(position_m, 1e-3, axis=0), 1e-3, axis=0)
            stream = recording.streams[label]
            inside = (stream.time_s > start_s) & (stream.time_s < end_s)
            t = stream.time_s[inside]
            expected = np.stack([np.interp(t, fine_s, acc_world[:, k]) for k in range(3)], axis=1)
            r_world_sensor = _segment_rotation(config, label, t) * Rotation.from_matrix(
                config.setup(label).segment_to_sensor_matrix
            )
            measured = r_world_sensor.apply(stream.acc_g[inside]) * GRAVITY_MPS2 - [0.0, 0.0, GRAVITY_MPS2]
            assert np.abs(measured - expected).max() < 0.05, (label, start_s)
            assert np.abs(expected).max() > 0.1  # the check is not vacuous


def _hinge_channels(tilt_deg: np.ndarray, load_kg: float) -> dict[str, np.ndarray]:
    channels = {name: np.zeros_like(tilt_deg) for name in CHANNELS}
    channels["pelvis_tilt_deg"] = tilt_deg
    channels["lumbar_flexion_deg"] = 0.1 * tilt_deg
    channels["knee_flexion_deg"] = 0.3 * tilt_deg
    channels["load_kg"] = np.full_like(tilt_deg, load_kg)
    return channels


@pytest.mark.parametrize("load_kg", [0.0, 24.0])
def test_balance_keeps_the_centre_of_mass_over_the_feet_and_moves_the_hips_back(load_kg):
    body = SessionConfig.random(seed=3).body
    tilt_deg = np.linspace(0.0, 70.0, 50)
    channels = _hinge_channels(tilt_deg, load_kg)
    pose = body_pose(channels, body, static_shank_tilt_rad(channels, body))
    assert np.abs(pose.com_m[:, 0]).max() < 1e-9
    assert (np.diff(pose.hip_m[:, 0]) < 0.0).all()
    assert pose.hip_m[-1, 0] < -0.15
    assert pose.sacrum_m[-1, 0] < pose.sacrum_m[0, 0] - 0.1


def test_session_balance_follows_the_centre_of_mass_closely_in_deadlifts(ideal_session):
    config, _, _ = ideal_session
    motion = build_motion(config)
    balance = fit_balance(motion, config.body, 0.0, config.duration_s)
    time_s = np.arange(0.0, config.duration_s, 0.01)
    channels = motion.at(time_s)
    pose = body_pose(channels, config.body, balance.at(time_s))
    heading = np.radians(channels["heading_deg"])
    forward_m = pose.com_m[:, 0] * np.cos(heading) + pose.com_m[:, 1] * np.sin(heading)
    assert np.abs(forward_m - channels["com_forward_m"]).max() < 0.03


def test_same_seed_same_output_and_different_seed_different():
    a = simulate_session(SessionConfig.random(seed=11, sensors=TWO))
    b = simulate_session(SessionConfig.random(seed=11, sensors=TWO))
    c = simulate_session(SessionConfig.random(seed=12, sensors=TWO))
    for label in TWO:
        sa, sb = a[0].streams[label], b[0].streams[label]
        assert np.array_equal(sa.time_s, sb.time_s)
        assert np.array_equal(sa.acc_g, sb.acc_g) and np.array_equal(sa.gyr_dps, sb.gyr_dps)
    assert a[1].to_json_dict() == b[1].to_json_dict()
    assert a[1].to_json_dict() != c[1].to_json_dict()
    assert len(a[0].streams["pelvis"]) != len(c[0].streams["pelvis"]) or not np.array_equal(
        a[0].streams["pelvis"].acc_g, c[0].streams["pelvis"].acc_g
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_truth_reps_are_ordered_inside_the_recording_and_labelled_from_their_angles(scenario, seed):
    config = SessionConfig.random(seed=seed, sensors=("pelvis",), scenario=scenario)
    recording, truth = simulate_session(config)
    assert truth.reps
    previous_end = 5.0  # at least 5 s of quiet standing first
    for rep in truth.reps:
        assert previous_end <= rep.start_s < rep.bottom_s < rep.end_s <= recording.duration_s
        previous_end = rep.end_s
        assert ("rounded" in rep.labels) == (rep.lumbar_flexion_deg > 20.0)
        assert ("good" in rep.labels) == (rep.lumbar_flexion_deg <= 20.0)
        assert ("overextended" in rep.labels) == (rep.lockout_extension_deg > 10.0)
        assert not 11.0 < rep.lumbar_flexion_deg < 24.0  # honest class margins
        assert not 6.0 < rep.lockout_extension_deg < 11.0
        assert rep.pelvis_tilt_deg >= 19.5
        assert rep.trunk_inclination_deg > rep.pelvis_tilt_deg
    if scenario == "hinge":
        assert all("good" in r.labels and r.load_kg == 0.0 for r in truth.reps)
    if scenario == "swing":
        assert all("fast" in r.labels for r in truth.reps)


def test_truth_peaks_and_times_follow_their_definitions(session):
    config, _, truth = session
    for rep in truth.reps:
        time_s = np.arange(rep.start_s, rep.end_s, 1e-3)
        angles = true_angles(config, time_s)
        assert rep.pelvis_tilt_deg == pytest.approx(angles["pelvis_tilt_deg"].max(), abs=1e-2)
        assert rep.bottom_s == pytest.approx(time_s[np.argmax(angles["pelvis_tilt_deg"])], abs=2e-3)
        assert rep.lumbar_flexion_deg == pytest.approx(angles["lumbar_flexion_deg"].max(), abs=1e-2)
        lockout = time_s >= rep.bottom_s + 0.6 * (rep.end_s - rep.bottom_s)
        extension = max(0.0, -angles["lumbar_flexion_deg"][lockout].min())
        assert rep.lockout_extension_deg == pytest.approx(extension, abs=2e-2)
    motion = build_motion(config)
    pelvis_track = motion.tracks["pelvis_tilt_deg"]
    starts = np.array([r.start_s for r in config.reps])
    ends = np.array([r.end_s for r in config.reps])
    assert np.abs(pelvis_track.at(starts)).max() < 1e-9
    assert np.abs(pelvis_track.at(ends)).max() < 1e-9
    assert (pelvis_track.at(starts + 0.05) > 0.0).all() and (pelvis_track.at(ends - 0.05) > 0.0).all()


def test_deadlift_sessions_mix_good_rounded_and_overextended_reps():
    labels = [
        label
        for seed in range(8)
        for rep in simulate_session(SessionConfig.random(seed=seed, sensors=("pelvis",), rate_hz=50.0))[1].reps
        for label in rep.labels
    ]
    for label in ("good", "rounded", "overextended", "shallow", "deep", "slow", "loaded"):
        assert label in labels


def test_events_tile_the_time_outside_the_sets(session):
    config, _, truth = session
    pieces = [(e["start_s"], e["end_s"]) for e in truth.events if e["kind"] != "loss"]
    pieces += [(round(s.start_s, 4), round(s.end_s, 4)) for s in config.sets]
    pieces.sort()
    assert pieces[0][0] == 0.0 and pieces[0][1] - pieces[0][0] >= 5.0
    assert pieces[-1][1] == pytest.approx(config.duration_s, abs=1e-3)
    for (_, end), (start, _) in zip(pieces, pieces[1:]):
        assert start == pytest.approx(end, abs=1e-3)
    kinds = {e["kind"] for e in truth.events}
    assert kinds <= {"pause", "walk", "turn", "fidget", "loss"}


def test_sensor_faults_look_like_a_real_sensor(session):
    config, recording, truth = session
    for label, stream in recording.streams.items():
        step = np.diff(stream.time_s)
        assert (step > 0.0).all()
        assert np.allclose(stream.time_s, np.round(stream.time_s, 4), atol=1e-9)
        mounting = truth.mounting[label]
        assert 0.004 <= mounting["lost_fraction"] <= 0.03
        regular = step[step < 1.5 / config.rate_hz]
        assert 0.0003 < np.std(regular) < 0.0015  # jitter
        assert np.allclose(stream.acc_g / (16.0 / 32768.0), np.round(stream.acc_g / (16.0 / 32768.0)))
        assert np.allclose(stream.gyr_dps / (2000.0 / 32768.0), np.round(stream.gyr_dps / (2000.0 / 32768.0)))
    pelvis, thorax = recording.streams["pelvis"].time_s, recording.streams["thorax"].time_s
    assert abs(pelvis[0] - thorax[0]) > 1e-4  # independent sampling phase


def test_a_long_loss_marks_the_rep_it_overlaps_as_gap():
    config = SessionConfig.random(seed=5, sensors=TWO, rate_hz=100.0)
    rep = config.reps[2]
    setups = tuple(
        dataclasses.replace(
            s,
            faults=dataclasses.replace(s.faults, long_loss_start_s=rep.bottom_s, long_loss_s=0.6)
            if s.label == "thorax"
            else dataclasses.replace(s.faults, long_loss_s=0.0),
        )
        for s in config.sensor_setups
    )
    _, truth = simulate_session(dataclasses.replace(config, sensor_setups=setups))
    gapped = [r.rep for r in truth.reps if "gap" in r.labels]
    assert gapped == [3]
    losses = [e for e in truth.events if e["kind"] == "loss"]
    assert len(losses) == 1 and losses[0]["sensor"] == "thorax"
    assert 0.6 <= losses[0]["end_s"] - losses[0]["start_s"] < 0.63


def test_the_written_csv_reads_back_and_the_truth_round_trips(session, tmp_path):
    config, recording, truth = session
    path = tmp_path / "session.csv"
    write_recording(recording, path)
    back = read_recording(path)
    assert back.sensors == recording.sensors
    assert back.metadata["sensor pelvis"] == "imuhinge simulator, 100 Hz"
    assert back.metadata["simulated"] == "seed 7, scenario deadlift"
    for label, stream in recording.streams.items():
        assert np.allclose(back.streams[label].time_s, stream.time_s, atol=1e-9)
        assert np.allclose(back.streams[label].acc_g, stream.acc_g, atol=1e-5)
        assert np.allclose(back.streams[label].gyr_dps, stream.gyr_dps, atol=1e-3)
    truth.write(tmp_path / "truth.json")
    assert Truth.read(tmp_path / "truth.json") == truth


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_runs_with_one_and_two_sensors(scenario):
    for sensors in (("pelvis",), TWO):
        config = SessionConfig.random(seed=4, sensors=sensors, scenario=scenario, rate_hz=50.0)
        recording, truth = simulate_session(config)
        assert recording.sensors == sensors
        assert 60.0 < recording.duration_s < 600.0
        assert truth.reps and truth.scenario == scenario


def test_swings_are_continuous_at_about_one_per_second():
    config = SessionConfig.random(seed=8, sensors=("pelvis",), scenario="swing")
    _, truth = simulate_session(config)
    by_set: dict[int, list] = {}
    for rep in truth.reps:
        by_set.setdefault(rep.set_index, []).append(rep)
    for reps in by_set.values():
        assert all(0.8 <= r.end_s - r.start_s <= 1.2 for r in reps)
        assert all(0.05 <= b.start_s - a.end_s <= 0.2 for a, b in zip(reps, reps[1:]))


def test_a_duration_is_filled_with_sets_and_activity():
    config = SessionConfig.random(seed=9, sensors=("pelvis",), rate_hz=50.0, duration_s=400.0)
    recording, truth = simulate_session(config)
    assert config.duration_s == 400.0
    assert 399.9 < recording.streams["pelvis"].time_s[-1] <= 400.01
    assert len(config.sets) >= 3
    assert {"walk", "turn", "fidget", "pause"} <= {e["kind"] for e in truth.events}


def test_the_pelvis_only_session_is_the_two_sensor_one_without_the_thorax():
    two = SessionConfig.random(seed=5, sensors=TWO)
    one = SessionConfig.random(seed=5, sensors=("pelvis",), rate_hz=two.rate_hz)
    assert (one.sets, one.activities, one.body) == (two.sets, two.activities, two.body)
    assert one.setup("pelvis") == two.setup("pelvis")
    assert np.array_equal(
        simulate_session(one)[0].streams["pelvis"].acc_g, simulate_session(two)[0].streams["pelvis"].acc_g
    )
    assert SessionConfig.random(seed=5, scenario="hinge").body == two.body  # the same person


def test_the_random_draw_varies_rate_and_mounting():
    configs = [SessionConfig.random(seed=s) for s in range(30)]
    assert {c.rate_hz for c in configs} <= {50.0, 52.0, 100.0, 104.0, 200.0}
    assert len({c.rate_hz for c in configs}) >= 3
    assert len({c.sensor_setups[0].axis_rotation for c in configs}) >= 10
    assert any(s.faults.long_loss_s > 0.0 for c in configs for s in c.sensor_setups)


def test_the_clip_orientations_are_the_24_proper_axis_rotations():
    rotations = axis_aligned_rotations()
    assert len({tuple(r.ravel()) for r in rotations}) == 24
    assert np.allclose(np.linalg.det(rotations), 1.0)
    assert np.allclose(rotations @ rotations.transpose(0, 2, 1), np.eye(3))


def test_the_simulate_command_writes_a_recording_and_its_truth(tmp_path, capsys):
    out, truth_path = tmp_path / "s.csv", tmp_path / "s.json"
    status = main(["simulate", "--out", str(out), "--truth", str(truth_path), "--sensors", "pelvis",
                   "--seed", "3", "--rate-hz", "50", "--scenario", "hinge"])
    assert status == 0
    assert read_recording(out).sensors == ("pelvis",)
    data = json.loads(truth_path.read_text())
    assert data["schema"] == "imuhinge.truth/1" and data["seed"] == 3 and data["reps"]
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(
    "options",
    [
        ["--sensors", "thorax"],
        ["--sensors", "pelvis,knee"],
        ["--seed", "-1"],
        ["--seed", "x"],
        ["--rate-hz", "5"],
        ["--rate-hz", "nan"],
        ["--duration-s", "3"],
        ["--scenario", "squat"],
    ],
)
def test_the_simulate_command_refuses_bad_options_with_status_2(options, tmp_path, capsys):
    try:
        status = main(["simulate", "--out", str(tmp_path / "x.csv"), *options])
    except SystemExit as exc:  # argparse's own refusal (an unknown choice)
        status = exc.code
    assert status == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
