"""Analysing a plan session: each drill's recording with its own drill, in plan order.

Every drill of the plan gets one ``DrillOutcome``: ``analysed`` (with its ``Analysis``,
exactly what ``imuhinge analyse FILE`` makes of that file alone, and its row's numbers),
``not analysable`` (the file could not be read or analysed: too short, malformed, …,
with the one-sentence reason), or ``not recorded`` (the session stopped before it, or
its file is missing). One drill's trouble never hides the others.

A recording is analysed as the drill its ``# exercise:`` line names (as ``imuhinge
analyse`` does), else as the plan's drill at its place.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ..errors import BadInputError
from ..exercises import ExerciseProfile, load_profiles, profile_named, target_reps_from
from ..exercises.plan import load_plans
from ..pipeline.result import ESTIMATED, Analysis
from ..progress.numbers import SessionNumbers, session_numbers
from ..progress.sessions import drill_thresholds, parse_time
from ..recording import Recording, read_recording
from ..recording.columns import START_KEY
from .folder import PlanFolder, read_plan_folder

ANALYSED = "analysed"
NOT_ANALYSABLE = "not analysable"
NOT_RECORDED = "not recorded"
STATUSES = (ANALYSED, NOT_ANALYSABLE, NOT_RECORDED)
EXERCISE_KEY = "exercise"

Analyser = Callable[[Recording, ExerciseProfile], Analysis]
"""Analyses one drill's recording as that drill (the command line's options applied)."""


@dataclass(frozen=True)
class DrillNumbers:
    """The numbers of one drill's row (angles in degrees, times in seconds).

    ``numbers``: the counts ``imuhinge progress`` follows for a session of the drill
    (reps, judged and flagged reps, flag counts, holds). ``median_depth_deg``: the median
    over the reps of the drill's rep angle at the bottom, measured the drill's way (a
    positive number for a bridge too, whose pelvis tilts backward). ``median_lumbar_flexion_deg``:
    the median peak lumbar flexion of the judged reps, ``lumbar_flexion_estimated`` when
    it came from the one-sensor estimate.
    """

    numbers: SessionNumbers
    median_depth_deg: float | None

    @property
    def kind(self) -> str:
        return self.numbers.kind

    @property
    def median_lumbar_flexion_deg(self) -> float | None:
        return self.numbers.median_lumbar_flexion_deg

    @property
    def lumbar_flexion_estimated(self) -> bool:
        return self.numbers.lumbar_flexion_estimated

    @property
    def not_judged_reps(self) -> int:
        return self.numbers.reps - self.numbers.judged_reps


@dataclass(frozen=True)
class DrillOutcome:
    """What became of one drill of the plan (see the module)."""

    index: int
    exercise: str | None
    """The drill's name (``imuhinge exercises``); None when neither file nor plan says."""
    title: str
    path: Path | None
    status: str
    reason: str | None = None
    analysis: Analysis | None = None
    profile: ExerciseProfile | None = None
    row: DrillNumbers | None = None
    start_utc: str | None = None
    """The recording's ``# start (UTC):`` value, as written."""
    unexpected: Exception | None = field(default=None, repr=False, compare=False)
    """The error behind a ``not analysable`` that was not bad input (a bug), kept so the
    command can still end with status 1 when no drill could be analysed."""


@dataclass(frozen=True)
class PlanSessionAnalysis:
    """A whole plan session: the plan, when it started, and every drill's outcome."""

    folder: Path
    plan: str
    title: str
    count: int
    start_utc: str | None
    """The earliest ``# start (UTC):`` of the drills' recordings (None if none states one)."""
    drills: tuple[DrillOutcome, ...]
    left_out: tuple[str, ...] = ()
    """One sentence per file of the folder that is not one of the plan's drills."""

    @property
    def analysed(self) -> list[DrillOutcome]:
        return [d for d in self.drills if d.status == ANALYSED]

    @property
    def recorded(self) -> int:
        """Drills with a recording (analysable or not)."""
        return sum(1 for d in self.drills if d.status != NOT_RECORDED)


def analyse_plan_folder(folder: str | Path, analyse: Analyser | None = None) -> PlanSessionAnalysis:
    """Analyse every drill's recording of the plan session in ``folder``.

    ``analyse(recording, profile)``: how one recording is analysed (default: with the
    drill's own limits). ``BadInputError`` when ``folder`` is not a plan session folder.
    """
    plan_folder = read_plan_folder(folder)
    if analyse is None:
        from ..pipeline.analyse import analyse_recording

        def analyse(recording, profile):
            return analyse_recording(recording, drill_thresholds(profile), exercise=profile)

    return plan_session_from(plan_folder, analyse)


def plan_session_from(plan_folder: PlanFolder, analyse: Analyser) -> PlanSessionAnalysis:
    """The outcomes of an already recognised ``plan_folder`` (see ``analyse_plan_folder``)."""
    plan = load_plans().get(plan_folder.plan)
    profiles = load_profiles()
    drills = []
    for index in range(1, plan_folder.count + 1):
        plan_file = plan_folder.files.get(index)
        planned = plan.drills[index - 1] if plan is not None and index <= len(plan.drills) else None
        if plan_file is None:
            drills.append(DrillOutcome(index, planned, _title(planned, profiles, index), None, NOT_RECORDED))
            continue
        named = (plan_file.metadata.get(EXERCISE_KEY) or planned or "").strip() or None
        drills.append(_analyse_one(index, named, plan_file.path, plan_file.metadata, analyse, profiles))
    starts = [d.start_utc for d in drills if d.start_utc and parse_time(d.start_utc) is not None]
    start_utc = min(starts, key=parse_time) if starts else None
    return PlanSessionAnalysis(
        folder=plan_folder.folder,
        plan=plan_folder.plan,
        title=plan.title if plan is not None else plan_folder.plan,
        count=plan_folder.count,
        start_utc=start_utc,
        drills=tuple(drills),
        left_out=plan_folder.left_out,
    )


def _analyse_one(index: int, name: str | None, path: Path, metadata: dict, analyse: Analyser,
                 profiles: dict) -> DrillOutcome:
    title = _title(name, profiles, index)
    start = metadata.get(START_KEY) or None
    try:
        profile = profile_named(name or "")
        analysis = analyse(read_recording(path), profile)
    except BadInputError as exc:
        return DrillOutcome(index, name, title, path, NOT_ANALYSABLE, _one_sentence(str(exc), path),
                            start_utc=start)
    except Exception as exc:  # a bug on one drill must not hide the others
        if os.environ.get("IMUHINGE_DEBUG"):
            raise
        reason = (f"unexpected error ({type(exc).__name__}: {exc}); run 'imuhinge analyse' on "
                  f"{path.name} with IMUHINGE_DEBUG=1 for details and please report it")
        return DrillOutcome(index, name, title, path, NOT_ANALYSABLE, reason, start_utc=start, unexpected=exc)
    numbers = session_numbers(analysis, profile)
    target_reps = target_reps_from(metadata)
    if numbers.target_reps is not None and target_reps is not None:
        numbers = replace(numbers, target_reps=target_reps)
    row = DrillNumbers(numbers, _median_depth_deg(analysis, profile))
    return DrillOutcome(index, profile.name, profile.title, path, ANALYSED, None, analysis, profile, row, start)


def _title(name: str | None, profiles: dict, index: int) -> str:
    if name in profiles:
        return profiles[name].title
    return name or f"Drill {index}"


def _median_depth_deg(analysis: Analysis, profile: ExerciseProfile) -> float | None:
    """The median over the reps of the rep angle at the bottom, the drill's way (≥ 0 when
    the reps went that way); None without reps."""
    sign = -1.0 if profile.direction == "backward" else 1.0
    values = [getattr(rep, f"{profile.rep_angle}_deg") for rep in analysis.reps]
    values = [sign * float(v) for v in values if v is not None]
    return float(statistics.median(values)) if values else None


def _one_sentence(message: str, path: Path) -> str:
    """The error on one line, the file named by its name rather than its whole path."""
    line = " ".join(message.split()).replace(str(path), path.name)
    return line[:1].upper() + line[1:]


def start_time(session: PlanSessionAnalysis) -> datetime | None:
    """When the session started (UTC), if any recording says."""
    return parse_time(session.start_utc) if session.start_utc else None


def lumbar_source(row: DrillNumbers | None) -> str | None:
    """``estimated`` or ``measured`` for a row with a lumbar flexion value, else None."""
    if row is None or row.median_lumbar_flexion_deg is None:
        return None
    return ESTIMATED if row.lumbar_flexion_estimated else "measured"
