"""What the analysis returns: per-rep results, the angle traces behind them, and a summary.

These types are the boundary between the pipeline and everything that shows its results
(the terminal table, the JSON of contract 2, the plot, the HTML report).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..settings import Thresholds

TWO_SENSOR = "two-sensor"
ONE_SENSOR = "one-sensor"
MEASURED = "measured"
ESTIMATED = "estimated"

ROUNDED = "rounded"
OVEREXTENDED = "overextended"
GAP = "gap"
SATURATED = "saturated"
ACCELEROMETER_ONLY = "accelerometer_only"
NOT_JUDGED_FLAGS = (GAP, SATURATED, ACCELEROMETER_ONLY)
"""Flags meaning the rep could not be judged (its data cannot be trusted, or, with one
accelerometer-only pelvis sensor, the lower back cannot be estimated), so it was
reported but not judged."""


@dataclass
class RepResult:
    """One repetition, with the fields of contract 2 (angles in degrees, times in seconds).

    Peak angles are maxima within the rep. ``lockout_extension_deg`` is the largest lumbar
    extension (positive number) from the last part of the ascent to the rep's end; it is
    None when it cannot be measured (one-sensor mode). ``trunk_inclination_deg`` and
    ``lumbar_flexion_deg`` are estimates in one-sensor mode (``lumbar_flexion_source``).
    """

    rep: int
    start_s: float
    bottom_s: float
    end_s: float
    pelvis_tilt_deg: float
    trunk_inclination_deg: float | None
    lumbar_flexion_deg: float | None
    lumbar_flexion_source: str
    lockout_extension_deg: float | None
    hinge_ratio: float | None
    eccentric_s: float
    concentric_s: float
    side_bend_deg: float | None = None
    rotation_deg: float | None = None
    flags: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    hip_extension_short_deg: float | None = None
    """How far the pelvis stayed short of the start posture's neutral at the top of the
    rep (``pipeline.exercise``); None when no drill was named."""
    depth_change_pct: float | None = None
    """|this rep's depth − its set's median depth|, in % of the median; None without a drill."""
    rep_rate_per_min: float | None = None
    """The pace of the rep's set (reps per minute); None without a drill."""

    @property
    def is_clean(self) -> bool:
        return not self.flags


@dataclass
class AngleTraces:
    """Filtered segment angles on one uniform clock, for plots and for the live view.

    Arrays share ``time_s``; a trace the sensors cannot give is None. ``gaps_s`` lists
    (start, end) of data gaps longer than the bridged limit.
    """

    time_s: np.ndarray
    pelvis_tilt_deg: np.ndarray
    trunk_inclination_deg: np.ndarray | None
    lumbar_flexion_deg: np.ndarray | None
    lumbar_flexion_source: str
    gaps_s: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Analysis:
    """The whole result of analysing one recording."""

    mode: str
    thresholds: Thresholds
    calibration: dict
    reps: list[RepResult]
    traces: AngleTraces
    source: str = "<memory>"
    metadata: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0
    warnings: list[str] = field(default_factory=list)
    sensors: dict[str, dict] = field(default_factory=dict)
    """Per sensor label: ``{"gyroscope": bool, "calibration": method}``."""
    accuracy_note: str | None = None
    """A plain sentence when the accuracy is reduced for this recording as a whole (a
    sensor without gyroscope), else None. It is also one of the ``warnings``."""
    exercise: dict | None = None
    """The drill analysed (``pipeline.exercise.exercise_record``), or None when no
    profile was given (the analysis then is the kettlebell deadlift's, as before drills)."""
    holds: list | None = None
    """For a hold drill: its holds (``pipeline.holds.Hold``); None for rep drills."""
    caveats: list[str] = field(default_factory=list)
    """The warnings that qualify every number (a fallback calibration, the accuracy
    note): printed on their own so they cannot be missed."""

    def summary(self) -> dict[str, int]:
        """Counts for contract 2's ``summary``: reps, and reps carrying each flag."""
        counts = {"reps": len(self.reps), ROUNDED: 0, OVEREXTENDED: 0}
        for rep in self.reps:
            for flag in rep.flags:
                counts[flag] = counts.get(flag, 0) + 1
        counts["clean"] = sum(1 for rep in self.reps if rep.is_clean)
        return counts
