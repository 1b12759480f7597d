"""Synthetic IMU signals of known segment rotations, for unit tests of the pipeline steps.

Independent of the simulator: a segment follows given sagittal, frontal and heading
angles (``R_world_segment = Rz · Ry · Rx``, docs/frames.md), the sensor is clipped to it
by a known rotation, and the sensor reads the exact body rate and specific force (no
linear acceleration unless given), plus optional bias and noise.
"""

from __future__ import annotations

import numpy as np

from imuhinge.pipeline.axes import rotation_matrix
from imuhinge.recording import Recording, SensorStream


def world_from_segment(sagittal_deg, frontal_deg, heading_deg) -> np.ndarray:
    """(n, 3, 3) ``R_world_segment`` from angle arrays (deg)."""
    return np.stack(
        [
            rotation_matrix("z", h) @ rotation_matrix("y", s) @ rotation_matrix("x", f)
            for s, f, h in zip(sagittal_deg, frontal_deg, heading_deg)
        ]
    )


def sensor_signals(
    time_s: np.ndarray,
    rotation_world_segment: np.ndarray,
    rotation_segment_sensor: np.ndarray,
    acc_world_g: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(gyr_dps, acc_g) an ideal sensor reads, in its own frame.

    The rate at a sample is the rotation vector of ``R(t−dt)ᵀ R(t+dt)`` over 2·dt, a
    central difference, as a real gyroscope reports the rate at the sample's time.
    """
    r = rotation_world_segment @ rotation_segment_sensor
    delta = np.einsum("nji,njk->nik", r[:-2], r[2:])
    angle = np.arccos(np.clip((np.trace(delta, axis1=1, axis2=2) - 1) / 2, -1, 1))
    axis = np.stack(
        [delta[:, 2, 1] - delta[:, 1, 2], delta[:, 0, 2] - delta[:, 2, 0], delta[:, 1, 0] - delta[:, 0, 1]],
        axis=1,
    )
    scale = np.where(angle > 1e-12, angle / (2 * np.sin(np.maximum(angle, 1e-12))), 0.5)
    rate = axis * scale[:, None] / (time_s[2:] - time_s[:-2])[:, None]
    gyr_dps = np.degrees(np.vstack([rate[:1], rate, rate[-1:]]))
    specific_g = np.tile([0.0, 0.0, 1.0], (len(time_s), 1))
    if acc_world_g is not None:
        specific_g = specific_g + acc_world_g
    acc_g = np.einsum("nji,nj->ni", r, specific_g)
    return gyr_dps, acc_g


def min_jerk(fraction: np.ndarray) -> np.ndarray:
    """Share of a minimum-jerk move covered at normalised time ``fraction`` (0..1)."""
    f = np.clip(fraction, 0.0, 1.0)
    return 10 * f**3 - 15 * f**4 + 6 * f**5


def hinge_profile_deg(time_s: np.ndarray, reps: list[tuple], pause_drop_deg: float = 0.0) -> np.ndarray:
    """Sum of smooth reps, each (start_s, down_s, up_s, depth_deg[, pause_s]).

    Minimum-jerk descent and ascent; during an optional pause the tilt sinks by
    ``pause_drop_deg`` (so the peak stays at the end of the descent).
    """
    out = np.zeros_like(time_s)
    for start, down, up, depth, *rest in reps:
        pause = rest[0] if rest else 0.0
        t = time_s - start
        going = (t >= 0) & (t < down)
        holding = (t >= down) & (t < down + pause)
        coming = (t >= down + pause) & (t < down + pause + up)
        low = depth - (pause_drop_deg if pause > 0 else 0.0)
        out[going] += depth * min_jerk(t[going] / down)
        if pause > 0:
            out[holding] += depth - (depth - low) * min_jerk((t[holding] - down) / pause)
        out[coming] += low * (1 - min_jerk((t[coming] - down - pause) / up))
    return out


def make_recording(
    time_s: np.ndarray,
    segments: dict[str, tuple[np.ndarray, np.ndarray]],
    seed: int = 0,
    noise_gyr_dps: float = 0.2,
    noise_acc_g: float = 0.004,
    bias_dps: float = 1.0,
) -> Recording:
    """A recording from per-sensor (R_world_segment, R_segment_sensor), with noise and bias."""
    rng = np.random.default_rng(seed)
    streams = {}
    for label, (rotation, clip) in segments.items():
        gyr, acc = sensor_signals(time_s, rotation, clip)
        gyr = gyr + rng.normal(0, noise_gyr_dps, gyr.shape) + rng.uniform(-bias_dps, bias_dps, 3)
        acc = acc + rng.normal(0, noise_acc_g, acc.shape)
        streams[label] = SensorStream(time_s=time_s.copy(), acc_g=acc, gyr_dps=gyr)
    return Recording(streams=streams, source="<synthetic>")
