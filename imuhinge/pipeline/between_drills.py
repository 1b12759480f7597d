"""Where a drill's start posture can begin when the recording starts between two drills.

In a session plan (``imuhinge live --plan``) each drill's recording starts a few seconds
after the previous drill's set is done: the person is usually still resting in the old
posture, then moves into the new one (rolls up onto the knees, stands up, puts on a band,
picks up the bell) and holds still there. The still rest before that move is not the new
drill's start posture, and the move itself is not a rep. So for such a recording the
calibration's quiet stretch is looked for only after the first movement (a run of at
least ``MOVEMENT_S`` that is not quiet), and reps only after that calibration; when the
person does not move within ``WAIT_S`` (already in position, as between two standing
drills), the start is the beginning. Between two standing drills the rule is not used
(``moves_into_position``): the person is already upright, the rest is the same posture,
and stepping or shifting the stance is not rep-like, while the first rep may follow the
rest within ``WAIT_S`` and would be taken for the move. The live processor and the offline analysis of the
same recording use this same rule, so they calibrate on the same stretch: live, the
processor's calibration waits for it; offline, ``in_position`` leaves out what comes
before it (the recording keeps it; it is simply not the drill).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import BadInputError
from ..exercises import PLAN_KEY, parse_plan_line, plan_named, profile_named
from ..recording import Recording, SensorStream
from ..recording.columns import PELVIS
from .calibration import quiet_mask
from .resample import analysis_clock, resample_stream
from .settings import PipelineSettings

MOVEMENT_S = 0.5
"""A move into position: at least this long (s) without being quiet."""
WAIT_S = 8.0
"""With no such move this long (s) after the recording starts, the person was already in position."""


def settled_from(quiet: np.ndarray, valid: np.ndarray, rate_hz: float, complete: bool = True) -> int | None:
    """Index from which a quiet stretch may be the drill's start posture (see the module).

    ``quiet``: the combined quiet mask so far; ``valid``: where every sensor has data (a
    sensor whose first samples are still on their way is not a movement). ``complete``:
    the whole recording is in (the offline analysis); live, pass False, and None means
    "not known yet" (no move so far, and less than ``WAIT_S`` of data)."""
    quiet = np.asarray(quiet, dtype=bool)
    needed = max(1, int(round(MOVEMENT_S * rate_hz)))
    moving = np.concatenate(([0], (~quiet & np.asarray(valid, dtype=bool)).astype(np.int64)))
    run = np.cumsum(moving)
    # a run of `needed` non-quiet ticks ending at k: the count over the window equals needed
    if len(quiet) >= needed:
        full = (run[needed:] - run[:-needed]) == needed
        hits = np.flatnonzero(full)
        wait = int(round(WAIT_S * rate_hz))
        if len(hits) and hits[0] < wait:
            end = hits[0] + needed  # the move's first `needed` ticks end here; it goes on while not quiet
            after = np.flatnonzero(quiet[end:])
            return end + int(after[0]) if len(after) else (None if not complete else len(quiet))
    if len(quiet) >= int(round(WAIT_S * rate_hz)) or complete:
        return 0
    return None


def moves_into_position(previous_posture: str | None, posture: str) -> bool:
    """Whether a drill in ``posture`` after one in ``previous_posture`` (None: the first
    drill) starts with a move into position that the rule above must skip."""
    return previous_posture is not None and not (previous_posture == posture == "standing")


def _previous_posture(place) -> str | None:
    """The start posture of the drill before this one in its plan; "unknown" when the plan
    is not a bundled one (then the rule is used)."""
    if place.index <= 1:
        return None
    try:
        plan = plan_named(place.plan)
        return profile_named(plan.drills[place.index - 2]).start_posture
    except (BadInputError, IndexError):
        return "unknown"


def in_position(recording: Recording, settings: PipelineSettings, max_bridged_gap_s: float) -> Recording:
    """The part of ``recording`` from where the person is in the drill's position: from
    ``settled_from`` on for a plan's second or later drill (its ``# plan:`` line) when
    ``moves_into_position``, else the recording unchanged. Times are kept, so reps keep
    their times in the file."""
    place = parse_plan_line(recording.metadata.get(PLAN_KEY, ""))
    if place is None or PELVIS not in recording.streams:
        return recording
    try:
        posture = profile_named(str(recording.metadata.get("exercise", "")).strip()).start_posture
    except BadInputError:
        posture = "unknown"
    if not moves_into_position(_previous_posture(place), posture):
        return recording
    rate_hz = settings.resample.rate_hz
    pelvis = recording.streams[PELVIS]
    if len(pelvis.time_s) < 2:
        return recording
    clock = analysis_clock(float(pelvis.time_s[0]), float(pelvis.time_s[-1]), rate_hz)
    resampled = [
        resample_stream(stream, clock, rate_hz, max_bridged_gap_s, settings.resample.bridge_error_share)
        for stream in recording.streams.values()
    ]
    quiet = np.logical_and.reduce([quiet_mask(stream, settings.calibration) for stream in resampled])
    valid = np.logical_and.reduce([stream.valid for stream in resampled])
    start = settled_from(quiet, valid, rate_hz)
    if not start or start >= len(clock):
        return recording
    from_s = float(clock[start])
    streams = {
        label: SensorStream(s.time_s[s.time_s >= from_s], s.acc_g[s.time_s >= from_s], s.gyr_dps[s.time_s >= from_s])
        for label, s in recording.streams.items()
    }
    return replace(recording, streams=streams)
