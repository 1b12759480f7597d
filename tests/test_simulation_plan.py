"""The simulator performs a whole session plan in one continuous session (issue 6)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuhinge.cli.main import main
from imuhinge.errors import BadInputError
from imuhinge.exercises import profile_named
from imuhinge.exercises.plan import PLAN_KEY, SessionPlan, parse_plan_line, plan_file_name, plan_named
from imuhinge.pipeline.analyse import analyse_recording
from imuhinge.recording import read_recording
from imuhinge.simulation import PlanConfig, SessionConfig, Truth, cut_session, perform_plan, simulate_plan
from imuhinge.simulation.plan import plan_truth_file_name

REPS = 3
PROGRESSION = plan_named("progression")
MIXED = SessionPlan(
    "mixed", "Every posture change", "",
    ("hip-hinge", "bridge", "bridge", "hip-hinge", "tall-kneel-raise", "bridge", "tall-kneel-raise",
     "tall-kneel-raise", "hip-hinge", "hip-hinge"),
)
"""A plan with every posture change the simulator has (the progression has four)."""
ENTERED_UPRIGHT = {"steps", "stance-shift"}
"""Posture changes that keep the trunk upright and do not lean: the part's recording
from its start holds nothing rep-like before the quiet in the new posture."""


@pytest.fixture(scope="module")
def plans():
    """The progression at seeds 2000–2003, 3 reps a drill, 100 Hz, all faults."""
    return {seed: simulate_plan(seed, reps_per_drill=REPS, rate_hz=100.0) for seed in range(2000, 2004)}


def _motion_into(truth: Truth) -> str:
    return next((e["motion"] for e in truth.events if e["kind"] == "transition"), "first")


def test_parts_are_the_plans_drills_in_order_each_with_one_set(plans):
    for simulated in plans.values():
        assert simulated.plan == "progression"
        assert tuple(p.drill for p in simulated.parts) == PROGRESSION.drills
        assert simulated.parts[0].start_s == 0.0
        for part, after in zip(simulated.parts, simulated.parts[1:]):
            assert part.end_s == after.start_s
        assert simulated.parts[-1].end_s == pytest.approx(simulated.config.duration_s)
        for k, part in enumerate(simulated.parts):
            profile = profile_named(part.drill)
            truth = part.truth
            assert truth.exercise == part.drill and truth.posture == profile.start_posture
            quiet_s = part.set_start_s - part.start_s
            if k == 0:
                assert 4.0 <= quiet_s <= 6.0
            else:
                transition = simulated.config.parts[k].transition
                assert 3.0 <= transition.end_s - transition.start_s <= 5.0
                assert transition.start_s == part.start_s
                assert 4.0 <= part.set_start_s - transition.end_s <= 6.0
            assert part.end_s - part.set_end_s >= 6.0
            if profile.kind == "hold":
                assert truth.reps == [] and len(truth.holds) == 1
                assert part.set_start_s <= truth.holds[0]["start_s"] < truth.holds[0]["end_s"] <= part.set_end_s
            else:
                assert len(truth.reps) == REPS and truth.holds == []
                assert truth.reps[0].start_s == pytest.approx(part.set_start_s, abs=1e-3)
                assert truth.reps[-1].end_s == pytest.approx(part.set_end_s, abs=1e-3)
                assert [r.rep for r in truth.reps] == [1, 2, 3]


def test_without_reps_per_drill_every_set_has_its_drills_target():
    config = PlanConfig.random(2004)
    for part in config.parts:
        profile = profile_named(part.drill)
        if profile.kind == "reps":
            assert len(part.config.sets) == 1 and len(part.config.sets[0].reps) == profile.target_reps
        else:
            assert part.config.sets == () and sum(a.kind == "hold" for a in part.config.activities) == 1


def test_one_person_one_clip_one_set_of_faults_throughout():
    config = PlanConfig.random(2005, reps_per_drill=REPS)
    single = SessionConfig.random(2005, exercise="hip-hinge")
    for part in config.parts:
        assert part.config.body == replace(single.body, posture=part.config.body.posture)
        assert part.config.sensor_setups == config.sensor_setups
        assert part.config.background == single.background
    for plan_setup, single_setup in zip(config.sensor_setups, single.sensor_setups):
        assert plan_setup.segment_to_sensor == single_setup.segment_to_sensor
        assert plan_setup.faults.gyro_bias_dps == single_setup.faults.gyro_bias_dps
    assert config.rate_hz == single.rate_hz


def _gyro_turns_gravity(stream, start_s: float, end_s: float) -> tuple[float, float]:
    """(angle between the accelerometer's directions at start_s and end_s, angle between
    the end direction and the start direction carried by the integrated gyroscope), °."""
    t, acc, gyr = stream.time_s, stream.acc_g, np.radians(stream.gyr_dps)
    first, last = np.searchsorted(t, start_s), np.searchsorted(t, end_s)
    turned = Rotation.identity()
    for i in range(first, last):
        turned = turned * Rotation.from_rotvec(0.5 * (gyr[i] + gyr[i + 1]) * (t[i + 1] - t[i]))
    before, after = acc[first] / np.linalg.norm(acc[first]), acc[last] / np.linalg.norm(acc[last])
    carried = turned.inv().apply(before)
    angle = lambda a, b: float(np.degrees(np.arccos(np.clip(a @ b, -1.0, 1.0))))  # noqa: E731
    return angle(before, after), angle(carried, after)


@pytest.mark.parametrize("seed, plan", [(2006, PROGRESSION), (2007, PROGRESSION), (2008, MIXED), (2009, MIXED)])
def test_the_gyroscope_carries_gravity_through_every_transition(seed, plan):
    """Ideal sensors: integrating the gyroscope over a posture change turns the start's
    gravity direction into the end's, and the accelerometer has no jump at its ends."""
    config = PlanConfig.random(seed, plan=plan, reps_per_drill=2, rate_hz=200.0).without_faults()
    simulated = perform_plan(config)
    motions = set()
    for part in config.parts[1:]:
        transition = part.transition
        motions.add(transition.motion)
        for stream in simulated.recording.streams.values():
            change_deg, error_deg = _gyro_turns_gravity(stream, transition.start_s - 0.5, transition.end_s + 0.5)
            assert error_deg < 1.5, (transition.motion, error_deg)
            if {transition.from_posture, transition.to_posture} == {"lying"} or "lying" not in (
                transition.from_posture, transition.to_posture
            ):
                assert change_deg < 10.0, (transition.motion, change_deg)
            else:
                assert 75.0 < change_deg < 105.0, (transition.motion, change_deg)
            for edge_s in (transition.start_s, transition.end_s):
                near = (stream.time_s > edge_s - 0.1) & (stream.time_s < edge_s + 0.1)
                jolt = np.abs(np.diff(stream.acc_g[near], n=2, axis=0)).max()
                assert jolt < 0.01, (transition.motion, edge_s, jolt)
            still = (stream.time_s > transition.end_s + 1.0) & (stream.time_s < part.set_start_s - 1.6)
            assert np.linalg.norm(stream.acc_g[still], axis=1) == pytest.approx(1.0, abs=0.02)
    if plan is MIXED:
        assert motions >= {"lie-down", "shuffle", "stand-up", "kneel-down", "kneel-shift", "get-up"}
    else:
        assert motions >= {"roll-up", "kneel-shift", "get-up"}


def test_without_transport_faults_the_samples_are_regular_and_still_measured():
    measured = simulate_plan(2010, reps_per_drill=2, rate_hz=100.0, transport_faults=False)
    ideal = perform_plan(measured.config.without_faults())
    counts = set()
    for label, stream in measured.recording.streams.items():
        assert np.diff(stream.time_s) == pytest.approx(0.01, abs=1e-6)
        counts.add(len(stream.time_s))
        assert not np.allclose(stream.acc_g, ideal.recording.streams[label].acc_g, atol=1e-3)  # bias, noise, scale
    assert len(counts) == 1


def test_part_recordings_are_what_a_live_plan_folder_holds(plans):
    simulated = plans[2000]
    parts = simulated.part_recordings()
    assert [p.drill for p, _, _ in parts] == list(PROGRESSION.drills)
    for label, stream in simulated.recording.streams.items():
        assert sum(len(rec.streams[label].time_s) for _, rec, _ in parts) == len(stream.time_s)
    for index, (part, recording, truth) in enumerate(parts, start=1):
        assert recording.metadata["exercise"] == part.drill
        place = parse_plan_line(recording.metadata["plan"])
        assert (place.plan, place.index, place.count) == ("progression", index, 11)
        assert recording.metadata["simulated"] == simulated.recording.metadata["simulated"]
        pelvis = recording.streams["pelvis"].time_s
        assert 0.0 <= pelvis[0] < 0.05 and pelvis[-1] <= part.end_s - part.start_s + 1e-9
        assert truth.duration_s == pytest.approx(part.end_s - part.start_s, abs=1e-3)
        for rebased, original in zip(truth.reps, part.truth.reps):
            assert rebased.start_s == pytest.approx(original.start_s - part.start_s, abs=1e-4)
            assert rebased.labels == original.labels
        for rebased, original in zip(truth.holds, part.truth.holds):
            assert rebased["start_s"] == pytest.approx(original["start_s"] - part.start_s, abs=1e-4)


def _found(recording, drill: str) -> int:
    analysis = analyse_recording(recording, exercise=profile_named(drill))
    return len(analysis.holds or []) if profile_named(drill).kind == "hold" else len(analysis.reps)


def _expected(truth: Truth) -> int:
    return len(truth.holds) if truth.holds else len(truth.reps)


def test_every_part_is_analysed_to_its_reps_once_in_its_posture(plans):
    """Each part from the end of its posture change (the recording a drill of its own
    would be): the offline analysis counts exactly the true reps (or the hold)."""
    for seed, simulated in plans.items():
        for part, recording, truth in simulated.part_recordings():
            settled_s = next((e["end_s"] for e in truth.events if e["kind"] == "transition"), 0.0)
            settled, _ = cut_session(recording, truth, settled_s, np.inf)
            settled.metadata.pop(PLAN_KEY)  # a drill of its own, not a part of a plan
            assert _found(settled, part.drill) == _expected(truth), (seed, part.drill)


def test_parts_entered_upright_are_analysed_to_their_reps_whole(plans):
    """Parts whose recording starts quiet or with steps (the first, and standing drills
    after standing drills): analysed whole, as the live plan folder holds them."""
    checked = 0
    for seed, simulated in plans.items():
        for part, recording, truth in simulated.part_recordings():
            if _motion_into(truth) in ENTERED_UPRIGHT | {"first"}:
                assert _found(recording, part.drill) == _expected(truth), (seed, part.drill)
                checked += 1
    assert checked >= 4 * 8


def test_parts_after_a_posture_change_are_analysed_to_their_reps_whole(plans):
    """As a live plan folder holds them: each file starts in the previous drill's rest, then
    the move into position (roll-up, get-up, kneel shift), which is not a rep: the analysis
    of a plan's later drill starts where the person is in position (``between_drills``)."""
    for seed, simulated in plans.items():
        for part, recording, truth in simulated.part_recordings():
            if _motion_into(truth) not in ENTERED_UPRIGHT | {"first"}:
                assert _found(recording, part.drill) == _expected(truth), (seed, part.drill, _motion_into(truth))


def test_reps_per_drill_must_be_a_whole_number_from_one():
    with pytest.raises(BadInputError):
        PlanConfig.random(2011, reps_per_drill=0)
    with pytest.raises(BadInputError):
        simulate_plan(2011, plan="no-such-plan")


def test_simulate_plan_writes_a_live_plan_folder(tmp_path, capsys):
    out = tmp_path / "plan"
    status = main(["simulate", "--plan", "progression", "--out", str(out), "--truth", "--reps-per-drill", "2",
                   "--seed", "2012", "--rate-hz", "50", "--sensors", "pelvis"])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "11 drills" in printed and "01-bridge.csv" in printed
    expected = sorted([plan_file_name(i, d) for i, d in enumerate(PROGRESSION.drills, start=1)]
                      + [plan_truth_file_name(i, d) for i, d in enumerate(PROGRESSION.drills, start=1)])
    assert sorted(p.name for p in out.iterdir()) == expected
    recording = read_recording(out / "04-banded-hip-thrust.csv")
    assert recording.metadata["plan"] == "progression, drill 4 of 11"
    assert recording.metadata["exercise"] == "banded-hip-thrust" and recording.sensors == ("pelvis",)
    truth = Truth.read(out / "04-banded-hip-thrust.truth.json")
    assert len(truth.reps) == 2 and truth.exercise == "banded-hip-thrust"
    assert recording.streams["pelvis"].time_s[-1] <= truth.duration_s


@pytest.mark.parametrize("extra", [
    ["--exercise", "bridge"], ["--scenario", "swing"], ["--duration-s", "60"], ["--truth", "t.json"],
])
def test_simulate_plan_refuses_what_does_not_apply(tmp_path, capsys, extra):
    assert main(["simulate", "--plan", "progression", "--out", str(tmp_path / "p"), *extra]) == 2
    assert "imuhinge:" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_simulate_plan_refuses_a_folder_in_use_and_plan_options_alone(tmp_path, capsys):
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine")
    assert main(["simulate", "--plan", "progression", "--out", str(used)]) == 2
    assert "already exists and is not an empty folder" in capsys.readouterr().err
    assert main(["simulate", "--out", str(tmp_path / "s.csv"), "--reps-per-drill", "3"]) == 2
    assert main(["simulate", "--out", str(tmp_path / "s.csv"), "--truth"]) == 2
    assert "--truth needs a file name" in capsys.readouterr().err
