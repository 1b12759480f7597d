"""The isometric holds of a hold drill (the lat-engagement hold): found, timed and judged.

A hold drill has no reps. What the sensors show of a hold is the trunk kept still near its
start posture for a while; ``find_holds`` finds those stretches, times the hold within
each and measures how much the trunk swayed (the ``unsteady`` check of the drill's profile).

Standing still before and after a hold looks much like the hold. What sets the hold apart
is the squeeze (the chest lifts: the thorax tilts back by a degree or so while the pelvis
stays, seen with a thorax sensor) and, in an unsteady hold, the sway. The hold is timed
from the stretch where the trunk's tilt differs from the standing around it
(``_held_span``); where neither shows, it is timed by the stillness alone, which may
include standing still just before or after it (``Hold.timed_by``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..exercises import ExerciseProfile
from ..recording.columns import PELVIS, THORAX
from .calibration import moving_mean, runs_of
from .settings import ExerciseSettings
from .tracks import SegmentTrack

SQUEEZE, SWAY, STILLNESS = "squeeze", "sway", "stillness"
"""How a hold was timed: from the thorax's tilt (the squeeze), from more sway than in the
standing around it, or by the stillness alone (standing still around it counted in)."""
_FLOOR_DEG = 0.05
"""Smallest spread (deg) a stretch's tilt is taken to have in the span fit: a perfectly
still stretch does not make its neighbours look infinitely different."""


@dataclass(frozen=True)
class Hold:
    """One isometric hold: when, how long, and how much the trunk moved (rms, deg).

    ``timed_by``: ``squeeze``, ``sway`` or ``stillness`` (see ``SQUEEZE``); a hold timed by
    stillness may include standing still just before or after it. ``still_end_s``: where
    the stillness it was found in ended (a hold may end before: standing still after it);
    not part of ``as_dict``."""

    start_s: float
    end_s: float
    duration_s: float
    sway_deg: float
    flags: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    timed_by: str = STILLNESS
    still_end_s: float | None = None

    def as_dict(self) -> dict:
        return {
            "start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2),
            "duration_s": round(self.duration_s, 2), "sway_deg": round(self.sway_deg, 1),
            "flags": list(self.flags), "reasons": list(self.reasons), "timed_by": self.timed_by,
        }


def find_holds(
    tracks: dict[str, SegmentTrack],
    window: tuple[int, int],
    profile: ExerciseProfile,
    settings: ExerciseSettings,
    *,
    whole: bool = False,
    ended: bool = False,
) -> list[Hold]:
    """The isometric holds of a hold drill, timed, with their sway and ``unsteady`` check.

    A hold is found in a still stretch of at least ``hold_min_s``, after the calibration
    window: the pelvis within ``hold_max_tilt_deg`` of the start posture, the rates averaged
    over a second below ``hold_max_rate_dps``, and no turning about the vertical
    (``_calm``: walking, turning and fidgeting turn the trunk; a hold does not). Within the
    stretch the hold is timed by ``_held_span``. Its sway is the rms of each worn segment's
    tilt about its mean over the hold, the larger of the two: how far the body moved while
    it should have been still. The tilt counts forward and sideways together
    (``_tilt_sway_deg``): a sensor that barely moved before the hold has no left axis found
    from movement, and its sagittal and frontal angles are then an arbitrary split of the
    tilt (a forward sway read as side bend).

    Breaks of at most ``hold_max_break_s`` in the stillness (a second of lost data, one
    faster sway of an unsteady hold) do not end a hold, and a still stretch shorter than
    ``hold_min_target_fraction`` of the profile's target is not counted: standing still for
    a while between other things is resting, not the drill's hold. ``whole`` (a finished
    recording, as offline): a hold is judged as a whole, and a still stretch shorter than
    ``hold_min_longest_fraction`` of the longest one is not counted either (the holds of a
    set are alike). Without ``whole`` (as live), a still stretch reaching the end of the
    data is a hold under way, counted from ``hold_min_s``, unless the data ``ended`` there
    (the recording is finished). The calibration standing (``window``) is standing the
    hold is told from, with the standing around the hold within the stretch.
    """
    pelvis = tracks[PELVIS]
    rate_hz = pelvis.stream.rate_hz
    width = max(1, int(round(rate_hz)))
    still = np.abs(pelvis.angles.sagittal_deg) < settings.hold_max_tilt_deg
    valid = np.ones(len(still), dtype=bool)
    for track in tracks.values():
        still &= np.linalg.norm(moving_mean(_rate_dps(track), width), axis=1) < settings.hold_max_rate_dps
        still &= track.stream.valid
        valid &= track.stream.valid
    still[: window[1]] = False
    runs = _joined(runs_of(still), int(round(settings.hold_max_break_s * rate_hz)))
    runs = _within(runs, _calm(tracks, settings))
    shortest_s = max(settings.hold_min_s, settings.hold_min_target_fraction * (profile.target_hold_s or 0.0))
    if whole:
        longest_s = max(((b - a) / rate_hz for a, b in runs), default=0.0)
        shortest_s = max(shortest_s, settings.hold_min_longest_fraction * longest_s)
    holds = []
    check = next((c for c in profile.checks if c.metric == "hold_sway_deg"), None)
    time_s = pelvis.stream.time_s
    for a, b in runs:
        under_way = b == len(still) and not (whole or ended)
        if (b - a) / rate_hz < (settings.hold_min_s if under_way else shortest_s):
            continue
        start, stop, timed_by = _held_span(tracks, window, a, b, shortest_s, settings)
        inside = valid[start:stop] if valid[start:stop].any() else np.ones(stop - start, dtype=bool)
        sway = max(_tilt_sway_deg(track, start, stop, inside) for track in tracks.values())
        flags, reasons = (), ()
        if check is not None and check.fires(sway):
            flags, reasons = (check.flag,), (check.sentence(sway),)
        start_s, end_s = float(time_s[start]), float(time_s[stop - 1])
        holds.append(Hold(start_s, end_s, end_s - start_s, sway, flags, reasons, timed_by, float(time_s[b - 1])))
    return holds


def _rate_dps(track: SegmentTrack) -> np.ndarray:
    """The segment's gyroscope (deg/s, sensor frame) without its bias."""
    bias = track.calibration.gyro_bias_track_dps
    return track.stream.gyr_dps - (bias if bias is not None else 0.0)


def _calm(tracks: dict[str, SegmentTrack], settings: ExerciseSettings) -> np.ndarray:
    """True where no worn segment turns about the vertical: its rate about the current
    up (the accelerometer averaged over a second), in magnitude averaged over a second,
    below ``hold_max_twist_dps``. Walking, turning and fidgeting twist the trunk; a hold,
    however unsteady, sways forward and back without turning (on tuning seeds 1000–1099 at
    most 0.8°/s in a hold, and 0.54°/s at the 99th percentile standing still; a fidget's
    median 1.7°/s, walking at least 9.7°/s). The rate about up is taken about its median
    over the recording first: what is left of the gyroscope's bias after calibration (about
    1°/s in some plan sessions, whose drills calibrate on a few seconds each) would
    otherwise read as turning all along and break a hold into pieces too short to count.
    A sensor without a gyroscope cannot tell."""
    pelvis = tracks[PELVIS]
    width = max(1, int(round(pelvis.stream.rate_hz)))
    calm = np.ones(len(pelvis.stream.time_s), dtype=bool)
    for track in tracks.values():
        if not track.calibration.gyroscope:
            continue
        up = moving_mean(track.stream.acc_g, width)
        up /= np.maximum(np.linalg.norm(up, axis=1, keepdims=True), 1e-9)
        signed_dps = np.sum(_rate_dps(track) * up, axis=1)
        usable = track.stream.valid & np.isfinite(signed_dps)
        if usable.any():  # what is left of the gyroscope's bias about up (a plan's drill
            signed_dps = signed_dps - np.median(signed_dps[usable])  # calibrates briefly)
        twist_dps = moving_mean(np.abs(signed_dps), width)
        calm &= ~(twist_dps >= settings.hold_max_twist_dps)
    return calm


def _within(runs: list[tuple[int, int]], keep: np.ndarray) -> list[tuple[int, int]]:
    """The parts of ``runs`` (start, stop) where ``keep`` is True."""
    out = []
    for a, b in runs:
        out += [(a + c, a + d) for c, d in runs_of(keep[a:b])]
    return out


def _held_span(
    tracks: dict[str, SegmentTrack],
    reference: tuple[int, int],
    a: int,
    b: int,
    shortest_s: float,
    settings: ExerciseSettings,
) -> tuple[int, int, str]:
    """The hold within the still stretch ``a:b``: (start, stop, how it was timed).

    Each worn segment's tilt (forward and sideways), averaged to ``hold_fit_hz``, is fitted
    as two stretches: the hold, one span of at least ``shortest_s`` within ``a:b``, and the
    standing around it (the rest of ``a:b``, at least ``hold_min_outside_s`` with the
    ``reference`` standing), each with its own mean and spread per angle; the span with
    the highest likelihood is kept if the hold shows in it. It shows when the thorax's mean
    tilt moved by ``hold_squeeze_min_sd`` of its spread in the standing or more (the
    squeeze lifts the chest a degree or so: on tuning seeds 1000–1199, two sensors, the hold
    was then timed within 1.4 s of truth for 9 in 10), or a tilt's spread is
    ``hold_sway_min_ratio`` times that standing or more (an unsteady hold), and no tilt is
    stiller in the span than around it. Otherwise (one sensor: the pelvis keeps its tilt in
    a squeeze, and a steady hold sways hardly more than standing still) the whole still
    stretch is the hold.
    """
    rate_hz = tracks[PELVIS].stream.rate_hz
    step = max(1, int(round(rate_hz / settings.hold_fit_hz)))
    fit_hz = rate_hz / step
    tilt = [np.column_stack([t.angles.sagittal_deg, t.angles.frontal_deg]) for t in tracks.values()]
    tilt = np.column_stack(tilt)
    inner = _block_means(tilt[a:b], step)
    outer = _block_means(tilt[reference[0] : reference[1]], step)
    x = np.vstack([outer, inner])
    if not np.isfinite(x).all():
        return a, b, STILLNESS
    span = _best_span(x, len(outer), shortest_s * fit_hz, settings.hold_min_outside_s * fit_hz)
    if span is None:
        return a, b, STILLNESS
    i, j = span
    held, around = x[i:j], np.vstack([x[:i], x[j:]])
    spread_around = np.sqrt(around.var(axis=0) + _FLOOR_DEG**2)
    shift = np.abs(held.mean(axis=0) - around.mean(axis=0)) / spread_around
    ratio = np.sqrt(held.var(axis=0) + _FLOOR_DEG**2) / spread_around
    if ratio.max() < 1.0:
        return a, b, STILLNESS
    thorax = list(tracks).index(THORAX) if THORAX in tracks else None
    start = a + (i - len(outer)) * step
    stop = min(b, a + (j - len(outer)) * step)
    if thorax is not None and shift[2 * thorax : 2 * thorax + 2].max() >= settings.hold_squeeze_min_sd:
        return start, stop, SQUEEZE
    if ratio.max() >= settings.hold_sway_min_ratio:
        return start, stop, SWAY
    return a, b, STILLNESS


def _block_means(x: np.ndarray, step: int) -> np.ndarray:
    """``x`` averaged over consecutive blocks of ``step`` rows (a last partial one dropped)."""
    m = len(x) // step
    return x[: m * step].reshape(m, step, x.shape[1]).mean(axis=1)


def _best_span(x: np.ndarray, first: int, shortest: float, outside: float) -> tuple[int, int] | None:
    """The span [i, j) of rows of ``x`` from row ``first`` on, at least ``shortest`` rows
    long with at least ``outside`` rows outside it, that best splits ``x`` into two
    Gaussian stretches (the span and the rest, each with its own mean and variance per
    column): least ``n log var`` summed over both. None when no span fits."""
    m, d = x.shape
    sums = np.vstack([np.zeros(d), np.cumsum(x, axis=0)])
    squares = np.vstack([np.zeros(d), np.cumsum(x * x, axis=0)])
    edges = np.arange(first, m + 1)
    n_in = (edges[None, :] - edges[:, None]).astype(float)
    fits = (n_in >= shortest) & (m - n_in >= max(outside, 1.0))
    if not fits.any():
        return None
    s_in = sums[edges][None, :, :] - sums[edges][:, None, :]
    q_in = squares[edges][None, :, :] - squares[edges][:, None, :]
    n_in = np.where(fits, n_in, 1.0)
    n_out = np.where(fits, m - n_in, 1.0)
    cost = _gaussian_cost(n_in, s_in, q_in) + _gaussian_cost(n_out, sums[m] - s_in, squares[m] - q_in)
    cost = np.where(fits, cost, np.inf)
    i, j = np.unravel_index(int(np.argmin(cost)), cost.shape)
    return int(edges[i]), int(edges[j])


def _gaussian_cost(n: np.ndarray, sums: np.ndarray, squares: np.ndarray) -> np.ndarray:
    """``n`` times the summed log variance (floored) of stretches given their column sums
    and sums of squares: lower is a better fit of one mean and spread per column."""
    mean = sums / n[..., None]
    variance = np.maximum(squares / n[..., None] - mean**2, 0.0)
    return n * np.sum(np.log(variance + _FLOOR_DEG**2), axis=-1)


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
