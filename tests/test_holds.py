"""The lat-engagement hold is timed as held, not with the standing still around it.

The simulator's hold (seeds 2000–2039) is preceded and followed by seconds of quiet
standing, often to the end of the recording. Timed by stillness alone, the hold ran on into
it: on tuning seeds 1000–1199 every hold was 2–20 s too long (median 11 s). With a thorax
sensor the squeeze shows (the chest lifts while the pelvis stays), and an unsteady hold's
sway does with one sensor: on tuning seeds the time held was then within 2 s of the truth
for 96% (two sensors) and 93% (one sensor, unsteady) of the holds, hence the 2 s and the
shares asked for below, with room for 40 seeds. A steady hold seen by the pelvis alone
cannot be told from standing still; it is timed by the stillness and says so.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from imuhinge.exercises import profile_named
from imuhinge.pipeline.analyse import analyse_recording
from imuhinge.pipeline.holds import SQUEEZE, STILLNESS, SWAY, _calm
from imuhinge.pipeline.settings import ExerciseSettings
from imuhinge.recording.columns import PELVIS
from imuhinge.simulation import SessionConfig, simulate_session

SEEDS = range(2000, 2040)
NAME = "lat-engagement"
WITHIN_S = 2.0


def _sessions(sensors: tuple[str, ...]) -> list[tuple[float, bool, list]]:
    """Per seed: (found total − true time held in s, the hold unsteady in truth, the holds)."""
    out = []
    for seed in SEEDS:
        recording, truth = simulate_session(SessionConfig.random(seed, sensors, exercise=NAME))
        analysis = analyse_recording(recording, exercise=profile_named(NAME))
        (hold,) = truth.holds
        error_s = analysis.exercise["hold_total_s"] - (hold["end_s"] - hold["start_s"])
        out.append((error_s, "unsteady" in hold["labels"], analysis.holds))
    return out


@pytest.fixture(scope="module")
def two_sensors():
    return _sessions(("pelvis", "thorax"))


@pytest.fixture(scope="module")
def one_sensor():
    return _sessions(("pelvis",))


def test_with_a_thorax_sensor_the_hold_is_timed_from_the_squeeze(two_sensors):
    assert all(len(holds) == 1 for _, _, holds in two_sensors)
    close = [abs(error_s) <= WITHIN_S for error_s, _, _ in two_sensors]
    print(sorted(round(e, 1) for e, _, _ in two_sensors))
    assert sum(close) >= 0.85 * len(close)
    assert sum(holds[0].timed_by == SQUEEZE for _, _, holds in two_sensors) >= 0.85 * len(two_sensors)


def test_an_unsteady_hold_is_timed_from_its_sway_with_one_sensor(one_sensor):
    unsteady = [(error_s, holds) for error_s, shaky, holds in one_sensor if shaky]
    assert len(unsteady) >= 5
    assert all(len(holds) == 1 and holds[0].timed_by == SWAY for _, holds in unsteady)
    assert sum(abs(error_s) <= WITHIN_S for error_s, _ in unsteady) >= 0.8 * len(unsteady)


def test_a_hold_timed_by_stillness_says_so_and_is_not_shorter_than_held(one_sensor):
    """Standing still around it counts in, so the time is at most a little short (the
    still stretch starts after the calibration standing, which may run into the hold)."""
    timed = [(error_s, holds[0]) for error_s, _, holds in one_sensor if holds and holds[0].timed_by == STILLNESS]
    assert timed
    assert all(hold.as_dict()["timed_by"] == STILLNESS for _, hold in timed)
    assert sum(error_s >= -1.0 for error_s, _ in timed) >= 0.9 * len(timed)



def _standing_track(rate_hz: float, twist_dps: np.ndarray) -> SimpleNamespace:
    """What ``holds._calm`` reads of a segment standing upright (up = sensor z), turning at
    ``twist_dps`` about up, with a little noise on every axis."""
    n = len(twist_dps)
    rng = np.random.default_rng(0)
    gyr = rng.normal(0.0, 0.3, (n, 3))
    gyr[:, 2] += twist_dps
    acc = np.tile([0.0, 0.0, 1.0], (n, 1)) + rng.normal(0.0, 0.005, (n, 3))
    stream = SimpleNamespace(acc_g=acc, gyr_dps=gyr, valid=np.ones(n, dtype=bool), rate_hz=rate_hz,
                             time_s=np.arange(n) / rate_hz)
    return SimpleNamespace(stream=stream, calibration=SimpleNamespace(gyroscope=True, gyro_bias_track_dps=None))


def test_a_gyroscope_bias_left_about_up_does_not_read_as_turning():
    """A drill of a session plan calibrates on a few seconds, so some of the gyroscope's bias
    about up can be left (1.0°/s in a simulated plan whose hold was lost to it: the stillness
    read as turning in places and broke into pieces too short to count; 1.5°/s here). A real
    turn still counts."""
    rate_hz = 50.0
    twist_dps = np.full(int(60 * rate_hz), 1.5)  # the bias left over, standing still for a minute
    turn = slice(int(30 * rate_hz), int(32 * rate_hz))
    twist_dps[turn] += 45.0  # a turn of 90° in 2 s
    calm = _calm({PELVIS: _standing_track(rate_hz, twist_dps)}, ExerciseSettings())
    assert not calm[turn].any()
    assert calm[: int(29 * rate_hz)].all() and calm[int(33 * rate_hz) :].all()
