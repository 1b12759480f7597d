"""Where a drill's start posture can begin when the recording starts between two drills.

In a session plan (``imuhinge live --plan``) each drill's recording starts a few seconds
after the previous drill's set is done: the person is usually still resting in the old
posture, then moves into the new one (rolls up onto the knees, stands up, puts on a band,
picks up the bell) and holds still there. The still rest before that move is not the new
drill's start posture, and the move itself is not a rep. So for such a recording the
calibration's quiet stretch is looked for only after the first movement (a run of at
least ``MOVEMENT_S`` that is not quiet), and reps only after that calibration; when the
person does not move within ``WAIT_S`` (already in position, as between two standing
drills), the start is the beginning. The live processor and the offline analysis of the
same recording use this same rule, so they calibrate on the same stretch.
"""

from __future__ import annotations

import numpy as np

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
