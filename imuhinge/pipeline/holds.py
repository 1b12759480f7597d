"""The isometric holds of a hold drill (the lat-engagement hold): found, timed and judged.

A hold drill has no reps. What the sensors show of a hold is the trunk kept still near its
start posture for a while; ``find_holds`` finds those stretches, times them and measures
how much the trunk swayed (the ``unsteady`` check of the drill's profile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..exercises import ExerciseProfile
from ..recording.columns import PELVIS
from .calibration import moving_mean, runs_of
from .settings import ExerciseSettings
from .tracks import SegmentTrack


@dataclass(frozen=True)
class Hold:
    """One isometric hold: when, how long, and how much the trunk moved (rms, deg)."""

    start_s: float
    end_s: float
    duration_s: float
    sway_deg: float
    flags: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2),
            "duration_s": round(self.duration_s, 2), "sway_deg": round(self.sway_deg, 1),
            "flags": list(self.flags), "reasons": list(self.reasons),
        }


def find_holds(
    tracks: dict[str, SegmentTrack],
    window: tuple[int, int],
    profile: ExerciseProfile,
    settings: ExerciseSettings,
    *,
    whole: bool = False,
) -> list[Hold]:
    """The isometric holds of a hold drill, timed, with their sway and ``unsteady`` check.

    A hold is a stretch of at least ``hold_min_s`` near the start posture (pelvis within
    ``hold_max_tilt_deg``) without walking or turning (the rates, averaged over a second,
    below ``hold_max_rate_dps``), after the calibration window. Its sway is the rms of each
    worn segment's tilt about its mean over the hold, the larger of the two: how far the
    body moved while it should have been still. The tilt counts forward and sideways
    together (``_tilt_sway_deg``): a sensor that barely moved before the hold has no left
    axis found from movement, and its sagittal and frontal angles are then an arbitrary
    split of the tilt (a forward sway read as side bend).

    ``whole`` (a finished recording, as offline): a hold is judged as a whole. Breaks of
    at most ``hold_max_break_s`` (a second of lost data, one faster sway of an unsteady
    hold) do not end it, and a still stretch shorter than ``hold_min_target_fraction`` of
    the profile's target, or than ``hold_min_longest_fraction`` of the longest one, is not
    counted: the holds of a set are alike, and standing still for a while between other
    things is resting, not the drill's hold (a steady hold and standing still differ only
    by the squeeze, which moves the trunk a degree or so: too little to tell them apart).
    Without ``whole`` (a hold still under way, as live) none of this applies.
    """
    pelvis = tracks[PELVIS]
    rate_hz = pelvis.stream.rate_hz
    width = max(1, int(round(rate_hz)))
    still = np.abs(pelvis.angles.sagittal_deg) < settings.hold_max_tilt_deg
    valid = np.ones(len(still), dtype=bool)
    for track in tracks.values():
        rate = track.stream.gyr_dps - (track.calibration.gyro_bias_track_dps if track.calibration.gyro_bias_track_dps is not None else 0.0)
        still &= np.linalg.norm(moving_mean(rate, width), axis=1) < settings.hold_max_rate_dps
        still &= track.stream.valid
        valid &= track.stream.valid
    still[: window[1]] = False
    runs = runs_of(still)
    shortest_s = settings.hold_min_s
    if whole:
        runs = _joined(runs, int(round(settings.hold_max_break_s * rate_hz)))
        target_s = profile.target_hold_s or 0.0
        shortest_s = max(shortest_s, settings.hold_min_target_fraction * target_s)
        longest_s = max(((b - a) / rate_hz for a, b in runs), default=0.0)
        shortest_s = max(shortest_s, settings.hold_min_longest_fraction * longest_s)
    holds = []
    check = next((c for c in profile.checks if c.metric == "hold_sway_deg"), None)
    time_s = pelvis.stream.time_s
    for a, b in runs:
        if (b - a) / rate_hz < shortest_s:
            continue
        inside = valid[a:b] if valid[a:b].any() else np.ones(b - a, dtype=bool)
        sway = max(_tilt_sway_deg(track, a, b, inside) for track in tracks.values())
        flags, reasons = (), ()
        if check is not None and check.fires(sway):
            flags, reasons = (check.flag,), (check.sentence(sway),)
        start_s, end_s = float(time_s[a]), float(time_s[b - 1])
        holds.append(Hold(start_s, end_s, end_s - start_s, sway, flags, reasons))
    return holds


def _tilt_sway_deg(track: SegmentTrack, a: int, b: int, inside: np.ndarray) -> float:
    """rms (deg) of the segment's tilt about its mean over samples ``a:b`` (where
    ``inside``), forward and sideways together: the same whichever way the axes split it."""
    sagittal = float(np.std(track.angles.sagittal_deg[a:b][inside]))
    frontal = float(np.std(track.angles.frontal_deg[a:b][inside]))
    return math.hypot(sagittal, frontal)


def _joined(runs: list[tuple[int, int]], max_break: int) -> list[tuple[int, int]]:
    """``runs`` (start, stop) with those separated by at most ``max_break`` samples joined."""
    joined: list[tuple[int, int]] = []
    for a, b in runs:
        if joined and a - joined[-1][1] <= max_break:
            joined[-1] = (joined[-1][0], b)
        else:
            joined.append((a, b))
    return joined
