"""`imuhinge live --plan`: a session plan walked through live, from the simulator's whole
progression (``imuhinge.simulation.simulate_plan``), as fast as it goes.

What must hold: the plan moves through every drill by itself, each drill's samples land in
its own file (none lost, none written twice, even when one sensor's samples arrive late),
each drill calibrates in its own posture, and the live verdicts agree with the
end-of-session analysis of each drill's file."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from imuhinge.cli.analyse_cmd import thresholds_from
from imuhinge.cli.main import main
from imuhinge.exercises import plan_file_name, plan_named
from imuhinge.live.plan import PlanSession
from imuhinge.live.session import sensor_infos
from imuhinge.live.simulated import session_blocks
from imuhinge.recording import read_recording
from imuhinge.simulation import simulate_plan

REPS = 3
PLAN = plan_named("progression")


def _flat(text: str) -> str:
    """Printed text with the terminal's line wrapping undone."""
    return " ".join(text.split())


@pytest.mark.parametrize("seed", [2003, 2011])
def test_simulated_plan_runs_the_whole_progression(seed, tmp_path, capsys):
    folder = tmp_path / "session"
    status = main(["live", "--simulate", "--plan", "progression", "--target-reps", str(REPS), "--speed", "1000",
                   "--seed", str(seed), "--out", str(folder), "--json", str(tmp_path / "plan.json")])
    printed = _flat(capsys.readouterr().out)

    assert status == 0, printed
    assert "Stopped (plan complete) after 11 of 11 drills" in printed
    simulated = simulate_plan(seed, ("pelvis", "thorax"), "progression", reps_per_drill=REPS)
    recorded = {"pelvis": 0, "thorax": 0}
    for index, name in enumerate(PLAN.drills, start=1):
        recording = read_recording(folder / plan_file_name(index, name))
        assert recording.metadata["exercise"] == name
        assert recording.metadata["plan"] == f"progression, drill {index} of 11"
        for label, stream in recording.streams.items():
            recorded[label] += len(stream.time_s)
            assert stream.time_s[0] >= 0.0 and np.all(np.diff(stream.time_s) > 0)
    # the plan ends a few seconds after the last set: everything before that is in the files
    last_s = simulated.parts[-1].set_end_s
    for label, stream in simulated.recording.streams.items():
        assert int(np.sum(stream.time_s <= last_s)) <= recorded[label] <= len(stream.time_s), label
    profiles = PLAN.profiles()
    marks = [f"{i}. {p.title}:" for i, p in enumerate(profiles, start=1)] + ["Session plan"]
    for profile, mark, following in zip(profiles, marks, marks[1:]):
        line = printed[printed.index(mark) + len(mark) : printed.index(following)]
        if profile.kind == "hold":
            assert "in 1 hold(s)" in line and "agreed on 1 of 1 hold" in line, line
        else:
            assert f"(live found {REPS}, matched {REPS})" in line, line


def test_a_late_sensor_s_samples_still_reach_the_drill_they_belong_to(tmp_path):
    """The thorax's samples arrive 0.2 s after the pelvis's: at every switch some of them
    were taken before it and arrive after it; they go to the finished drill's file.
    Every sample is in exactly one file."""
    simulated = simulate_plan(2005, ("pelvis", "thorax"), "progression", reps_per_drill=REPS)
    recording = simulated.recording
    session = PlanSession(
        PLAN, tmp_path / "late", sensor_infos({"pelvis": "sim", "thorax": "sim"}, {"pelvis": 100.0, "thorax": 100.0}),
        lambda profile: thresholds_from(argparse.Namespace(), profile), target_reps=REPS,
    )
    session.start()
    blocks = sorted(session_blocks(recording), key=lambda b: b[0] + (0.2 if b[1] == "thorax" else 0.0))
    for _, label, block in blocks:
        session.add(label, block)
        if session.finished:
            break
    session.close()

    assert session.finished and len(session.parts) == len(PLAN.drills)
    total = {"pelvis": 0, "thorax": 0}
    for part, following in zip(session.parts, session.parts[1:] + [None]):
        written = read_recording(part.path)
        for label, stream in written.streams.items():
            total[label] += len(stream.time_s)
            session_s = stream.time_s + part.start_s
            if following is not None:  # every sample taken up to the switch, and none after
                assert session_s[-1] <= following.start_s + 1e-3
                taken = recording.streams[label].time_s
                before = taken[(taken > part.start_s) & (taken <= following.start_s)] if part.index > 1 else (
                    taken[taken <= following.start_s])
                assert len(stream.time_s) == len(before), (part.profile.name, label)
    for label in total:
        assert total[label] <= len(recording.streams[label].time_s)


def test_each_drill_after_a_posture_change_calibrates_in_its_new_posture(tmp_path):
    """The bridge's lying rest is not taken for tall kneeling: the kneeling drill's pelvis
    "up" is about a right angle from the bridge's, and the standing drill after the
    kneeling ones has the same "up" as they (both upright)."""
    simulated = simulate_plan(2007, ("pelvis", "thorax"), "progression", reps_per_drill=REPS)
    session = PlanSession(
        PLAN, tmp_path / "s", sensor_infos({"pelvis": "sim", "thorax": "sim"}, {"pelvis": 100.0, "thorax": 100.0}),
        lambda profile: thresholds_from(argparse.Namespace(), profile), target_reps=REPS,
    )
    session.start()
    for _, label, block in session_blocks(simulated.recording):
        session.add(label, block)
        if session.finished:
            break
    session.close()
    ups = [part.processor.pelvis_up_sensor for part in session.parts]

    def angle_deg(a, b):
        return float(np.degrees(np.arccos(np.clip(a @ b, -1.0, 1.0))))

    assert 70.0 < angle_deg(ups[0], ups[1]) < 110.0  # lying → kneeling
    assert angle_deg(ups[1], ups[3]) < 15.0  # kneeling → standing
    for part in session.parts:
        assert len(part.processor.reps) == (0 if part.profile.kind == "hold" else REPS), part.profile.name


def test_plan_with_an_exercise_is_refused(tmp_path, capsys):
    assert main(["live", "--simulate", "--plan", "progression", "--exercise", "bridge",
                 "--out", str(tmp_path / "x")]) == 2
    assert "leave out --exercise" in capsys.readouterr().err


def test_unknown_plan_and_a_used_folder_are_refused(tmp_path, capsys):
    assert main(["live", "--simulate", "--plan", "everything", "--out", str(tmp_path / "x")]) == 2
    assert "unknown plan 'everything'" in capsys.readouterr().err
    used = tmp_path / "used"
    used.mkdir()
    (used / "01-bridge.csv").write_text("x")
    assert main(["live", "--simulate", "--plan", "progression", "--out", str(used)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
