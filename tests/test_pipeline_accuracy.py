"""End-to-end accuracy on a handful of simulator TRAINING seeds (1000–1199), both modes.

A small sample of what ``benchmarks/tune.py`` measures on 200 seeds; the thresholds are
the product targets (the held-out benchmark, seeds 1–999, is ``benchmarks/accuracy.py``).
"""

import sys
from pathlib import Path

import pytest

simulation = pytest.importorskip("imuhinge.simulation")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from scoring import score_session, summarise  # noqa: E402

from imuhinge.pipeline.analyse import analyse_recording  # noqa: E402

SEEDS = range(1000, 1008)


def _scores(scenario: str, sensors: tuple[str, ...]):
    scores = []
    for seed in SEEDS:
        config = simulation.SessionConfig.random(seed=seed, sensors=sensors, scenario=scenario)
        recording, truth = simulation.simulate_session(config)
        scores.append(score_session(analyse_recording(recording), truth))
    return summarise(scores)


@pytest.fixture(scope="module")
def deadlift_two_sensor():
    return _scores("deadlift", ("pelvis", "thorax"))


def test_two_sensor_reps_are_found_and_real(deadlift_two_sensor):
    s = deadlift_two_sensor
    assert s["found_pct"] >= 99.0 and s["real_pct"] >= 99.0
    assert s["start_median_s"] <= 0.15 and s["end_median_s"] <= 0.15


def test_two_sensor_angles_are_accurate(deadlift_two_sensor):
    s = deadlift_two_sensor
    assert s["pelvis_rmse_deg"] <= 1.0
    assert s["trunk_rmse_deg"] <= 1.0
    assert s["lumbar_rmse_deg"] <= 1.0


def test_two_sensor_flags_are_right(deadlift_two_sensor):
    assert deadlift_two_sensor["rounded_f1"] >= 0.95
    assert deadlift_two_sensor["overextended_f1"] >= 0.9


def test_swings_are_counted_and_measured():
    s = _scores("swing", ("pelvis", "thorax"))
    assert s["found_pct"] >= 98.0 and s["real_pct"] >= 99.0
    assert s["pelvis_rmse_deg"] <= 1.0 and s["lumbar_rmse_deg"] <= 1.5


def test_one_sensor_estimate_flags_rounding():
    s = _scores("deadlift", ("pelvis",))
    assert s["found_pct"] >= 99.0 and s["real_pct"] >= 99.0
    assert s["pelvis_rmse_deg"] <= 1.0
    assert s["rounded_f1"] >= 0.85
