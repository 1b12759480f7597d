"""The posture check (``pipeline.posture``) and calibrating in the recording's main posture.

A lying drill's reps lift the hips, a standing or kneeling drill's do not: a recording
analysed as a drill of the other posture is refused with one sentence (exit 2 at the
command line), and every drill analysed as itself is not. Per drill and sensor mode the
figures on held-out seeds are ``benchmarks/exercises.py --posture``; here test seeds.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from imuhinge.errors import AnalysisError
from imuhinge.exercises import load_profiles, profile_named
from imuhinge.pipeline.analyse import analyse_recording
from imuhinge.pipeline.calibration import standing_window
from imuhinge.pipeline.settings import CalibrationSettings, ExerciseSettings, PipelineSettings
from imuhinge.recording import SensorStream, write_recording
from imuhinge.simulation import SessionConfig, simulate_session

MODES = {"two-sensor": (("pelvis", "thorax"), False), "one-sensor": (("pelvis",), False),
         "accelerometer-only": (("pelvis",), True)}


def _session(seed: int, drill: str, mode: str = "two-sensor"):
    sensors, without_gyroscope = MODES[mode]
    return simulate_session(SessionConfig.random(seed, sensors, exercise=drill, accelerometer_only=without_gyroscope))


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "imuhinge", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def bridge_session():
    return _session(2000, "bridge")


def test_a_bridge_analysed_as_the_deadlift_is_refused_with_exit_2(tmp_path, bridge_session):
    recording, _ = bridge_session
    write_recording(recording, tmp_path / "bridge.csv")
    done = _run("analyse", "bridge.csv", "--exercise", "kettlebell-deadlift", cwd=tmp_path)
    assert done.returncode == 2
    assert "lift the hips like a bridge" in done.stderr and "--exercise" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_bridge_without_its_exercise_line_is_refused_as_the_default_drill(tmp_path, bridge_session):
    recording, _ = bridge_session
    metadata = {k: v for k, v in recording.metadata.items() if k != "exercise"}
    write_recording(replace(recording, metadata=metadata), tmp_path / "bridge.csv")
    assert "# exercise:" not in (tmp_path / "bridge.csv").read_text()
    done = _run("analyse", "bridge.csv", cwd=tmp_path)
    assert done.returncode == 2
    assert re.search(r"the kettlebell deadlift.* starts standing", done.stderr)
    assert "imuhinge exercises" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def deadlift_session():
    return _session(2001, "kettlebell-deadlift", "one-sensor")


def test_a_deadlift_analysed_as_a_bridge_is_refused(deadlift_session):
    recording, _ = deadlift_session
    with pytest.raises(AnalysisError, match="--exercise"):
        analyse_recording(recording, exercise=profile_named("bridge"))


def test_without_walking_the_deadlifts_hips_are_what_refuse_the_bridge(deadlift_session):
    recording, _ = deadlift_session
    no_walking = PipelineSettings(exercise=ExerciseSettings(walk_min_s=1e9))
    with pytest.raises(AnalysisError, match=r"do not lift the hips like a bridge .* is -?\d+ cm"):
        analyse_recording(recording, exercise=profile_named("bridge"), settings=no_walking)


@pytest.mark.parametrize("seed", range(2020, 2030))
def test_an_accelerometer_only_bridge_analysed_as_the_deadlift_is_refused(seed):
    """Without gyroscope the accelerometer's gravity reading, which changes with its tilt,
    is calibrated on the bridge's still top and the still moment before each rep, so the
    hips' rise is told; uncalibrated, three of these ten bridges read 11 to 14 cm and were
    not refused."""
    recording, _ = _session(seed, "bridge", "accelerometer-only")
    with pytest.raises(AnalysisError, match=r"lift the hips like a bridge .* over 5 cm"):
        analyse_recording(recording, exercise=profile_named("kettlebell-deadlift"))


@pytest.mark.parametrize("seed", range(2020, 2026))
def test_an_accelerometer_only_hinge_is_accepted_as_itself_and_refused_as_the_bridge(seed):
    """The other side of the calibrated gravity reading: a slow hinge that pauses at the
    bottom is calibrated there too (two of these six), and no hinge reads a rise."""
    recording, _ = _session(seed, "hip-hinge", "accelerometer-only")
    analysis = analyse_recording(recording, exercise=profile_named("hip-hinge"))
    assert analysis.exercise["hips_rise_cm"] < 0.0
    no_walking = PipelineSettings(exercise=ExerciseSettings(walk_min_s=1e9))  # the hips alone
    with pytest.raises(AnalysisError, match="do not lift the hips like a bridge"):
        analyse_recording(recording, exercise=profile_named("bridge"), settings=no_walking)


DRILLS = list(load_profiles())


@pytest.mark.parametrize("index, drill", list(enumerate(DRILLS)), ids=DRILLS)
def test_each_drill_analysed_as_itself_is_not_refused(index, drill):
    mode = list(MODES)[index % len(MODES)]
    recording, truth = _session(2010 + index, drill, mode)
    analysis = analyse_recording(recording, exercise=profile_named(drill))
    rise_cm = analysis.exercise["hips_rise_cm"]
    if profile_named(drill).kind == "hold":
        assert rise_cm is None
        return
    assert len(analysis.reps) == len(truth.reps)
    if mode != "accelerometer-only":  # without gyroscope a rise from 0 to 5 (or 15) cm tells nothing
        assert rise_cm > 5.0 if drill == "bridge" else rise_cm < 5.0


def _turn(u0: np.ndarray, u1: np.ndarray, duration_s: float, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """A steady turn of the body (minimum-jerk) that takes gravity's "up" in the sensor
    frame from ``u0`` to ``u1``: (accelerometer g, gyroscope dps) at ``rate_hz``.

    The up vector, fixed in the world, turns by φ about the axis a in the sensor frame
    when the sensor turns at −φ' a."""
    axis = np.cross(u0, u1)
    axis /= np.linalg.norm(axis)
    angle = float(np.arccos(np.clip(np.dot(u0, u1), -1.0, 1.0)))
    s = np.arange(0.0, duration_s, 1.0 / rate_hz) / duration_s
    phi = angle * (10 * s**3 - 15 * s**4 + 6 * s**5)
    rate = angle * (30 * s**2 - 60 * s**3 + 30 * s**4) / duration_s
    up = (np.outer(np.cos(phi), u0) + np.outer(np.sin(phi), np.cross(axis, u0))
          + np.outer(1 - np.cos(phi), axis * np.dot(axis, u0)))
    return up, -np.degrees(np.outer(rate, axis))


def _after_another_posture(seed: int, drill: str, before: str, still_s: float = 4.0, turn_s: float = 3.0):
    """A pelvis-sensor session of ``drill`` (``seed``) preceded by the still start of a
    ``before`` session and the turn from that posture into the drill's: (recording, truth,
    the time the drill's session starts in it).

    The prefix is the first seconds of the same seed's ``before`` session: the same person,
    sensor and clip (the simulator draws them from the seed alone), still in that drill's
    posture. The change of posture is a steady turn from that posture's "up" to the
    drill's, with the prefix's gyroscope bias and noise."""
    session, truth = _session(seed, drill, "one-sensor")
    previous, _ = _session(seed, before, "one-sensor")
    now, then = session.streams["pelvis"], previous.streams["pelvis"]
    first = then.time_s < still_s
    rate_hz = 1.0 / float(np.median(np.diff(now.time_s)))
    u0 = np.mean(then.acc_g[first], axis=0)
    u1 = np.mean(now.acc_g[now.time_s < 2.0], axis=0)
    acc, gyr = _turn(u0 / np.linalg.norm(u0), u1 / np.linalg.norm(u1), turn_s, rate_hz)
    rng = np.random.default_rng(seed)
    acc = acc + rng.normal(0.0, np.std(then.acc_g[first], axis=0), acc.shape)
    gyr = gyr + np.mean(then.gyr_dps[first], axis=0) + rng.normal(0.0, np.std(then.gyr_dps[first], axis=0), gyr.shape)
    shift_s = still_s + turn_s
    stream = SensorStream(
        np.concatenate([then.time_s[first], still_s + np.arange(len(acc)) / rate_hz, now.time_s + shift_s]),
        np.concatenate([then.acc_g[first], acc, now.acc_g]),
        np.concatenate([then.gyr_dps[first], gyr, now.gyr_dps]),
    )
    return replace(session, streams={"pelvis": stream}), truth, shift_s


@pytest.mark.parametrize("gyroscope", [True, False], ids=["gyroscope", "accelerometer-only"])
@pytest.mark.parametrize("drill, before", [("bridge", "hip-hinge"), ("tall-kneel-raise", "bridge")])
def test_a_recording_that_starts_in_another_posture_calibrates_in_the_drills(drill, before, gyroscope):
    recording, truth, shift_s = _after_another_posture(2002, drill, before)
    if not gyroscope:
        recording = recording.with_accelerometer_only(("pelvis",))
    analysis = analyse_recording(recording, exercise=profile_named(drill))
    assert analysis.calibration["standing_start_s"] >= shift_s - 0.5
    assert len(analysis.reps) == len(truth.reps)
    starts = np.array([rep.start_s for rep in analysis.reps])
    assert np.allclose(starts, [rep.start_s + shift_s for rep in truth.reps], atol=0.5)
    tilts = [rep.pelvis_tilt_deg for rep in analysis.reps]  # calibrated in the first posture: 90° off
    assert np.allclose(tilts, [rep.pelvis_tilt_deg for rep in truth.reps], atol=3.0)


def test_the_calibration_window_is_the_first_stretch_of_the_posture_most_still_in():
    rate_hz, settings = 10.0, CalibrationSettings()
    quiet = np.zeros(600, dtype=bool)
    acc = np.tile([0.0, 0.0, 1.0], (600, 1))
    quiet[0:30] = quiet[100:130] = quiet[200:500] = True  # 3 s lying, 3 s kneeling, then 30 s kneeling
    acc[90:] = [1.0, 0.0, 0.05]
    assert standing_window(quiet, rate_hz, settings, acc) == (100, 130)
    assert standing_window(quiet, rate_hz, settings) == (0, 30)
    acc[200:] = [0.0, 0.0, 1.0]  # the long stretch lying again: lying has the most quiet time
    assert standing_window(quiet, rate_hz, settings, acc) == (0, 30)
    tilted = np.array([np.sin(np.radians(25.0)), 0.0, np.cos(np.radians(25.0))])
    acc[90:] = tilted  # 25° from the first posture: the same posture
    assert standing_window(quiet, rate_hz, settings, acc) == (0, 30)
