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
    gyr_dps: np.ndarray, acc_g: np.ndarray, rate_hz: float, settings: FusionSettings
) -> np.ndarray:
    """(n, 4) quaternions ``R_world_segment`` from segment-frame gyroscope and accelerometer.

    With ``settings.smooth`` the recording is also run backwards in time (rates negated)
    from the forward pass's final orientation, and the two passes are blended per
    sample: the forward pass lags the truth where the accelerometer corrects it, the
    backward pass leads, and their mean cancels most of it.
    """
    forward = OrientationFilter(settings, rate_hz).update(gyr_dps, acc_g)
    if not settings.smooth:
        return forward
    backward = OrientationFilter(settings, rate_hz).update(-gyr_dps[::-1], acc_g[::-1])[::-1]
    return _blend(forward, backward)


def _blend(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-sample normalised mean of two quaternion sequences with matching signs.

    The two passes start from different headings (Fusion zeroes heading at its start), so
    ``b`` is first rotated about the vertical to ``a``'s heading, sample by sample.
    """
    heading_a = _heading(a)
    heading_b = _heading(b)
    half = 0.5 * (heading_a - heading_b)
    turn = np.stack([np.cos(half), np.zeros_like(half), np.zeros_like(half), np.sin(half)], axis=1)
    b = _multiply(turn, b)
    b = np.where((np.sum(a * b, axis=1) < 0)[:, None], -b, b)
    mean = a + b
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
