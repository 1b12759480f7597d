"""The progression as JSON (schema ``imuhinge.progress/1``, described in the README).

Numbers are rounded for reading (angles 0.1°, shares 0.001, times 0.1 s); a number that
could not be measured is ``null``. Fields may be added; none is renamed or removed
without a new schema.
"""

from __future__ import annotations

import json
from pathlib import Path

from .collect import Progress
from .numbers import LAST_REPS
from .rule import MAX_FLAGGED_SHARE, RULE_SENTENCE, DrillProgress

SCHEMA = "imuhinge.progress/1"
ORDER_SENTENCE = (
    "Sessions are ordered by the recording's start time when its metadata states one, "
    "else by the file's modification time, then by file name."
)


def progress_json(progress: Progress) -> dict:
    """The JSON object of the progression."""
    suggestion = progress.suggestion
    return {
        "schema": SCHEMA,
        "folder": str(progress.folder),
        "order": ORDER_SENTENCE,
        "rule": {
            "max_flagged_share": MAX_FLAGGED_SHARE,
            "last_reps_clean": LAST_REPS,
            "text": RULE_SENTENCE,
        },
        "drills": [_drill(progress, drill) for drill in progress.drills],
        "suggestion": None if suggestion is None else {
            "drill": suggestion.drill,
            "done_cleanly": suggestion.done_cleanly,
            "suggested_drill": suggestion.suggested_drill,
            "text": suggestion.text,
        },
        "skipped": [{"file": s.path.name, "reason": s.reason} for s in progress.skipped],
    }


def write_progress_json(progress: Progress, path: str | Path) -> None:
    """Write the JSON to ``path`` (``-``: standard output)."""
    text = json.dumps(progress_json(progress), indent=2, ensure_ascii=False) + "\n"
    if str(path) == "-":
        import sys

        sys.stdout.write(text)
    else:
        Path(path).write_text(text, encoding="utf-8")


def _drill(progress: Progress, drill: DrillProgress) -> dict:
    profile = drill.profile
    advice = progress.advice(drill)
    trend = {
        "flagged_share": drill.trend("flagged_share"),
        "median_pelvis_tilt_deg": drill.trend("median_pelvis_tilt_deg"),
        "median_lumbar_flexion_deg": drill.trend("median_lumbar_flexion_deg"),
    }
    if profile.kind == "hold":
        trend = {
            "flagged_share": trend["flagged_share"],
            "longest_steady_hold_s": drill.trend("longest_steady_hold_s"),
        }
    return {
        "name": profile.name,
        "title": profile.title,
        "step": profile.order,
        "kind": profile.kind,
        "target_reps": profile.target_reps if profile.kind == "reps" else None,
        "target_hold_s": profile.target_hold_s if profile.kind == "hold" else None,
        "next_drill": profile.next_drill,
        "sessions": [_session(s, n) for s, n in zip(drill.sessions, drill.numbers)],
        "trend": {key: {"first": _round(key, a), "last": _round(key, b)} for key, (a, b) in trend.items()},
        "done_cleanly": drill.done_cleanly,
        "most_common_fault": drill.last.most_common_fault(),
        "advice": advice.text,
    }


def _session(session, numbers) -> dict:
    analysis = session.analysis
    record = {
        "file": session.name,
        "started": session.started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "time_from": session.ordered_by,
        "mode": analysis.mode,
        "duration_s": round(analysis.duration_s, 1),
        "flagged_share": _round("flagged_share", numbers.flagged_share),
        "flag_counts": dict(numbers.flag_counts),
        "target_reached": numbers.target_reached,
    }
    if numbers.kind == "hold":
        record.update({
            "holds": numbers.holds,
            "unsteady_holds": numbers.unsteady_holds,
            "longest_hold_s": _round("s", numbers.longest_hold_s),
            "longest_steady_hold_s": _round("s", numbers.longest_steady_hold_s),
        })
    else:
        record.update({
            "reps": numbers.reps,
            "judged_reps": numbers.judged_reps,
            "flagged_reps": numbers.flagged_reps,
            "last_reps_clean": numbers.last_reps_clean,
            "median_pelvis_tilt_deg": _round("deg", numbers.median_pelvis_tilt_deg),
            "median_lumbar_flexion_deg": _round("deg", numbers.median_lumbar_flexion_deg),
            "lumbar_flexion_source": _source(numbers),
        })
    return record


def _source(numbers) -> str | None:
    """``measured`` or ``estimated`` (one sensor); None when no lumbar flexion was had."""
    if numbers.median_lumbar_flexion_deg is None:
        return None
    return "estimated" if numbers.lumbar_flexion_estimated else "measured"


def _round(key: str, value: float | None) -> float | None:
    if value is None:
        return None
    return round(float(value), 3 if key == "flagged_share" else 1)
