"""The exercise profiles: every bundled drill loads and validates, the programme is one
chain from the bridge to the swing, a broken profile is refused in one sentence, and
`imuhinge exercises` lists and shows them."""

from __future__ import annotations

import pytest

from imuhinge.cli.main import main
from imuhinge.errors import BadInputError
from imuhinge.exercises import load_profiles, profile_named
from imuhinge.exercises.profile import METRICS, _profile_from

PROGRAMME = (
    "bridge", "tall-kneel-raise", "banded-tall-kneel-raise", "banded-hip-thrust", "wall-touch-hinge",
    "hip-hinge", "lat-engagement", "kettlebell-deadlift", "single-arm-kettlebell-lift", "suitcase-deadlift",
    "kettlebell-swing",
)


def test_every_drill_of_the_programme_is_there_in_order_and_chained():
    profiles = load_profiles()
    assert tuple(profiles) == PROGRAMME
    for here, there in zip(PROGRAMME, PROGRAMME[1:]):
        assert profiles[here].next_drill == there
    assert profiles["kettlebell-swing"].next_drill is None


def test_each_drill_has_the_checks_the_programme_asks_for():
    p = load_profiles()
    flags = {name: {c.flag for c in profile.checks} for name, profile in p.items()}
    for name in ("bridge", "tall-kneel-raise", "banded-tall-kneel-raise"):
        assert {"short_of_neutral", "overextended"} <= flags[name]  # neutral reached, no arching
    for name in ("single-arm-kettlebell-lift", "suitcase-deadlift"):
        assert {"side_bend", "rotation"} <= flags[name]
    assert {"rounded", "overextended", "no_lockout", "depth_varies"} <= flags["kettlebell-swing"]
    assert p["lat-engagement"].kind == "hold" and p["lat-engagement"].target_hold_s > 0
    assert p["bridge"].start_posture == "lying" and p["tall-kneel-raise"].start_posture == "kneeling"
    assert all(profile.target_reps == 15 for profile in p.values() if profile.kind == "reps")


def test_lumbar_checks_need_the_thorax_sensor():
    deadlift = profile_named("kettlebell-deadlift")
    assert {c.flag for c in deadlift.checks_measurable(("pelvis",))} == set()
    assert {c.flag for c in deadlift.checks_measurable(("pelvis", "thorax"))} == {"rounded", "overextended"}
    suitcase = profile_named("suitcase-deadlift")
    assert {c.flag for c in suitcase.checks_measurable(("pelvis",))} == {"side_bend", "rotation"}


def test_a_check_fires_only_beyond_its_limit_and_explains_itself():
    side = next(c for c in profile_named("suitcase-deadlift").checks if c.flag == "side_bend")
    assert not side.fires(None) and not side.fires(side.above) and side.fires(side.above + 0.1)
    assert side.sentence(14.2) .startswith("You bent 14° to the side (limit 10°)")


VALID = {
    "name": "x", "title": "X", "order": 1, "cue": "Do it.", "start_posture": "standing", "kind": "reps",
    "rep": {"angle": "pelvis_tilt", "direction": "forward", "expected_range_deg": [10, 40]},
    "checks": [{"flag": "rounded", "metric": "lumbar_flexion_deg", "above": 20.0, "reason": "{value} > {limit}"}],
}


@pytest.mark.parametrize("change, words", [
    ({"start_posture": "sitting"}, "start_posture must be one of lying, kneeling, standing"),
    ({"kind": "sets"}, "kind must be one of"),
    ({"rep": {"angle": "pelvis_tilt", "direction": "up", "expected_range_deg": [10, 40]}}, "rep.direction"),
    ({"rep": {"angle": "pelvis_tilt", "direction": "forward", "expected_range_deg": [40, 10]}}, "smallest first"),
    ({"checks": [{"flag": "f", "metric": "speed", "above": 1.0, "reason": "r"}]}, "unknown metric 'speed'"),
    ({"checks": [{"flag": "f", "metric": "rotation_deg", "reason": "r"}]}, "exactly one of 'above' or 'below'"),
    ({"checks": [{"flag": "f", "metric": "rotation_deg", "above": 1.0, "reason": "{nope}"}]}, "cannot be filled in"),
    ({"kind": "hold"}, "a hold needs target_hold_s"),
    ({"order": "first"}, "invalid literal"),
])
def test_a_broken_profile_is_refused_in_one_sentence(change, words):
    data = {**VALID, **change}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(BadInputError, match=words):
        _profile_from(data, "broken.toml")


def test_missing_field_is_named():
    data = dict(VALID)
    del data["cue"]
    with pytest.raises(BadInputError, match="broken.toml: missing 'cue'"):
        _profile_from(data, "broken.toml")


def test_every_metric_used_is_documented():
    used = {c.metric for p in load_profiles().values() for c in p.checks}
    assert used <= set(METRICS)


def test_exercises_command_lists_and_shows(capsys):
    assert main(["exercises"]) == 0
    listed = capsys.readouterr().out
    for name in PROGRAMME:
        assert name in listed
    assert main(["exercises", "bridge"]) == 0
    shown = capsys.readouterr().out
    assert "Double-leg bridge" in shown and "short_of_neutral" in shown and "Next in the programme" in shown
    assert main(["exercises", "squat"]) == 2
    assert "unknown exercise 'squat'" in capsys.readouterr().err
