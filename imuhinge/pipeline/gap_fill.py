"""Step 5a (two-sensor mode): a pelvic tilt trace to find reps in, across pelvis gaps.

Reps are found in the pelvic tilt. When the pelvis sensor drops out for longer than can
be bridged, its tilt there is only interpolated, and a fast rep inside the loss (a swing
lasts about a second) vanishes from it: the rep would not be counted at all. If the
thorax sensor kept sending, its inclination shows the rep. Over the neighbouring
seconds, where both sensors were received, pelvic tilt is close to a linear function of
trunk inclination (same movement, a steady share of it from the hips), so inside the
gap the tilt is filled with that function of the trunk, shifted so it meets the measured
tilt at both edges of the gap.

The filled trace is for segmentation only: metrics are taken from the measured traces,
and a rep that overlaps the gap is flagged ``gap`` and not judged.
"""

from __future__ import annotations

import numpy as np

from .settings import GapFillSettings


def segmentation_tilt_deg(
    pelvis_tilt_deg: np.ndarray,
    pelvis_valid: np.ndarray,
    trunk_deg: np.ndarray,
    thorax_valid: np.ndarray,
    rate_hz: float,
    settings: GapFillSettings,
) -> np.ndarray:
    """Pelvic tilt (deg) with each pelvis gap filled from the trunk inclination where it can be.

    A gap is left as it was when the thorax was not received through it or when there
    is too little shared context around it to scale the trunk to the pelvis.
    """
    tilt = np.array(pelvis_tilt_deg, dtype=np.float64)
    if not settings.enabled:
        return tilt
    pelvis_valid = np.asarray(pelvis_valid, dtype=bool)
    thorax_valid = np.asarray(thorax_valid, dtype=bool)
    both = pelvis_valid & thorax_valid
    for start, stop in invalid_runs(pelvis_valid):
        if not thorax_valid[start:stop].all():
            continue
        context = context_mask(both, start, stop, int(round(settings.context_s * rate_hz)))
        if context.sum() < settings.min_context_s * rate_hz:
            continue
        fit = trunk_to_pelvis_fit(trunk_deg[context], tilt[context], settings)
        if fit is None:
            continue
        tilt[start:stop] = filled_run_deg(tilt, trunk_deg, start, stop, *fit)
    return tilt


def invalid_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index ranges (stop exclusive) of each run of False in ``valid``."""
    edges = np.diff(np.concatenate([[1], valid.astype(np.int8), [1]]))
    return list(zip(np.flatnonzero(edges == -1).tolist(), np.flatnonzero(edges == 1).tolist()))


def context_mask(both_valid: np.ndarray, start: int, stop: int, reach: int) -> np.ndarray:
    """Samples within ``reach`` of the run [start, stop) where both sensors were received."""
    mask = np.zeros(len(both_valid), dtype=bool)
    mask[max(0, start - reach) : start] = True
    mask[stop : stop + reach] = True
    return mask & both_valid


def trunk_to_pelvis_fit(
    trunk_deg: np.ndarray, pelvis_deg: np.ndarray, settings: GapFillSettings
) -> tuple[float, float] | None:
    """(scale, offset) of ``pelvis ≈ scale · trunk + offset`` by least squares.

    None when the trunk barely moved (nothing to scale) or the scale is implausible (the
    pelvis does not follow the trunk there), since the fill would then invent reps.
    """
    if np.ptp(trunk_deg) < settings.min_trunk_range_deg:
        return None
    scale, offset = np.polyfit(trunk_deg, pelvis_deg, 1)
    if not settings.min_scale <= scale <= settings.max_scale:
        return None
    return float(scale), float(offset)


def filled_run_deg(
    tilt_deg: np.ndarray, trunk_deg: np.ndarray, start: int, stop: int, scale: float, offset: float
) -> np.ndarray:
    """The scaled trunk over [start, stop), plus a linear ramp of the misfit at both edges.

    The ramp makes the fill meet the measured tilt at the last sample before the gap and
    the first one after it, so no step at an edge looks like (or hides) a rep's onset.
    """
    model = scale * trunk_deg + offset
    left = tilt_deg[start - 1] - model[start - 1] if start > 0 else None
    right = tilt_deg[stop] - model[stop] if stop < len(tilt_deg) else None
    left = right if left is None else left
    right = left if right is None else right
    if left is None:
        return model[start:stop]
    ramp = np.linspace(0.0, 1.0, stop - start + 2)[1:-1]
    return model[start:stop] + left + (right - left) * ramp
