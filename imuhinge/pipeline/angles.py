"""Step 4: segment angles from orientation, relative to calibration, filtered.

Sagittal (pelvic tilt, trunk inclination) and frontal (side bend) angles come from the
direction of gravity in the segment frame; the heading gives rotation about the vertical.
All are made relative to the calibration standing (their mean there is subtracted) and
low-passed without phase shift, so peaks keep their time. Lumbar flexion is trunk
inclination minus pelvic tilt, both already relative to calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from .axes import quaternions_to_matrices, sagittal_frontal_heading_deg
from .settings import FilterSettings


@dataclass
class SegmentAngles:
    """One segment's angle traces (deg) on the analysis clock.

    ``sagittal_deg``: + forward; ``frontal_deg``: + towards the right; ``heading_deg``:
    + to the left, unwrapped (only differences within a rep mean anything).
    """

    sagittal_deg: np.ndarray
    frontal_deg: np.ndarray
    heading_deg: np.ndarray


def segment_angles(
    quaternions_wxyz: np.ndarray,
    rate_hz: float,
    calibration_window: tuple[int, int],
    settings: FilterSettings,
    valid: np.ndarray | None = None,
    zero_sagittal_percentile: float | None = None,
    sagittal_offset_deg: np.ndarray | None = None,
) -> SegmentAngles:
    """Angles of ``R_world_segment`` quaternions, zeroed on the calibration window, filtered.

    ``valid`` (optional): False inside long data gaps, where the orientation is unknown;
    the angles there are replaced by a straight line between the gap's edges before filtering, so
    the filter does not smear the jump at a gap's end into the measured samples next to it.
    For a recording with no standing to zero on (``pipeline.fallback``):
    ``sagittal_offset_deg`` (optional, per sample) is added to the sagittal angle first,
    and ``zero_sagittal_percentile`` zeroes it at that percentile of its values in the
    window instead of at their mean.
    """
    sagittal, frontal, heading = sagittal_frontal_heading_deg(quaternions_to_matrices(quaternions_wxyz))
    if valid is not None:
        sagittal, frontal, heading = (bridge_invalid(x, valid) for x in (sagittal, frontal, heading))
    start, stop = calibration_window
    if sagittal_offset_deg is not None:
        sagittal = sagittal + sagittal_offset_deg
    if zero_sagittal_percentile is None:
        sagittal = sagittal - np.mean(sagittal[start:stop])
    else:
        sagittal = sagittal - np.percentile(sagittal[start:stop], zero_sagittal_percentile)
    frontal = frontal - np.mean(frontal[start:stop])
    heading = heading - np.mean(heading[start:stop])
    return SegmentAngles(
        sagittal_deg=lowpass(sagittal, rate_hz, settings),
        frontal_deg=lowpass(frontal, rate_hz, settings),
        heading_deg=lowpass(heading, rate_hz, settings),
    )


def bridge_invalid(x: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``x`` with samples where ``valid`` is False replaced by linear interpolation.

    Unchanged when no sample, or every sample, is valid (nothing to interpolate from).
    """
    valid = np.asarray(valid, dtype=bool)
    if valid.all() or not valid.any():
        return x
    index = np.arange(len(x))
    out = np.array(x, dtype=np.float64)
    out[~valid] = np.interp(index[~valid], index[valid], out[valid])
    return out


def lowpass(x: np.ndarray, rate_hz: float, settings: FilterSettings) -> np.ndarray:
    """Zero-phase Butterworth low-pass of ``x`` (sampled at ``rate_hz``) along axis 0."""
    if settings.cutoff_hz <= 0 or settings.cutoff_hz >= 0.5 * rate_hz:
        return np.asarray(x, dtype=np.float64)
    sos = butter(settings.order, settings.cutoff_hz, btype="low", fs=rate_hz, output="sos")
    if len(x) <= 3 * (2 * len(sos) + 1):
        return np.asarray(x, dtype=np.float64)
    return sosfiltfilt(sos, x, axis=0)


def lumbar_flexion_deg(trunk_inclination_deg: np.ndarray, pelvis_tilt_deg: np.ndarray) -> np.ndarray:
    """Lumbar flexion (deg, + rounding): trunk inclination minus pelvic tilt.

    Both inputs are already relative to calibration standing, so the calibration
    difference is zero by construction.
    """
    return trunk_inclination_deg - pelvis_tilt_deg
