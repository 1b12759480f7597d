"""Step 3: each segment's orientation in the world, from imufusion's AHRS.

The gyroscope (bias removed) and accelerometer are first expressed in the segment frame,
so Fusion's quaternion is ``R_world_segment`` directly (NWU: x forward at the start,
z up). The filter runs on the analysis clock; one Python call per sample is the only
per-sample loop in the analysis. ``OrientationFilter`` keeps Fusion's state between calls
so live use can feed it block by block; ``estimate_orientation`` runs a whole recording
(optionally forwards and backwards, blending the two, to halve the accelerometer lag).
"""

from __future__ import annotations

import imufusion
import numpy as np

from .settings import FusionSettings


class OrientationFilter:
    """One imufusion AHRS fed segment-frame samples at a fixed rate.

    Parameters are the settings and the sample rate (Hz); the AHRS is created on
    ``reset`` (called by the first ``update``).
    """

    def __init__(self, settings: FusionSettings, rate_hz: float):
        self.settings = settings
        self.rate_hz = rate_hz
        self._ahrs: imufusion.Ahrs | None = None

    def reset(self) -> "OrientationFilter":
        """Start again from identity (upright, heading zero) with Fusion's startup ramp."""
        ahrs = imufusion.Ahrs()
        ahrs.set_settings(
            imufusion.AhrsSettings(
                sample_rate=self.rate_hz,
                convention=imufusion.CONVENTION_NWU,
                gain=self.settings.gain,
                gyroscope_range=self.settings.gyroscope_range_dps,
                acceleration_rejection=self.settings.acceleration_rejection_deg,
                magnetic_rejection=0.0,
                rejection_timeout=self.settings.rejection_timeout_s,
            )
        )
        ahrs.set_sample_period(1.0 / self.rate_hz)
        self._ahrs = ahrs
        return self

    def update(
        self, gyr_dps: np.ndarray, acc_g: np.ndarray, restart: np.ndarray | None = None
    ) -> np.ndarray:
        """Feed (n, 3) segment-frame samples; return (n, 4) quaternions (w, x, y, z).

        Where ``restart`` is True (the first sample after a long data gap, across which
        the orientation is lost), Fusion starts again and re-levels from the accelerometer.
        """
        if self._ahrs is None:
            self.reset()
        gyr = np.ascontiguousarray(gyr_dps, dtype=np.float64)
        acc = np.ascontiguousarray(acc_g, dtype=np.float64)
        out = np.empty((len(gyr), 4))
        ahrs = self._ahrs
        step, read = ahrs.update_no_magnetometer, ahrs.get_quaternion
        marks = np.flatnonzero(restart) if restart is not None else np.empty(0, dtype=int)
        bounds = [0, *marks.tolist(), len(gyr)]
        for first, stop in zip(bounds[:-1], bounds[1:]):
            if first in marks:
                ahrs.restart()
            for i in range(first, stop):
                step(gyr[i], acc[i])
                out[i] = read()
        return out


def estimate_orientation(
    gyr_dps: np.ndarray,
    acc_g: np.ndarray,
    rate_hz: float,
    settings: FusionSettings,
    still: np.ndarray | None = None,
    valid: np.ndarray | None = None,
    bridge_error_deg: np.ndarray | None = None,
) -> np.ndarray:
    """(n, 4) quaternions ``R_world_segment`` from segment-frame gyroscope and accelerometer.

    ``still`` marks samples at rest (the accelerometer then gives the tilt), ``valid``
    samples outside long data gaps. Across a gap the orientation is lost, so Fusion
    starts again at the first still sample after it, where it levels itself quickly.
    With ``settings.smooth`` the recording is also run backwards in time and the two
    passes are blended per sample, each weighted by how recently it was anchored (still
    for ``anchor_still_s`` since it last started): the forward pass's drift grows with
    the time since its last anchor, the backward pass's with the time to its next one,
    and weighting each by the other's distance cancels a steady drift between two rests.
    A bridged data loss (``bridge_error_deg``: its possible error) adds to the distance of
    the pass that crossed it as much time as a drift of ``drift_dps`` needs to make that
    error, so the pass that did not cross it is preferred.
    """
    n = len(gyr_dps)
    valid = np.ones(n, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    still = np.zeros(n, dtype=bool) if still is None else np.asarray(still, dtype=bool) & valid
    acc_g = np.where(accelerometer_trusted(gyr_dps, acc_g, rate_hz, settings)[:, None], acc_g, 0.0)
    starts_forward = _gap_ends(valid)
    restarts_forward = _first_still_after(starts_forward, still)
    forward = OrientationFilter(settings, rate_hz).update(gyr_dps, acc_g, restarts_forward)
    if not settings.smooth or not still.any():
        return forward
    backward_gyr = -np.concatenate([gyr_dps[1:], gyr_dps[-1:]])[::-1]
    starts_backward = _gap_ends(valid[::-1])
    restarts_backward = _first_still_after(starts_backward, still[::-1])
    backward = OrientationFilter(settings, rate_hz).update(backward_gyr, acc_g[::-1], restarts_backward)
    settle = max(1, int(round(settings.anchor_still_s * rate_hz)))
    jumps = np.zeros(n) if bridge_error_deg is None else bridge_error_deg * (rate_hz / settings.drift_dps)
    since = _time_since_anchor(still, starts_forward | restarts_forward, settle, jumps)
    until = _time_since_anchor(still[::-1], starts_backward | restarts_backward, settle, jumps[::-1])[::-1]
    return _blend(forward, backward[::-1], _forward_weight(since, until))


def _gap_ends(valid: np.ndarray) -> np.ndarray:
    """True at the first sample and at the first valid sample after each long gap."""
    ends = np.zeros(len(valid), dtype=bool)
    ends[0] = True
    ends[1:] = valid[1:] & ~valid[:-1]
    return ends


def _first_still_after(starts: np.ndarray, still: np.ndarray) -> np.ndarray:
    """True at the first still sample at or after each True of ``starts``."""
    marks = np.zeros(len(still), dtype=bool)
    still_at = np.flatnonzero(still)
    after = np.searchsorted(still_at, np.flatnonzero(starts))
    marks[still_at[after[after < len(still_at)]]] = True
    return marks


def _time_since_anchor(
    still: np.ndarray, starts: np.ndarray, settle: int, jumps: np.ndarray
) -> np.ndarray:
    """Samples since the pass was last anchored (infinite before its first anchor), plus
    the ``jumps`` (in samples) it crossed since.

    A sample anchors the pass when it ends ``settle`` still samples in a row since the
    pass last (re)started (``starts``: its first sample, gap ends and restarts).
    """
    index = np.arange(len(still))
    starts = starts.copy()
    starts[0] = True
    last_start = np.maximum.accumulate(np.where(starts, index, -1))
    last_moving = np.maximum.accumulate(np.where(~still, index, -1))
    still_for = index - np.maximum(last_moving, last_start - 1)
    anchored = still & (still_for >= settle)
    last_anchor = np.maximum.accumulate(np.where(anchored, index, -1))
    crossed = np.cumsum(jumps)
    since = (index - last_anchor) + crossed - crossed[np.maximum(last_anchor, 0)]
    since[(last_anchor < 0) | (last_anchor < last_start)] = np.inf
    return since


def _forward_weight(since: np.ndarray, until: np.ndarray) -> np.ndarray:
    """Weight of the forward pass: the backward pass's distance over the sum of both."""
    with np.errstate(invalid="ignore"):
        weight = (until + 1.0) / (since + until + 2.0)
    weight = np.where(np.isinf(since) & ~np.isinf(until), 0.0, weight)
    weight = np.where(~np.isinf(since) & np.isinf(until), 1.0, weight)
    return np.where(np.isinf(since) & np.isinf(until), 0.5, weight)


def accelerometer_trusted(
    gyr_dps: np.ndarray, acc_g: np.ndarray, rate_hz: float, settings: FusionSettings
) -> np.ndarray:
    """True where the body moves so little that the accelerometer reads gravity alone.

    Elsewhere the accelerometer is withheld from Fusion (a zero vector, which Fusion
    skips), so the orientation follows the gyroscope through the movement: a swing's or
    a walk's accelerations would otherwise pull the tilt by degrees. The test: turning
    slower than ``acc_trust_rate_dps`` and reading within ``acc_trust_g`` of 1 g, both
    averaged over ``acc_trust_window_s``.
    """
    width = max(1, int(round(settings.acc_trust_window_s * rate_hz)))
    kernel = np.ones(width) / width
    rate = np.convolve(np.linalg.norm(gyr_dps, axis=1), kernel, mode="same")
    level = np.convolve(np.linalg.norm(acc_g, axis=1), kernel, mode="same")
    return (rate < settings.acc_trust_rate_dps) & (np.abs(level - 1.0) < settings.acc_trust_g)


def _blend(a: np.ndarray, b: np.ndarray, weight_a: np.ndarray) -> np.ndarray:
    """Per-sample weighted mean of two quaternion sequences (normalised).

    The two passes start from different headings (Fusion zeroes heading at its start), so
    ``b`` is first turned about the vertical to ``a``'s heading, sample by sample.
    """
    half = 0.5 * (_heading(a) - _heading(b))
    turn = np.stack([np.cos(half), np.zeros_like(half), np.zeros_like(half), np.sin(half)], axis=1)
    b = _multiply(turn, b)
    b = np.where((np.sum(a * b, axis=1) < 0)[:, None], -b, b)
    mean = weight_a[:, None] * a + (1.0 - weight_a[:, None]) * b
    return mean / np.linalg.norm(mean, axis=1, keepdims=True)


def _heading(q: np.ndarray) -> np.ndarray:
    w, x, y, z = q.T
    return np.arctan2(2 * (x * y + w * z), 1 - 2 * (y * y + z * z))


def _multiply(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton product of (n, 4) quaternion arrays."""
    pw, px, py, pz = p.T
    qw, qx, qy, qz = q.T
    return np.stack(
        [
            pw * qw - px * qx - py * qy - pz * qz,
            pw * qx + px * qw + py * qz - pz * qy,
            pw * qy - px * qz + py * qw + pz * qx,
            pw * qz + px * qy - py * qx + pz * qw,
        ],
        axis=1,
    )
