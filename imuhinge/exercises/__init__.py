"""The hip-hinge programme: one declarative profile per drill (``profiles/*.toml``).

``load_profiles()`` gives them in programme order; ``profile_named(name)`` one of them.
Session plans (``plans/*.toml``, ``plan_named``) put several drills in one session.
"""

from .plan import PLAN_KEY, TARGET_REPS_KEY, PlanPlace, SessionPlan, load_plans, parse_plan_line, plan_file_name, plan_line, plan_named, target_reps_from
from .profile import Check, ExerciseProfile, load_profiles, profile_named

__all__ = [
    "Check", "ExerciseProfile", "load_profiles", "profile_named",
    "PLAN_KEY", "TARGET_REPS_KEY", "PlanPlace", "SessionPlan", "load_plans", "parse_plan_line", "plan_file_name", "plan_line", "target_reps_from",
    "plan_named",
]
