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

    def update(self, gyr_dps: np.ndarray, acc_g: np.ndarray) -> np.ndarray:
        """Feed (n, 3) segment-frame samples; return (n, 4) quaternions (w, x, y, z)."""
        if self._ahrs is None:
            self.reset()
        gyr = np.ascontiguousarray(gyr_dps, dtype=np.float64)
        acc = np.ascontiguousarray(acc_g, dtype=np.float64)
        out = np.empty((len(gyr), 4))
        step = self._ahrs.update_no_magnetometer
        read = self._ahrs.get_quaternion
        for i in range(len(gyr)):
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
) -> np.ndarray:
    """(n, 4) quaternions ``R_world_segment`` from segment-frame gyroscope and accelerometer.

    With ``settings.smooth`` and a ``still`` mask (True where the sensor is at rest, so the
    accelerometer gives the tilt exactly), the recording is also run backwards in time
    and the two passes are blended per sample, each weighted by how recently it was
    anchored at rest: the forward pass's drift grows with the time since the last rest,
    the backward pass's with the time to the next one, and weighting each by the other's
    distance cancels a steady drift between two rests. A pass that crossed a long data
    gap (``valid`` False) since its last rest is not trusted until the next one.
    """
    forward = OrientationFilter(settings, rate_hz).update(gyr_dps, acc_g)
    if not settings.smooth or still is None:
        return forward
    backward_gyr = -np.concatenate([gyr_dps[1:], gyr_dps[-1:]])[::-1]
    backward = OrientationFilter(settings, rate_hz).update(backward_gyr, acc_g[::-1])[::-1]
    valid = np.ones(len(still), dtype=bool) if valid is None else valid
    since = _time_since_anchor(still, valid)
    until = _time_since_anchor(still[::-1], valid[::-1])[::-1]
    weight_forward = _forward_weight(since, until)
    return _blend(forward, backward, weight_forward)


def _time_since_anchor(still: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Samples since the last still sample; infinite if a gap came after it (or none yet)."""
    index = np.arange(len(still))
    last_still = np.maximum.accumulate(np.where(still, index, -1))
    last_gap = np.maximum.accumulate(np.where(~valid, index, -1))
    since = (index - last_still).astype(np.float64)
    since[(last_still < 0) | (last_gap > last_still)] = np.inf
    return since


def _forward_weight(since: np.ndarray, until: np.ndarray) -> np.ndarray:
    """Weight of the forward pass: the backward pass's distance over the sum of both."""
    with np.errstate(invalid="ignore"):
        weight = (until + 1.0) / (since + until + 2.0)
    weight = np.where(np.isinf(since) & ~np.isinf(until), 0.0, weight)
    weight = np.where(~np.isinf(since) & np.isinf(until), 1.0, weight)
    return np.where(np.isinf(since) & np.isinf(until), 0.5, weight)


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
