"""A plan session as JSON (schema ``imuhinge.plan-session/1``, docs/contract-additions.md).

Each drill carries its contract-2 analysis exactly as ``imuhinge analyse FILE --json``
gives it for that file alone (``report.json_report.analysis_to_dict``), or null when the
drill was not analysed; ``summary`` holds the numbers of the summary table. Fields may
be added; none is renamed or removed without a new schema.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..report.json_report import ANGLE_DECIMALS, TIME_DECIMALS, analysis_to_dict
from .collect import ANALYSED, NOT_ANALYSABLE, NOT_RECORDED, DrillOutcome, PlanSessionAnalysis, lumbar_source

SCHEMA = "imuhinge.plan-session/1"


def plan_session_to_dict(session: PlanSessionAnalysis) -> dict[str, Any]:
    """The JSON object of a plan session."""
    return {
        "schema": SCHEMA,
        "plan": session.plan,
        "title": session.title,
        "start_utc": session.start_utc,
        "folder": str(session.folder),
        "drills": [_drill(drill) for drill in session.drills],
        "summary": {
            "drills": session.count,
            "recorded": session.recorded,
            "analysed": sum(1 for d in session.drills if d.status == ANALYSED),
            "not_analysable": sum(1 for d in session.drills if d.status == NOT_ANALYSABLE),
            "not_recorded": sum(1 for d in session.drills if d.status == NOT_RECORDED),
            "per_drill": [_row(drill) for drill in session.drills],
        },
        "left_out": list(session.left_out),
    }


def plan_session_to_json(session: PlanSessionAnalysis) -> str:
    return json.dumps(plan_session_to_dict(session), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_plan_session_json(session: PlanSessionAnalysis, path: str | Path) -> None:
    """Write the JSON to ``path``; ``"-"`` writes it to standard output."""
    text = plan_session_to_json(session)
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    Path(path).write_text(text, encoding="utf-8")


def _drill(drill: DrillOutcome) -> dict[str, Any]:
    return {
        "index": drill.index,
        "exercise": drill.exercise,
        "file": None if drill.path is None else drill.path.name,
        "status": drill.status,
        "reason": drill.reason,
        "analysis": None if drill.analysis is None else analysis_to_dict(drill.analysis),
    }


def _row(drill: DrillOutcome) -> dict[str, Any]:
    """One drill's row of the summary table (numbers null when not analysed)."""
    row = {
        "index": drill.index,
        "exercise": drill.exercise,
        "status": drill.status,
        "kind": None,
        "reps": None,
        "target_reps": None,
        "flagged_reps": None,
        "not_judged_reps": None,
        "flag_counts": {},
        "holds": None,
        "unsteady_holds": None,
        "longest_hold_s": None,
        "target_hold_s": None,
        "median_depth_deg": None,
        "median_lumbar_flexion_deg": None,
        "lumbar_flexion_source": None,
    }
    if drill.row is None:
        return row
    numbers = drill.row.numbers
    row.update({
        "kind": numbers.kind,
        "flag_counts": {str(flag): int(count) for flag, count in numbers.flag_counts.items()},
        "median_depth_deg": _round(drill.row.median_depth_deg, ANGLE_DECIMALS),
        "median_lumbar_flexion_deg": _round(drill.row.median_lumbar_flexion_deg, ANGLE_DECIMALS),
        "lumbar_flexion_source": lumbar_source(drill.row),
    })
    if numbers.kind == "hold":
        row.update({
            "holds": numbers.holds,
            "unsteady_holds": numbers.unsteady_holds,
            "longest_hold_s": _round(numbers.longest_hold_s, TIME_DECIMALS),
            "target_hold_s": numbers.target_hold_s,
        })
    else:
        row.update({
            "reps": numbers.reps,
            "target_reps": numbers.target_reps,
            "flagged_reps": numbers.flagged_reps,
            "not_judged_reps": drill.row.not_judged_reps,
        })
    return row


def _round(value: float | None, decimals: int) -> float | None:
    return None if value is None else round(float(value), decimals)
