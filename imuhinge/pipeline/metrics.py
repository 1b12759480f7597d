"""Step 6: per-rep measures, exactly as contract 2 defines them.

Peak pelvic tilt, trunk inclination and lumbar flexion are maxima within the rep
[start, end]. Lockout extension is the largest lumbar *extension* (a positive number, 0
if the back never arched) from 60% of the way from the bottom to the end, to the end: the
last 40% of the ascent, where a lifter finishes the rep. The hinge ratio is pelvic tilt
over trunk inclination at the bottom (1.0: all of the lean came from the hips).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .reps import RepSpan
from .result import RepResult
from .settings import MetricsSettings


@dataclass
class RepTraces:
    """The filtered traces a rep is measured on, sharing ``time_s`` (deg, s).

    ``trunk_inclination_deg`` and ``lumbar_flexion_deg`` are measured (two sensors) or
    estimated (one sensor, ``lumbar_flexion_source``); ``lockout_measurable`` is False
    when lumbar extension cannot be measured (one-sensor mode). ``side_bend_deg`` is the
    frontal tilt of the trunk when a thorax sensor is used, else of the pelvis;
    ``heading_deg`` is the pelvis heading (+ to the left; NaN when it cannot be seen, as
    with an accelerometer-only pelvis sensor: no rotation is reported). ``valid`` is False
    inside long data gaps, where the traces are only interpolated: peaks are taken where
    it is True.
    """

    time_s: np.ndarray
    pelvis_tilt_deg: np.ndarray
    trunk_inclination_deg: np.ndarray | None
    lumbar_flexion_deg: np.ndarray | None
    lumbar_flexion_source: str
    side_bend_deg: np.ndarray
    heading_deg: np.ndarray
    lockout_measurable: bool = True
    valid: np.ndarray | None = None
    rep_sign: float = 1.0
    """+1 when reps tilt forward; −1 for a backward drill (the bridge), whose peak pelvic
    tilt and trunk inclination are then the most backward (negative) values in the rep."""


def measure_rep(number: int, span: RepSpan, traces: RepTraces, settings: MetricsSettings) -> RepResult:
    """The contract-2 measures of one rep (flags and reasons are left empty)."""
    start, bottom, end = span.start_index, span.bottom_index, span.end_index
    within = np.arange(start, end + 1)
    if traces.valid is not None and traces.valid[within].any():
        within = within[traces.valid[within]]
    time_s = traces.time_s
    pelvis_at_bottom = float(traces.pelvis_tilt_deg[bottom])
    trunk_peak = lumbar_peak = hinge_ratio = lockout = None
    if traces.trunk_inclination_deg is not None:
        trunk_peak = _peak(traces.trunk_inclination_deg[within], traces.rep_sign)
        trunk_at_bottom = float(traces.trunk_inclination_deg[bottom])
        if abs(trunk_at_bottom) > 1.0:
            hinge_ratio = pelvis_at_bottom / trunk_at_bottom
    if traces.lumbar_flexion_deg is not None:
        lumbar_peak = float(np.max(traces.lumbar_flexion_deg[within]))
        if traces.lockout_measurable:
            lockout = lockout_extension_deg(traces.lumbar_flexion_deg, span, settings)
    rotation = None
    if np.isfinite(traces.heading_deg[start]):
        rotation = signed_extreme(traces.heading_deg[within] - traces.heading_deg[start])
    return RepResult(
        rep=number,
        start_s=_round(time_s[start], 3),
        bottom_s=_round(time_s[bottom], 3),
        end_s=_round(time_s[end], 3),
        pelvis_tilt_deg=_round(_peak(traces.pelvis_tilt_deg[within], traces.rep_sign), 2),
        trunk_inclination_deg=_round(trunk_peak, 2),
        lumbar_flexion_deg=_round(lumbar_peak, 2),
        lumbar_flexion_source=traces.lumbar_flexion_source,
        lockout_extension_deg=_round(lockout, 2),
        hinge_ratio=_round(hinge_ratio, 3),
        eccentric_s=_round(time_s[bottom] - time_s[start], 3),
        concentric_s=_round(time_s[end] - time_s[bottom], 3),
        side_bend_deg=_round(signed_extreme(traces.side_bend_deg[within]), 2),
        rotation_deg=_round(rotation, 2),
    )


def lockout_extension_deg(lumbar_flexion_deg: np.ndarray, span: RepSpan, settings: MetricsSettings) -> float:
    """Largest lumbar extension (deg, positive; 0.0 if none) over the end of the ascent."""
    first = span.bottom_index + int(math.ceil(settings.lockout_from_fraction * (span.end_index - span.bottom_index)))
    first = min(first, span.end_index)
    extension = -float(np.min(lumbar_flexion_deg[first : span.end_index + 1]))
    return max(0.0, extension)


def _peak(x: np.ndarray, sign: float) -> float:
    """The extreme of ``x`` the rep's way: its maximum (sign +1) or its minimum (−1)."""
    return float(np.max(x)) if sign > 0 else float(np.min(x))


def signed_extreme(x: np.ndarray) -> float:
    """The value of largest magnitude, with its sign."""
    return float(x[int(np.argmax(np.abs(x)))]) if len(x) else 0.0


def _round(value, digits: int):
    return None if value is None else round(float(value), digits)
