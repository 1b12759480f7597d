"""A session plan's folder analysed as one session: every drill, in plan order.

``imuhinge live --plan NAME`` records one recording per drill into a folder
(``exercises.plan``). ``folder`` recognises such a folder and finds which file is which
drill; ``collect`` analyses each with its own drill (``analysed``, ``not analysable``
with the reason, or ``not recorded``); ``table`` prints the summary and the flagged reps,
``json_report`` writes schema ``imuhinge.plan-session/1``, ``plot`` draws one panel per
drill and ``html`` the whole session's page; ``outputs`` does all of it for the command.
"""

from .collect import (
    ANALYSED, NOT_ANALYSABLE, NOT_RECORDED, DrillOutcome, PlanSessionAnalysis, analyse_plan_folder,
    plan_session_from,
)
from .folder import PlanFolder, is_plan_folder, read_plan_folder

__all__ = [
    "ANALYSED", "NOT_ANALYSABLE", "NOT_RECORDED", "DrillOutcome", "PlanFolder", "PlanSessionAnalysis",
    "analyse_plan_folder", "is_plan_folder", "plan_session_from", "read_plan_folder",
]
