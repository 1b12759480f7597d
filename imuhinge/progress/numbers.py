"""The numbers of one session that the progression follows, from its ``Analysis``.

Reps: how many were done against the drill's target; how many were judged (a rep in a
data gap, or with a sensor that cannot judge the lower back, is counted but not judged);
the share of judged reps that carried a flag; the typical (median) depth, as peak pelvic
tilt, and the median peak lumbar flexion, marked estimated when only the pelvis sensor
was worn. Holds: how long the longest hold and the longest steady hold lasted against
the target, and the share of holds that were unsteady. Medians, not means, so that one
odd rep does not move a session's typical value.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..exercises import ExerciseProfile
from ..pipeline.result import ESTIMATED, Analysis
from ..report.wording import is_not_judged

LAST_REPS = 5
"""How many of a session's last judged reps must be clean for a drill to be done cleanly
(``rule``)."""


@dataclass(frozen=True)
class SessionNumbers:
    """One session's numbers (angles in degrees, times in seconds, shares 0–1)."""

    kind: str
    reps: int = 0
    judged_reps: int = 0
    flagged_reps: int = 0
    flag_counts: dict[str, int] = field(default_factory=dict)
    """Judged reps (or holds) carrying each flag, most frequent first; a rep may carry several."""
    median_pelvis_tilt_deg: float | None = None
    median_lumbar_flexion_deg: float | None = None
    lumbar_flexion_estimated: bool = False
    last_reps_clean: bool = False
    """The last ``LAST_REPS`` judged reps carried no flag (and there were that many)."""
    target_reps: int | None = None
    holds: int = 0
    unsteady_holds: int = 0
    longest_hold_s: float | None = None
    longest_steady_hold_s: float | None = None
    target_hold_s: float | None = None

    @property
    def flagged_share(self) -> float | None:
        """Flagged reps (holds) ÷ judged reps (holds); None when nothing was judged."""
        if self.kind == "hold":
            return self.unsteady_holds / self.holds if self.holds else None
        return self.flagged_reps / self.judged_reps if self.judged_reps else None

    @property
    def target_reached(self) -> bool:
        """Reps: at least the target done. Holds: a steady hold at least the target long."""
        if self.kind == "hold":
            return (self.longest_steady_hold_s or 0.0) >= (self.target_hold_s or 0.0) > 0.0
        return self.target_reps is not None and self.reps >= self.target_reps

    def most_common_fault(self) -> str | None:
        """The flag carried most often (ties: the drill's first-listed check wins)."""
        return next(iter(self.flag_counts), None)


def session_numbers(analysis: Analysis, profile: ExerciseProfile) -> SessionNumbers:
    """The session's numbers; which ones apply depends on the drill's kind."""
    if profile.kind == "hold":
        holds = list(analysis.holds or ())
        steady = [h.duration_s for h in holds if not h.flags]
        counts = _ordered_counts((f for h in holds for f in h.flags), profile)
        return SessionNumbers(
            kind="hold",
            holds=len(holds),
            unsteady_holds=sum(1 for h in holds if h.flags),
            flag_counts=counts,
            longest_hold_s=max((h.duration_s for h in holds), default=None),
            longest_steady_hold_s=max(steady, default=None),
            target_hold_s=profile.target_hold_s,
        )
    judged = [rep for rep in analysis.reps if not is_not_judged(rep)]
    lumbar = [rep.lumbar_flexion_deg for rep in judged if rep.lumbar_flexion_deg is not None]
    last = judged[-LAST_REPS:]
    return SessionNumbers(
        kind="reps",
        reps=len(analysis.reps),
        judged_reps=len(judged),
        flagged_reps=sum(1 for rep in judged if rep.flags),
        flag_counts=_ordered_counts((f for rep in judged for f in rep.flags), profile),
        median_pelvis_tilt_deg=_median([rep.pelvis_tilt_deg for rep in analysis.reps]),
        median_lumbar_flexion_deg=_median(lumbar),
        lumbar_flexion_estimated=any(rep.lumbar_flexion_source == ESTIMATED for rep in judged),
        last_reps_clean=len(last) == LAST_REPS and not any(rep.flags for rep in last),
        target_reps=profile.target_reps,
    )


def _ordered_counts(flags, profile: ExerciseProfile) -> dict[str, int]:
    """Counts of ``flags``, the drill's checks first in their listed order (so a tie
    between two faults names the one the drill cares about first)."""
    counts = Counter(flags)
    order = [c.flag for c in profile.checks]

    def rank(item: tuple[str, int]):
        flag, count = item
        return (-count, order.index(flag) if flag in order else len(order), flag)

    return dict(sorted(counts.items(), key=rank))


def _median(values) -> float | None:
    values = [float(v) for v in values if v is not None and np.isfinite(v)]
    return float(np.median(values)) if values else None
