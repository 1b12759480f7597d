"""A session plan's folder, analysed and shown in one call (the facade of ``imuhinge.plan_session``).

``imuhinge analyse FOLDER`` and the end of ``imuhinge live --plan`` both call
``write_plan_session_outputs``: every drill's recording analysed as its drill, the
summary and flagged reps printed, and the JSON, plot and HTML page written when asked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from ..exercises import ExerciseProfile
from ..settings import Thresholds


def write_plan_session_outputs(
    folder: str | Path,
    json_path: str | Path | None = None,
    plot_path: str | Path | None = None,
    report_path: str | Path | None = None,
    console: Console | None = None,
    thresholds_for: Callable[[ExerciseProfile], Thresholds] | None = None,
    limits: str | None = None,
):
    """Analyse the plan session in ``folder`` and show it; returns the ``PlanSessionAnalysis``.

    ``thresholds_for(profile)``: the limits of a drill (default: the drill's own).
    ``BadInputError`` when ``folder`` is not a plan folder, or (after printing) when no
    drill could be analysed.
    """
    from ..pipeline.analyse import analyse_recording
    from ..plan_session import analyse_plan_folder
    from ..plan_session.outputs import write_plan_outputs

    def analyse(recording, profile):
        return analyse_recording(recording, thresholds_for(profile), exercise=profile)

    session = analyse_plan_folder(folder, analyse if thresholds_for is not None else None)
    write_plan_outputs(session, json_path=json_path, plot_path=plot_path, report_path=report_path,
                       limits=limits, console=console)
    return session
