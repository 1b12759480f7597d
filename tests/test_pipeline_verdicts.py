"""Step 7: flags, and reasons in plain words with the number and the limit."""

from imuhinge.pipeline.result import RepResult
from imuhinge.pipeline.verdicts import judge_rep
from imuhinge.settings import Thresholds


def _rep(**changes):
    fields = dict(
        rep=1, start_s=5.0, bottom_s=6.0, end_s=7.0, pelvis_tilt_deg=40.0, trunk_inclination_deg=71.0,
        lumbar_flexion_deg=31.0, lumbar_flexion_source="measured", lockout_extension_deg=12.4,
        hinge_ratio=0.56, eccentric_s=1.0, concentric_s=1.0,
    )
    fields.update(changes)
    return RepResult(**fields)


def test_rounded_and_overextended_with_numbers_and_limits():
    rep = judge_rep(_rep(), Thresholds(), [])
    assert rep.flags == ["rounded", "overextended"]
    assert rep.reasons[0] == (
        "Your lower back rounded by 31° (limit 20°): keep your back long and push the hips back."
    )
    assert "12°" in rep.reasons[1] and "limit 10°" in rep.reasons[1]


def test_a_clean_rep_has_no_flags():
    rep = judge_rep(_rep(lumbar_flexion_deg=8.0, lockout_extension_deg=2.0), Thresholds(), [])
    assert rep.flags == [] and rep.reasons == []


def test_one_sensor_reasons_say_estimated():
    rep = judge_rep(
        _rep(lumbar_flexion_source="estimated", lockout_extension_deg=None), Thresholds(), []
    )
    assert rep.flags == ["rounded"]
    assert "estimated 31°" in rep.reasons[0]


def test_a_rep_in_a_long_gap_is_not_judged():
    rep = judge_rep(_rep(), Thresholds(), [(6.2, 6.9)])
    assert rep.flags == ["gap"]
    assert "0.7 s" in rep.reasons[0] and "not judged" in rep.reasons[0]


def test_thresholds_are_the_users():
    rep = judge_rep(_rep(lumbar_flexion_deg=25.0), Thresholds(max_lumbar_flexion_deg=30.0), [])
    assert "rounded" not in rep.flags


def test_a_value_just_over_the_limit_is_not_shown_as_the_limit():
    from imuhinge.exercises import profile_named
    from imuhinge.pipeline.verdicts import overextended_reason, rounded_reason

    assert "rounded by 20.4° (limit 20°)" in rounded_reason(20.4, 20.0, estimated=False)
    assert "rounded by 27° (limit 20°)" in rounded_reason(27.2, 20.0, estimated=False)
    assert "arched by 10.3° at the top of the rep (limit 10°)" in overextended_reason(10.3, 10.0)
    side = next(c for c in profile_named("suitcase-deadlift").checks if c.flag == "side_bend")
    assert side.sentence(10.4).startswith("You bent 10.4° to the side (limit 10°)")
    assert side.sentence(14.6).startswith("You bent 15° to the side (limit 10°)")
