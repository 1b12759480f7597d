"""The simulated IMUs: clip orientation, ideal signals, and what real sensors add.

An ideal IMU at a body site reads, in its own frame, the specific force
``R_world_sensor^T (a_world + g·ẑ) / g`` (g; +1 g up when still) and the body angular
rate ω (°/s, ``Ṙ = R·[ω]×``), with ``R_world_sensor = R_world_segment · R_segment_sensor``.
Both are computed by central differences of the smooth body model over ±``STEP_S``
around each true sample time, so they are exact to well below the sensor noise at any
sample rate. Faults (bias, drift, scale, noise, int16 quantisation, timestamp jitter,
packet loss) are applied after, from the sensor's ``SensorFaults``.
"""

from __future__ import annotations

import itertools

import numpy as np

from .body import GRAVITY_MPS2, Balance, body_pose, body_rate_rad_s, posture_pitch_deg
from .config import BodySettings, SensorFaults
from .kinematics import Motion

STEP_S = 1e-3
"""Half-width of the central differences: acceleration errors ~STEP_S² · d⁴x/dt⁴, far below
a milli-g for any human movement."""
CHUNK_SAMPLES = 60_000
"""Samples simulated at once, to bound memory on long sessions."""
NOISE_RATE_HZ = 100.0
"""Noise levels are stated as rms at this rate; the density is kept at other rates."""
TIME_RESOLUTION_S = 1e-4
"""Timestamps are reported to 0.1 ms, as the recording CSV writes them."""
MAX_BRIDGED_GAP_S = 0.2
"""Short loss bursts are kept below this, so only a planned long loss makes a gap the
analysis cannot bridge (its threshold is 0.25 s)."""


def axis_aligned_rotations() -> np.ndarray:
    """The 24 proper rotations whose columns are ± coordinate axes, as (24, 3, 3)."""
    found = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            m = np.zeros((3, 3))
            m[list(perm), [0, 1, 2]] = signs
            if np.linalg.det(m) > 0.0:
                found.append(m)
    return np.array(found)


def tilt_rotation(axis: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rotation by ``angle_deg`` about the unit vector ``axis`` (Rodrigues)."""
    axis = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    a = np.radians(angle_deg)
    return np.eye(3) + np.sin(a) * k + (1.0 - np.cos(a)) * (k @ k)


def ideal_imu(
    motion: Motion,
    balance: Balance,
    body: BodySettings,
    site: str,
    segment_to_sensor: np.ndarray,
    time_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(specific force in g, angular rate in °/s), sensor frame, of an ideal IMU at ``site``
    (``sacrum`` or ``T12``) sampling at the true times ``time_s``; each (n, 3)."""
    acc_g = np.empty((len(time_s), 3))
    gyr_dps = np.empty((len(time_s), 3))
    for first in range(0, len(time_s), CHUNK_SAMPLES):
        part = slice(first, first + CHUNK_SAMPLES)
        acc_g[part], gyr_dps[part] = _ideal_segment_imu(motion, balance, body, site, time_s[part])
    # Rows are vectors: v_sensor = R_ss^T v_segment, i.e. v_segment @ R_ss.
    return acc_g @ segment_to_sensor, gyr_dps @ segment_to_sensor


def _ideal_segment_imu(
    motion: Motion, balance: Balance, body: BodySettings, site: str, time_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Specific force (g) and angular rate (°/s) in the segment frame at ``time_s``."""
    n = len(time_s)
    h = STEP_S
    stencil_s = np.concatenate([time_s - h, time_s, time_s + h])
    channels = motion.at(stencil_s)
    position, r_world_segment = body_pose(channels, body, balance.at(stencil_s)).site(site)
    before, now, after = position[:n], position[n : 2 * n], position[2 * n :]
    acc_world = (after - 2.0 * now + before) / (h * h)

    def split(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        values = np.radians(channels[name])
        return values[:n], values[n : 2 * n], values[2 * n :]

    segment = "pelvis" if site == "sacrum" else "thorax"
    heading = split("heading_deg")
    rotation = tuple(a + b for a, b in zip(heading, split(f"{segment}_rotation_deg")))
    if segment == "pelvis":
        sagittal = split("pelvis_tilt_deg")
    else:
        sagittal = tuple(a + b for a, b in zip(split("pelvis_tilt_deg"), split("lumbar_flexion_deg")))
    pitch_deg = posture_pitch_deg(body)
    if pitch_deg:
        sagittal = tuple(a + np.radians(pitch_deg) for a in sagittal)
    frontal = split(f"{segment}_side_bend_deg")
    rate = lambda angle: (angle[2] - angle[0]) / (2.0 * h)  # noqa: E731
    omega = body_rate_rad_s(sagittal[1], frontal[1], rate(rotation), rate(sagittal), rate(frontal))

    # Walking travel: the body moves along its heading at the walking speed. Only its
    # acceleration matters: dv/dt along the heading plus v·dψ/dt across it.
    speed = channels["speed_mps"]
    psi = heading[1]
    along = (speed[2 * n :] - speed[:n]) / (2.0 * h)
    across = speed[n : 2 * n] * rate(heading)
    acc_world[:, 0] += along * np.cos(psi) - across * np.sin(psi)
    acc_world[:, 1] += along * np.sin(psi) + across * np.cos(psi)

    acc_world[:, 2] += GRAVITY_MPS2
    r_now = r_world_segment[n : 2 * n]
    acc_segment_g = np.einsum("nji,nj->ni", r_now, acc_world) / GRAVITY_MPS2
    return acc_segment_g, np.degrees(omega)


def true_sample_times(duration_s: float, rate_hz: float, phase_s: float) -> np.ndarray:
    """When the sensor actually samples: every 1/rate from ``phase_s`` up to ``duration_s``."""
    count = int(np.floor((duration_s - phase_s) * rate_hz)) + 1
    return phase_s + np.arange(count) / rate_hz


def reported_times(true_s: np.ndarray, rate_hz: float, jitter_s: float, rng: np.random.Generator) -> np.ndarray:
    """Timestamps as the host reports them: true time plus jitter (clipped to ±30% of a
    period, so still strictly increasing), rounded to 0.1 ms."""
    period_s = 1.0 / rate_hz
    jitter = np.clip(rng.normal(0.0, jitter_s, len(true_s)), -0.3 * period_s, 0.3 * period_s)
    return np.round((true_s + jitter) / TIME_RESOLUTION_S) * TIME_RESOLUTION_S


def lost_samples(true_s: np.ndarray, rate_hz: float, faults: SensorFaults, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of samples lost over Bluetooth: short bursts, and the planned long loss.

    Bursts are 1 to ``max_burst_samples`` long (and short enough to leave a gap under
    ``MAX_BRIDGED_GAP_S``), placed in separate slots so two never merge into a longer gap.
    """
    n = len(true_s)
    lost = np.zeros(n, dtype=bool)
    longest = int(min(faults.max_burst_samples, np.floor(MAX_BRIDGED_GAP_S * rate_hz) - 1))
    if faults.loss_fraction > 0.0 and longest >= 1:
        slot = longest + 2
        slots = n // slot
        bursts = min(slots, int(round(faults.loss_fraction * n / (0.5 * (1 + longest)))))
        chosen = np.sort(rng.choice(slots, size=bursts, replace=False))
        length = rng.integers(1, longest + 1, size=bursts)
        offset = rng.integers(1, slot - length + 1)
        starts = chosen * slot + offset
        index = np.repeat(starts, length) + (np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length))
        lost[index[index < n]] = True
    if faults.long_loss_s > 0.0:
        lost |= (true_s >= faults.long_loss_start_s) & (true_s < faults.long_loss_start_s + faults.long_loss_s)
    lost[0] = False
    return lost


def add_faults(
    acc_g: np.ndarray,
    gyr_dps: np.ndarray,
    true_s: np.ndarray,
    rate_hz: float,
    faults: SensorFaults,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Ideal sensor-frame signals as a real sensor reports them: scale, bias, drift, noise,
    then int16 quantisation and clipping at full scale."""
    n = len(true_s)
    noise_scale = np.sqrt(rate_hz / NOISE_RATE_HZ)
    gyr = gyr_dps + np.asarray(faults.gyro_bias_dps)
    if faults.gyro_drift_dps_per_sqrt_s > 0.0:
        steps = rng.normal(0.0, faults.gyro_drift_dps_per_sqrt_s * np.sqrt(1.0 / rate_hz), (n, 3))
        gyr = gyr + np.cumsum(steps, axis=0)
    if faults.gyro_noise_dps > 0.0:
        gyr = gyr + rng.normal(0.0, faults.gyro_noise_dps * noise_scale, (n, 3))
    acc = acc_g * np.asarray(faults.acc_scale) + np.asarray(faults.acc_bias_g)
    if faults.acc_noise_g > 0.0:
        acc = acc + rng.normal(0.0, faults.acc_noise_g * noise_scale, (n, 3))
    if faults.quantise:
        acc = _int16(acc, faults.acc_full_scale_g)
        gyr = _int16(gyr, faults.gyro_full_scale_dps)
    return acc, gyr


def _int16(values: np.ndarray, full_scale: float) -> np.ndarray:
    lsb = full_scale / 32768.0
    return np.clip(np.round(values / lsb), -32768, 32767) * lsb
