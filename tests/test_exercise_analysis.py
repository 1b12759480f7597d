"""The analysis per drill: new metrics on signals with known answers, checks, ``--exercise``.

Per-drill accuracy against the simulator's truth is measured by ``benchmarks/exercises.py``
(report seeds 1–999); the quick checks here use a few seeds of the simulator's drills.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

from imuhinge.errors import AnalysisError
from imuhinge.exercises import profile_named
from imuhinge.pipeline.analyse import analyse_recording
from imuhinge.pipeline.exercise import add_rep_metrics, apply_checks, drop_unchecked, split_sets
from imuhinge.pipeline.reps import RepSpan
from imuhinge.pipeline.result import RepResult
from imuhinge.pipeline.settings import ExerciseSettings
from imuhinge.recording import read_recording, write_recording
from imuhinge.report.json_report import analysis_to_dict

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "recordings" / "kettlebell-deadlift-two-sensor.csv"
RATE_HZ = 100.0
NEW_FIELDS = ("hip_extension_short_deg", "depth_change_pct", "rep_rate_per_min")


def _rep(number: int, **values) -> RepResult:
    base = dict(
        rep=number, start_s=0.0, bottom_s=1.0, end_s=2.0, pelvis_tilt_deg=40.0, trunk_inclination_deg=45.0,
        lumbar_flexion_deg=5.0, lumbar_flexion_source="measured", lockout_extension_deg=0.0, hinge_ratio=0.9,
        eccentric_s=1.0, concentric_s=1.0,
    )
    base.update(values)
    return RepResult(**base)


def _bump_trace(peaks_deg, tops_deg, starts_s, rep_s=2.0, length_s=40.0):
    """A tilt trace of raised-cosine reps: each rises from 0 to its peak and comes down
    to its top (the residual tilt at its end), holding it until the next rep."""
    n = int(length_s * RATE_HZ)
    trace = np.zeros(n)
    spans = []
    for peak, top, start_s in zip(peaks_deg, tops_deg, starts_s):
        a = int(start_s * RATE_HZ)
        half = int(rep_s / 2 * RATE_HZ)
        up = peak * 0.5 * (1 - np.cos(np.linspace(0, np.pi, half)))
        down = top + (peak - top) * 0.5 * (1 + np.cos(np.linspace(0, np.pi, half)))
        trace[a : a + half] = up
        trace[a + half : a + 2 * half] = down
        spans.append(RepSpan(a, a + half - 1, a + 2 * half - 1))
    return trace, spans


def test_hip_extension_short_is_the_residual_tilt_at_the_top_of_a_forward_rep():
    trace, spans = _bump_trace([40.0, 40.0, 40.0], [0.0, 14.0, 3.0], [2.0, 6.0, 10.0])
    reps = [_rep(i + 1) for i in range(3)]
    out = add_rep_metrics(reps, spans, trace, RATE_HZ, profile_named("kettlebell-swing"), 0.6, ExerciseSettings())
    assert [r.hip_extension_short_deg for r in out] == pytest.approx([0.0, 14.0, 3.0], abs=0.05)


def test_a_last_rep_that_stops_short_is_measured_at_its_top_not_after_settling_back():
    """The set's last rep drives up to 14° short of the start posture, comes to rest there
    and only then, in the rest after the set, settles back to it. Its span ends back at
    the start posture; the measure is where the drive stopped (``reps.top_index``)."""
    n = int(12 * RATE_HZ)
    time_s = np.arange(n) / RATE_HZ
    trace = np.zeros(n)

    def move(from_s, to_s, a_deg, b_deg):
        u = np.clip((time_s - from_s) / (to_s - from_s), 0.0, 1.0)
        inside = (time_s >= from_s) & (time_s <= to_s)
        trace[inside] = (a_deg + (b_deg - a_deg) * u**3 * (10 - 15 * u + 6 * u**2))[inside]

    move(2.0, 3.2, 0.0, 35.0)   # descent
    trace[(time_s > 3.2) & (time_s < 3.4)] = 35.0  # a pause at the bottom
    move(3.4, 4.4, 35.0, 14.0)  # the drive, stopping 14° short
    move(4.4, 5.4, 14.0, 0.0)   # settling back in the rest after the set
    trace[time_s > 5.4] = 0.0
    spans = [RepSpan(200, 320, 600)]
    out = add_rep_metrics([_rep(1)], spans, trace, RATE_HZ, profile_named("tall-kneel-raise"), 0.6, ExerciseSettings())
    assert out[0].hip_extension_short_deg == pytest.approx(14.0, abs=0.3)


def test_a_simulated_last_rep_stopped_short_is_flagged_offline_and_live():
    """Seed 2007: the tall-kneel raise set's last rep stops 14° short of tall kneeling and
    settles back after the set; it was read as reaching tall (0°) before the rep's top was
    taken where the drive ends. Offline and live flag it, within a degree of the truth."""
    import argparse

    from imuhinge.cli.analyse_cmd import thresholds_from
    from imuhinge.live import LiveProcessor
    from imuhinge.live.simulated import session_blocks
    from imuhinge.simulation import SessionConfig, simulate_session

    profile = profile_named("tall-kneel-raise")
    sensors = ("pelvis", "thorax")
    config = SessionConfig.random(2007, sensors, exercise=profile.name)
    recording, truth = simulate_session(config)
    last_end_s = config.sets[-1].reps[-1].end_s
    true_rep = next(r for r in truth.reps if r.end_s == pytest.approx(last_end_s, abs=1e-3))
    assert "short_of_neutral" in true_rep.labels and true_rep.hip_extension_short_deg > 12.0
    thresholds = thresholds_from(argparse.Namespace(), profile)
    analysis = analyse_recording(recording, thresholds, exercise=profile)
    processor = LiveProcessor(sensors, thresholds, exercise=profile)
    for _, label, block in session_blocks(recording):
        processor.feed(label, block.time_s, block.acc_g, block.gyr_dps)
    processor.finish()
    for reps in (analysis.reps, [live.result for live in processor.reps]):
        found = min(reps, key=lambda r: abs(r.bottom_s - true_rep.bottom_s))
        assert found.end_s > true_rep.end_s + 0.5  # the span takes in the settling back
        assert "short_of_neutral" in found.flags
        assert found.hip_extension_short_deg == pytest.approx(true_rep.hip_extension_short_deg, abs=1.0)


def test_bridge_short_of_neutral_is_measured_against_the_best_reps():
    depths = [35.0] * 9 + [20.0]
    trace, spans = _bump_trace(depths, [0.0] * 10, [2.0 + 3.5 * i for i in range(10)])
    reps = [_rep(i + 1) for i in range(10)]
    out = add_rep_metrics(reps, spans, -trace, RATE_HZ, profile_named("bridge"), 0.6, ExerciseSettings())
    assert out[-1].hip_extension_short_deg == pytest.approx(15.0, abs=0.1)
    assert all(r.hip_extension_short_deg == pytest.approx(0.0, abs=0.1) for r in out[:-1])


def test_depth_change_is_the_distance_from_the_sets_median_depth_in_percent():
    trace, spans = _bump_trace([40.0, 40.0, 50.0, 40.0, 30.0], [0.0] * 5, [2.0, 5.0, 8.0, 11.0, 14.0])
    reps = [_rep(i + 1) for i in range(5)]
    out = add_rep_metrics(reps, spans, trace, RATE_HZ, profile_named("kettlebell-swing"), 0.6, ExerciseSettings())
    assert [r.depth_change_pct for r in out] == pytest.approx([0.0, 0.0, 25.0, 0.0, 25.0], abs=0.2)


def test_rep_rate_is_the_pace_of_each_set():
    starts = [2.0, 5.0, 8.0, 11.0, 25.0, 27.0, 29.0]  # a set every 3 s, then one every 2 s
    trace, spans = _bump_trace([40.0] * 7, [0.0] * 7, starts, rep_s=1.8)
    reps = [_rep(i + 1) for i in range(7)]
    out = add_rep_metrics(reps, spans, trace, RATE_HZ, profile_named("hip-hinge"), 0.6, ExerciseSettings())
    assert [r.rep_rate_per_min for r in out] == pytest.approx([20.0] * 4 + [30.0] * 3, abs=0.1)


def test_sets_split_at_long_pauses():
    assert split_sets([(0, 2), (3, 5), (20, 22), (23, 25)], 6.0) == [[0, 1], [2, 3]]


def test_profile_checks_flag_with_their_sentence_and_both_sides_of_side_bend():
    profile = profile_named("suitcase-deadlift")
    rep = apply_checks(_rep(1, side_bend_deg=-14.0, rotation_deg=3.0), profile, ("pelvis",))
    assert rep.flags == ["side_bend"]
    assert rep.reasons == ["You bent 14° to the side (limit 10°): stay in the midline and resist the weight pulling you over."]
    assert apply_checks(_rep(1, side_bend_deg=4.0, rotation_deg=-16.0), profile, ("pelvis",)).flags == ["rotation"]
    gap = _rep(1, side_bend_deg=30.0, flags=["gap"], reasons=["x"])
    assert apply_checks(gap, profile, ("pelvis",)).flags == ["gap"]


def test_a_drill_without_a_rounding_check_drops_the_rounded_flag():
    rep = _rep(1, flags=["rounded"], reasons=["r"])
    assert drop_unchecked(rep, profile_named("bridge")).flags == []
    assert drop_unchecked(rep, profile_named("kettlebell-deadlift")).flags == ["rounded"]


@pytest.fixture(scope="module")
def bundled():
    return read_recording(BUNDLED)


def test_kettlebell_deadlift_by_name_gives_exactly_the_analysis_without_a_drill(bundled):
    plain = analyse_recording(bundled)
    named = analyse_recording(bundled, exercise=profile_named("kettlebell-deadlift"))
    strip = lambda rep: {k: v for k, v in asdict(rep).items() if k not in NEW_FIELDS}  # noqa: E731
    assert [strip(r) for r in named.reps] == [strip(r) for r in plain.reps]
    a, b = analysis_to_dict(plain), analysis_to_dict(named)
    assert "exercise" not in a
    assert b["exercise"]["name"] == "kettlebell-deadlift"
    assert b["exercise"]["checks_measured"] == ["rounded", "overextended"]
    for key in a:
        if key != "reps":
            assert a[key] == b[key], key


@pytest.fixture(scope="module")
def walking_deadlifts():
    """A simulated deadlift session with walking between its sets (seed 1)."""
    from imuhinge.simulation import SessionConfig, simulate_session

    recording, _ = simulate_session(SessionConfig.random(1, ("pelvis", "thorax"), scenario="deadlift"))
    return recording


def test_a_standing_recording_analysed_as_a_bridge_is_refused(walking_deadlifts):
    with pytest.raises(AnalysisError, match="starts lying on the back"):
        analyse_recording(walking_deadlifts, exercise=profile_named("bridge"))


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "imuhinge", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_unknown_exercise_is_one_sentence_and_exit_2(tmp_path):
    done = _run("analyse", str(BUNDLED), "--exercise", "cartwheel", cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown exercise 'cartwheel'" in done.stderr and "bridge" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_the_recordings_exercise_line_is_the_default_and_the_option_wins(tmp_path, bundled):
    path = tmp_path / "hinge.csv"
    write_recording(replace(bundled, metadata={**bundled.metadata, "exercise": "hip-hinge"}), path)
    done = _run("analyse", str(path), "--json", "a.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "a.json").read_text())["exercise"]["name"] == "hip-hinge"
    assert re.search(r"Hip hinge · (Reps \d+ / 15|\d+ sets: [\d +]+ reps \(target 15 a set\))", done.stdout)
    done = _run("analyse", str(path), "--exercise", "kettlebell-swing", "--json", "b.json", cwd=tmp_path)
    assert json.loads((tmp_path / "b.json").read_text())["exercise"]["name"] == "kettlebell-swing"


def test_a_posture_mismatch_exits_2_with_one_sentence(tmp_path, walking_deadlifts):
    write_recording(walking_deadlifts, tmp_path / "standing.csv")
    done = _run("analyse", "standing.csv", "--exercise", "bridge", cwd=tmp_path)
    assert done.returncode == 2
    assert "starts lying on the back" in done.stderr and "Traceback" not in done.stderr


def test_plot_takes_exercise_too(tmp_path):
    done = _run("plot", str(BUNDLED), "--exercise", "hip-hinge", "-o", "p.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")


def _benchmark():
    """``benchmarks/exercises.py`` as a module (it scores a drill's session against truth)."""
    import importlib.util

    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("exercises_benchmark", ROOT / "benchmarks" / "exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ACCURACY_SEEDS = (2000, 2001)
"""Test seeds (the benchmark's 2000–2039 were measured in full; see the README's table)."""
ONE_SENSOR_BELOW_TARGET = {"rounded"}
"""With one sensor the lower back is estimated (``rounded``): measured below the target,
so not asserted here."""


@pytest.mark.parametrize("mode", ["two-sensor", "one-sensor"])
@pytest.mark.parametrize("drill", [
    "bridge", "tall-kneel-raise", "banded-tall-kneel-raise", "banded-hip-thrust", "wall-touch-hinge",
    "hip-hinge", "lat-engagement", "kettlebell-deadlift", "single-arm-kettlebell-lift", "suitcase-deadlift",
    "kettlebell-swing",
])
def test_each_drill_meets_its_accuracy_targets_against_the_simulators_truth(drill, mode):
    """Reps (or holds) found and real ≥ 99%, and each measured check's F1 ≥ 0.95 (on two
    sessions a flag has few positives, so a single miss or false alarm is let through;
    the full figures come from ``benchmarks/exercises.py``)."""
    bench = _benchmark()
    summary = bench.summarise([bench.score_drill_seed((drill, seed, mode)) for seed in ACCURACY_SEEDS])
    assert not summary["errors"]
    assert summary["found_pct"] >= 99.0 and summary["real_pct"] >= 99.0, summary
    for flag, figures in summary["flags"].items():
        if mode == "one-sensor" and flag in ONE_SENSOR_BELOW_TARGET or not figures["positives"]:
            continue
        tp = figures["recall"] * figures["positives"]
        errors = round(2 * tp / figures["f1"] - 2 * tp) if figures["f1"] > 0 else figures["positives"]
        assert figures["f1"] >= 0.95 or errors <= 1, (flag, figures)


def test_a_lat_engagement_hold_is_one_hold_with_its_time_and_no_reps():
    from imuhinge.simulation import SessionConfig, simulate_session

    recording, truth = simulate_session(SessionConfig.random(2003, ("pelvis", "thorax"), exercise="lat-engagement"))
    analysis = analyse_recording(recording, exercise=profile_named("lat-engagement"))
    assert analysis.reps == [] and len(analysis.holds) == 1
    true_s = truth.holds[0]["end_s"] - truth.holds[0]["start_s"]
    assert analysis.holds[0].duration_s >= 0.9 * true_s
    assert analysis.exercise["hold_total_s"] == pytest.approx(analysis.holds[0].duration_s, abs=0.01)


def test_an_unsteady_hold_is_flagged_when_the_axes_could_not_be_found():
    """Seed 2021, one sensor: the pelvis barely moved before the hold, so its left axis was
    not found from movement, and the hold's forward sway reads mostly as side bend. The
    sway counts the tilt both ways, so the hold is still unsteady (its sagittal angle
    alone gave 0.7°)."""
    from imuhinge.simulation import SessionConfig, simulate_session

    recording, truth = simulate_session(SessionConfig.random(2021, ("pelvis",), exercise="lat-engagement"))
    analysis = analyse_recording(recording, exercise=profile_named("lat-engagement"))
    assert any("could not be found" in warning for warning in analysis.warnings)
    assert truth.holds[0]["labels"] == ["unsteady"] and len(analysis.holds) == 1
    assert "unsteady" in analysis.holds[0].flags
    assert analysis.holds[0].sway_deg == pytest.approx(truth.holds[0]["sway_deg"], abs=1.5)


def test_a_one_sided_hinge_does_not_read_as_side_bend():
    """The left axis is refitted from the reps, so a clean suitcase deadlift's side bend is
    within a few degrees of the truth (it read 9–12° when faulty reps tilted the axis)."""
    from imuhinge.simulation import SessionConfig, simulate_session

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scoring import match_reps

    recording, truth = simulate_session(SessionConfig.random(1004, ("pelvis", "thorax"), exercise="suitcase-deadlift"))
    analysis = analyse_recording(recording, exercise=profile_named("suitcase-deadlift"))
    errors = [abs(abs(analysis.reps[i].side_bend_deg) - truth.reps[j].side_bend_deg)
              for i, j in match_reps(analysis.reps, truth.reps)]
    assert errors and float(np.median(errors)) < 1.5


@pytest.mark.parametrize("seed, sensors", [(2033, ("pelvis", "thorax")), (2013, ("pelvis",))])
def test_twisting_single_arm_lifts_do_not_leak_the_hinge_into_side_bend(seed, sensors):
    """The single-arm lift twists often, and a twist during a hinge turns the segment about
    its anterior axis; a left axis fitted on the rates leaned towards it and read part of
    every deep hinge as side bend (these sessions' reps were up to 2.9° and 3.5° off the
    truth). Fitted on the frontal tilt, which a twist does not enter, every rep is within
    1.5° (0.8° and 1.0°)."""
    from imuhinge.simulation import SessionConfig, simulate_session

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scoring import match_reps

    recording, truth = simulate_session(SessionConfig.random(seed, sensors, exercise="single-arm-kettlebell-lift"))
    analysis = analyse_recording(recording, exercise=profile_named("single-arm-kettlebell-lift"))
    errors = [abs(abs(analysis.reps[i].side_bend_deg) - truth.reps[j].side_bend_deg)
              for i, j in match_reps(analysis.reps, truth.reps) if "gap" not in truth.reps[j].labels]
    assert len(errors) >= 14 and max(errors) < 1.5
