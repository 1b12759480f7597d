"""Step 5: reps from the pelvic tilt trace.

A rep is a clear peak of forward pelvic tilt: high enough above standing and prominent
enough above its surroundings that walking (a few degrees of pelvic oscillation),
fidgeting and the wobble of a pause at the bottom do not count. Its bottom is the peak.

Its start and end are when the tilt leaves and regains standing. A smooth movement
leaves standing so gently (a minimum-jerk movement has covered 1% of its range after 15%
of its time) that any threshold crossing is late by a tenth of a second or more. So each
phase's timing is read where the tilt moves fast, at the crossings of 20% to 80% of its
range, and a minimum-jerk phase is fitted to them by least squares; the phase's onset
is where that fit starts. The level the phase starts from (the local standing baseline)
is refined with the fit. Continuous swings, with no standing between reps, split where
one rep's ascent meets the next one's descent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from .settings import SegmentationSettings

_LEVELS = np.linspace(0.2, 0.8, 7)


def _min_jerk_time(fraction: np.ndarray) -> np.ndarray:
    """Normalised time at which a minimum-jerk move has covered ``fraction`` of its range."""
    times = np.linspace(0.0, 1.0, 2001)
    covered = 10 * times**3 - 15 * times**4 + 6 * times**5
    return np.interp(fraction, covered, times)


_LEVEL_TIMES = _min_jerk_time(_LEVELS)


@dataclass(frozen=True)
class RepSpan:
    """Where one rep lies on the analysis clock (sample indices, end inclusive)."""

    start_index: int
    bottom_index: int
    end_index: int


def find_rep_peaks(tilt_deg: np.ndarray, rate_hz: float, settings: SegmentationSettings) -> np.ndarray:
    """Indices of the pelvic tilt peaks that are reps (see the module docstring)."""
    peaks, _ = find_peaks(
        tilt_deg,
        height=settings.min_peak_deg,
        prominence=settings.min_prominence_deg,
        width=max(1.0, settings.min_width_s * rate_hz),
        rel_height=0.5,
        distance=max(1, int(round(settings.min_separation_s * rate_hz))),
    )
    return peaks


def detect_reps(tilt_deg: np.ndarray, rate_hz: float, settings: SegmentationSettings) -> list[RepSpan]:
    """Reps in a pelvic tilt trace (deg, + forward, 0 = calibrated standing).

    Reps whose tilt has not come back near standing by the end of the trace are left out
    (the recording stopped mid-rep), as are reps longer than ``max_rep_s``.
    """
    tilt = np.asarray(tilt_deg, dtype=np.float64)
    if len(tilt) < 3:
        return []
    peaks = find_rep_peaks(tilt, rate_hz, settings)
    spans: list[RepSpan] = []
    previous_end = 0
    for k, peak in enumerate(peaks):
        peak = int(peak)
        left_limit = max(previous_end, int(peaks[k - 1]) if k > 0 else 0)
        right_limit = int(peaks[k + 1]) if k + 1 < len(peaks) else len(tilt) - 1
        before = phase_edge(tilt[left_limit : peak + 1][::-1], settings)
        after = phase_edge(tilt[peak : right_limit + 1], settings)
        if after is not None and k + 1 == len(peaks) and after >= right_limit - peak:
            after = None  # the recording stopped before the tilt was back
        if after is not None:
            settle_from = peak + int(round(after))
            settle_to = min(right_limit, settle_from + int(round(settings.settle_max_s * rate_hz)))
            after += settle_length(tilt[settle_from : settle_to + 1], settings)
        if before is None or after is None:
            continue
        start = max(left_limit, peak - int(round(before)))
        end = min(right_limit, peak + int(round(after)))
        if (end - start) / rate_hz > settings.max_rep_s:
            continue
        spans.append(RepSpan(start, peak, end))
        previous_end = end
    return spans


def phase_edge(outward_deg: np.ndarray, settings: SegmentationSettings) -> float | None:
    """Samples from the peak to where the tilt meets standing, walking outwards.

    ``outward_deg`` starts at the peak and runs away from it (backwards in time for the
    descent, forwards for the ascent). The crossings of 20–80% of the way from the phase's
    top to the baseline are fitted with ``distance = hold + duration · (1 − τ(level))`` (τ:
    minimum-jerk time of each level; ``hold`` is a pause at the bottom, zero for the
    descent); the edge is ``hold + duration``. Returns None when the tilt never falls
    back by ``min_prominence_deg``.
    """
    seg = outward_deg
    if len(seg) < 3 or seg[0] - seg.min() < settings.min_prominence_deg:
        return None
    half = int(np.argmax(seg <= 0.5 * (seg[0] + seg.min())))
    reach = min(len(seg), 3 * half + 1)
    baseline = float(seg[:reach].min())
    top = float(seg[0])
    edge = _threshold_edge(seg, baseline, settings.onset_deg)
    for _ in range(3):
        fit = _fit_min_jerk(seg, top, baseline)
        if fit is None:
            return float(edge)
        hold, duration = fit
        edge = min(max(hold + duration, 1.0), len(seg) - 1.0)
        hold = max(0.0, hold)
        top = float(np.interp(hold, np.arange(len(seg)), seg)) if hold > 0 else float(seg[0])
        baseline = min(float(np.interp(edge, np.arange(len(seg)), seg)), settings.baseline_max_deg)
    return edge


def settle_length(outward_deg: np.ndarray, settings: SegmentationSettings) -> float:
    """Extra samples when the tilt, after the main ascent, settles the last few degrees.

    A swing's hip snap ends the ascent a few degrees short of standing, which then settles
    over a fraction of a second: the rep ends when that settling does. ``outward_deg``
    starts at the main ascent's end; the settling is fitted like a phase down to the
    lowest tilt before the next rise. Zero when there is less than ``settle_min_deg`` left.
    """
    seg = outward_deg
    if len(seg) < 4:
        return 0.0
    running_min = np.minimum.accumulate(seg)
    rising = np.flatnonzero(seg > running_min + settings.settle_rise_deg)
    stop = int(rising[0]) if rising.size else len(seg)
    low = float(running_min[stop - 1])
    if seg[0] - low < settings.settle_min_deg:
        return 0.0
    fit = _fit_min_jerk(seg[:stop], float(seg[0]), low)
    if fit is None:
        return float(_threshold_edge(seg[:stop], low, settings.onset_deg))
    hold, duration = fit
    return float(min(max(hold + duration, 0.0), stop - 1))


def _fit_min_jerk(seg: np.ndarray, top: float, baseline: float) -> tuple[float, float] | None:
    """(hold, duration) in samples from the level crossings; None if they are not usable."""
    span = top - baseline
    if span <= 0:
        return None
    distances = []
    for level in baseline + _LEVELS * span:
        below = np.flatnonzero(seg <= level)
        if below.size == 0 or below[0] == 0:
            return None
        j = int(below[0])
        a, b = seg[j - 1], seg[j]
        distances.append(j - 1 + (a - level) / (a - b) if a != b else float(j))
    x = 1.0 - _LEVEL_TIMES
    slope, intercept = np.polyfit(x, np.asarray(distances), 1)
    if slope <= 0:
        return None
    return float(intercept), float(slope)


def _threshold_edge(seg: np.ndarray, baseline: float, onset_deg: float) -> int:
    """First sample, walking out, within ``onset_deg`` of ``baseline``."""
    near = np.flatnonzero(seg <= baseline + onset_deg)
    return int(near[0]) if near.size else len(seg) - 1


def top_index(
    turned_deg: np.ndarray,
    span: RepSpan,
    rate_hz: float,
    min_return_deg: float,
    stop_rate_fraction: float,
    rate_window_s: float,
) -> int:
    """Where the rep's drive back towards the start posture ends: its top (sample index).

    A span ends when the pelvis is back at the start posture (``detect_reps``). A rep that
    stops short at the top and only settles back into the start posture in the rest after
    it (the last rep of a set: there is no next rep to start from where it stopped) is back
    by then, but its top was where the concentric drive ended, before that settling: the
    return rate falls to about zero there, between the drive and the settle. ``turned_deg``
    is the pelvic tilt turned the drill's way (the rep rises to its bottom, its largest
    value). Walking from the bottom, once the pelvis has come back ``min_return_deg`` (a
    pause at the bottom drifts a degree or so: not yet the drive), the first stretch where
    the return rate (smoothed over ``rate_window_s``) is below ``stop_rate_fraction`` of its
    peak so far is the end of the drive; the top is the stillest sample of that stretch
    within the span. A rep whose return does not stop before it is back has its top in
    the stillness after it, at the start posture; the span's end if the rate never falls.
    """
    first, last = span.bottom_index, span.end_index
    seg = np.asarray(turned_deg[first : last + 1], dtype=np.float64)
    if len(seg) < 3:
        return last
    width = max(1, int(round(rate_window_s * rate_hz)))
    kernel = np.ones(width) / width
    padded = np.concatenate([np.full(width // 2, seg[0]), seg, np.full(width - 1 - width // 2, seg[-1])])
    smooth = np.convolve(padded, kernel, mode="valid")
    return_dps = -np.gradient(smooth) * rate_hz
    back = np.flatnonzero(seg[0] - seg >= min_return_deg)
    if back.size == 0:
        return last
    start = int(back[0])
    peak_dps = np.maximum.accumulate(return_dps)
    stopped = return_dps[start:] < stop_rate_fraction * np.maximum(peak_dps[start:], 1e-9)
    if not stopped.any():
        return last
    run_from = start + int(np.argmax(stopped))
    moving = np.flatnonzero(~stopped[run_from - start :])
    run_to = run_from + int(moving[0]) if moving.size else len(seg)
    return first + run_from + int(np.argmin(np.abs(return_dps[run_from:run_to])))
