"""The simulated body: segment geometry, standing balance, positions and orientations.

This is the one place the simulator converts between frames (docs/frames.md). World: x
forward as the person faced in calibration, y left, z up. Segments (pelvis, thorax): x
anterior, y left, z cranial, equal to the world in quiet standing, oriented
``R_world_segment = Rz(heading + rotation) · Ry(sagittal) · Rx(side bend)``.

The model is sagittal first: feet fixed with the ankles at the origin, the shank tilted
forward by α, the thigh back by β (knee flexion k = α + β), the pelvis on the hips, the
lumbar column bending uniformly from the pelvis's angle to the thorax's, arms hanging
from the shoulders with the load in the hands. Balance chooses α so the whole-body centre
of mass stays at ``com_forward_m`` (sway, weight shifts) over the ankles, which is why the
hips travel back when the trunk leans forward: exactly for slow movements, low-passed for
fast ones (``Balance``). Everything is computed in the body frame (turned with the
heading) and then turned into the world.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, sosfiltfilt

from .config import BodySettings

MASS_FRACTION = {
    "foot": 0.0145,
    "shank": 0.0465,
    "thigh": 0.100,
    "pelvis": 0.142,
    "abdomen": 0.139,
    "thorax": 0.216,
    "head": 0.081,
    "arm": 0.050,
}
"""Winter (2009), Biomechanics and Motor Control of Human Movement, table 4.1; ``arm`` is
upper arm + forearm + hand; the limbs are per side."""

SHANK_COM_FROM_ANKLE = 0.567
THIGH_COM_FROM_KNEE = 0.567
"""Winter's centre-of-mass positions (0.433 of the length from the proximal joint)."""
FOOT_COM_FORWARD_M = 0.05
PELVIS_COM_FROM_HIP_M = (-0.03, 0.0, 0.07)
ABDOMEN_COM_FORWARD_M = 0.05
"""The abdomen's mass sits this far anterior of the middle of the lumbar column."""
THORAX_COM_FROM_T12_M = (0.05, 0.0, 0.12)
HEAD_COM_FROM_T12_M = (0.04, 0.0, 0.38)
SHOULDER_FROM_T12_M = (0.03, 0.0, 0.20)
ARM_COM_FROM_SHOULDER_M = 0.28
LOAD_FROM_SHOULDER_M = 0.72
"""Centre of a kettlebell held in straight arms, below the shoulder joint."""
GRAVITY_MPS2 = 9.80665
BALANCE_CUTOFF_HZ = 2.0
"""How fast balance follows posture: the hips counter the trunk's and arms' movements
below about this frequency (a 2nd-order zero-phase low-pass)."""
LYING_PITCH_DEG = -90.0
"""Lying on the back: both segments' sagittal angles are offset by this (pitched back)."""
KNEE_ON_FLOOR_M = (0.0, 0.0, 0.05)
"""Kneeling: the knee joint centre above the floor, at the ankles' origin."""
SHOULDER_ON_FLOOR_M = (0.0, 0.0, 0.10)
"""Lying: the shoulder joint centre, resting on the floor."""
BALANCE_GRID_HZ = 100.0
BALANCE_CHUNK = 100_000


def segment_rotation(heading_rad: np.ndarray, sagittal_rad: np.ndarray, frontal_rad: np.ndarray) -> np.ndarray:
    """``Rz(heading) · Ry(sagittal) · Rx(frontal)`` as an (..., 3, 3) array."""
    cz, sz = np.cos(heading_rad), np.sin(heading_rad)
    cy, sy = np.cos(sagittal_rad), np.sin(sagittal_rad)
    cx, sx = np.cos(frontal_rad), np.sin(frontal_rad)
    r = np.empty(np.shape(heading_rad) + (3, 3))
    r[..., 0, 0] = cz * cy
    r[..., 0, 1] = cz * sy * sx - sz * cx
    r[..., 0, 2] = cz * sy * cx + sz * sx
    r[..., 1, 0] = sz * cy
    r[..., 1, 1] = sz * sy * sx + cz * cx
    r[..., 1, 2] = sz * sy * cx - cz * sx
    r[..., 2, 0] = -sy
    r[..., 2, 1] = cy * sx
    r[..., 2, 2] = cy * cx
    return r


def body_rate_rad_s(
    sagittal_rad: np.ndarray,
    frontal_rad: np.ndarray,
    heading_rate: np.ndarray,
    sagittal_rate: np.ndarray,
    frontal_rate: np.ndarray,
) -> np.ndarray:
    """Angular velocity in the segment frame (ω with Ṙ = R·[ω]×, rad/s) of a Z-Y-X rotation,
    from the angles and their rates (rad/s), as an (..., 3) array."""
    cy, sy = np.cos(sagittal_rad), np.sin(sagittal_rad)
    cx, sx = np.cos(frontal_rad), np.sin(frontal_rad)
    return np.stack(
        [
            frontal_rate - heading_rate * sy,
            sagittal_rate * cx + heading_rate * cy * sx,
            -sagittal_rate * sx + heading_rate * cy * cx,
        ],
        axis=-1,
    )


@dataclass(frozen=True)
class Pose:
    """Where the body is at each instant (world frame without walking travel; metres).

    ``r_pelvis`` and ``r_thorax`` are R_world_segment, (n, 3, 3); the rest are (n, 3)
    positions; ``shank_tilt_rad`` is α from balance.
    """

    hip_m: np.ndarray
    sacrum_m: np.ndarray
    t12_skin_m: np.ndarray
    com_m: np.ndarray
    r_pelvis: np.ndarray
    r_thorax: np.ndarray
    shank_tilt_rad: np.ndarray

    def site(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(position, R_world_segment) of a sensor site: ``sacrum`` or ``T12``."""
        if name == "sacrum":
            return self.sacrum_m, self.r_pelvis
        if name == "T12":
            return self.t12_skin_m, self.r_thorax
        raise ValueError(f"unknown sensor site {name!r}")


def _apply(r: np.ndarray, v) -> np.ndarray:
    """R · v for (n, 3, 3) rotations and a constant or (n, 3) vector."""
    v = np.asarray(v, dtype=float)
    if v.ndim == 1:
        return r @ v
    return np.einsum("nij,nj->ni", r, v)


@dataclass(frozen=True)
class _Upper:
    """Everything above the hips, relative to the mid-hip joint in the body frame."""

    r_pelvis: np.ndarray
    r_thorax: np.ndarray
    t12_m: np.ndarray
    mass_kg: np.ndarray
    com_m: np.ndarray


def posture_pitch_deg(body: BodySettings) -> float:
    """Offset of both segments' sagittal angles in ``body``'s posture (0 upright)."""
    return LYING_PITCH_DEG if body.posture == "lying" else 0.0


def _upper_body(channels: dict[str, np.ndarray], body: BodySettings) -> _Upper:
    rad = np.radians
    pelvis_tilt = rad(channels["pelvis_tilt_deg"])
    if body.posture == "lying":
        pelvis_tilt = rad(channels["pelvis_tilt_deg"] + LYING_PITCH_DEG)
    thorax_incl = pelvis_tilt + rad(channels["lumbar_flexion_deg"])
    pelvis_side = rad(channels["pelvis_side_bend_deg"])
    thorax_side = rad(channels["thorax_side_bend_deg"])
    pelvis_rot = rad(channels["pelvis_rotation_deg"])
    thorax_rot = rad(channels["thorax_rotation_deg"])
    arm = rad(channels["arm_deg"])
    load_kg = channels["load_kg"]

    r_pelvis = segment_rotation(pelvis_rot, pelvis_tilt, pelvis_side)
    r_thorax = segment_rotation(thorax_rot, thorax_incl, thorax_side)
    r_mid = segment_rotation(
        0.5 * (pelvis_rot + thorax_rot), 0.5 * (pelvis_tilt + thorax_incl), 0.5 * (pelvis_side + thorax_side)
    )
    # The lumbar column bends uniformly from the pelvis's angle to the thorax's: its chord
    # points along the mean orientation and is shortened by sinc(half the bend).
    l5s1 = _apply(r_pelvis, body.hip_to_l5s1_m)
    chord_m = body.lumbar_m * np.sinc((thorax_incl - pelvis_tilt) / (2.0 * np.pi))
    chord = r_mid[:, :, 2] * chord_m[:, None]
    t12 = l5s1 + chord
    shoulder = t12 + _apply(r_thorax, SHOULDER_FROM_T12_M)
    arm_dir = np.stack([np.sin(arm), np.zeros_like(arm), -np.cos(arm)], axis=-1)

    mass = body.mass_kg
    parts = [
        (MASS_FRACTION["pelvis"] * mass, _apply(r_pelvis, PELVIS_COM_FROM_HIP_M)),
        (MASS_FRACTION["abdomen"] * mass, l5s1 + 0.5 * chord + ABDOMEN_COM_FORWARD_M * r_mid[:, :, 0]),
        (MASS_FRACTION["thorax"] * mass, t12 + _apply(r_thorax, THORAX_COM_FROM_T12_M)),
        (MASS_FRACTION["head"] * mass, t12 + _apply(r_thorax, HEAD_COM_FROM_T12_M)),
        (2.0 * MASS_FRACTION["arm"] * mass, shoulder + ARM_COM_FROM_SHOULDER_M * arm_dir),
    ]
    upper_kg = sum(m for m, _ in parts) + load_kg
    moment = sum(m * p for m, p in parts) + load_kg[:, None] * (shoulder + LOAD_FROM_SHOULDER_M * arm_dir)
    return _Upper(r_pelvis, r_thorax, t12, upper_kg, moment / upper_kg[:, None])


def _leg_masses_kg(body: BodySettings) -> tuple[float, float, float]:
    """(shanks, thighs, feet), both sides together."""
    m = body.mass_kg
    return 2.0 * MASS_FRACTION["shank"] * m, 2.0 * MASS_FRACTION["thigh"] * m, 2.0 * MASS_FRACTION["foot"] * m


def static_shank_tilt_rad(channels: dict[str, np.ndarray], body: BodySettings) -> np.ndarray:
    """The shank tilt α (rad, + forward) that puts the whole-body centre of mass exactly at
    ``com_forward_m`` over the ankles for the posture in ``channels``."""
    upper = _upper_body(channels, body)
    shank_kg, thigh_kg, foot_kg = _leg_masses_kg(body)
    total_kg = upper.mass_kg + shank_kg + thigh_kg + foot_kg
    return _balanced_shank_tilt(
        np.radians(channels["knee_flexion_deg"]),
        a=body.shank_m * (SHANK_COM_FROM_ANKLE * shank_kg + thigh_kg + upper.mass_kg),
        b=body.thigh_m * (THIGH_COM_FROM_KNEE * thigh_kg + upper.mass_kg),
        c=upper.mass_kg * upper.com_m[:, 0] + foot_kg * FOOT_COM_FORWARD_M - total_kg * channels["com_forward_m"],
    )


def body_pose(channels: dict[str, np.ndarray], body: BodySettings, shank_tilt_rad: np.ndarray | None = None) -> Pose:
    """Positions and orientations of the body for channel values (see kinematics.CHANNELS).

    ``shank_tilt_rad`` is α from the session's ``Balance``; without it the static balance
    is used (the centre of mass exactly at its target).
    """
    upper = _upper_body(channels, body)
    knee = np.radians(channels["knee_flexion_deg"])
    n = knee.shape[0]
    if body.posture != "standing":
        return _floor_pose(channels, body, upper)
    alpha = static_shank_tilt_rad(channels, body) if shank_tilt_rad is None else shank_tilt_rad
    beta = knee - alpha
    knee_pos = body.shank_m * np.stack([np.sin(alpha), np.zeros(n), np.cos(alpha)], axis=-1)
    thigh_dir = np.stack([-np.sin(beta), np.zeros(n), np.cos(beta)], axis=-1)
    hip = knee_pos + body.thigh_m * thigh_dir

    shank_kg, thigh_kg, foot_kg = _leg_masses_kg(body)
    com = (
        shank_kg * SHANK_COM_FROM_ANKLE * knee_pos
        + thigh_kg * (knee_pos + THIGH_COM_FROM_KNEE * body.thigh_m * thigh_dir)
        + upper.mass_kg[:, None] * (hip + upper.com_m)
    )
    com[:, 0] += foot_kg * FOOT_COM_FORWARD_M
    com /= (upper.mass_kg + shank_kg + thigh_kg + foot_kg)[:, None]

    return _world_pose(channels, body, upper, hip, com, alpha)


def _floor_pose(channels: dict[str, np.ndarray], body: BodySettings, upper: _Upper) -> Pose:
    """``body_pose`` kneeling (the knees fixed) or lying (the shoulders fixed); the
    centre of mass is that of the upper body, and there is no shank tilt."""
    n = upper.t12_m.shape[0]
    if body.posture == "kneeling":
        lean = np.radians(channels["knee_flexion_deg"])
        thigh_dir = np.stack([-np.sin(lean), np.zeros(n), np.cos(lean)], axis=-1)
        hip = np.asarray(KNEE_ON_FLOOR_M) + body.thigh_m * thigh_dir
    else:
        shoulder_from_hip = upper.t12_m + _apply(upper.r_thorax, SHOULDER_FROM_T12_M)
        hip = np.asarray(SHOULDER_ON_FLOOR_M) - shoulder_from_hip
    return _world_pose(channels, body, upper, hip, hip + upper.com_m, np.zeros(n))


def pose_at_hip(channels: dict[str, np.ndarray], body: BodySettings, hip_world_m: np.ndarray) -> Pose:
    """The body with its mid-hip joint at ``hip_world_m`` ((n, 3), world, metres), segments
    oriented by ``channels`` alone, whatever ``body.posture``: a posture in between those of
    the model (a posture change, ``imuhinge.simulation.transitions``), where the legs are on
    their way and no balance or floor contact places the hips.

    ``channels["pelvis_tilt_deg"]`` is the pelvis's whole sagittal angle from upright (a
    lying pitch included) and ``channels["heading_deg"]`` the whole heading about the
    vertical; ``shift_left_m`` and ``bounce_up_m`` are not used (they are in the hips).
    ``com_m`` is the upper body's centre of mass and ``shank_tilt_rad`` is 0."""
    upright = replace(body, posture="standing")
    upper = _upper_body(channels, upright)
    n = hip_world_m.shape[0]
    heading = segment_rotation(np.radians(channels["heading_deg"]), np.zeros(n), np.zeros(n))
    hip_body = np.einsum("nji,nj->ni", heading, hip_world_m)
    still = {**channels, "shift_left_m": np.zeros(n), "bounce_up_m": np.zeros(n)}
    return _world_pose(still, upright, upper, hip_body, hip_body + upper.com_m, np.zeros(n))


def _world_pose(channels: dict[str, np.ndarray], body: BodySettings, upper: _Upper, hip: np.ndarray,
                com: np.ndarray, shank_tilt_rad: np.ndarray) -> Pose:
    """The ``Pose`` of a body whose hip and centre of mass are known in the body frame: the
    sacrum and T12 skin points from the segments, then everything into the world (shift
    and bounce in the body frame, then turned with the heading)."""
    n = hip.shape[0]
    sacrum = hip + _apply(upper.r_pelvis, body.hip_to_sacrum_m)
    t12_skin = hip + upper.t12_m + _apply(upper.r_thorax, body.t12_to_skin_m)
    offset = np.stack([np.zeros(n), channels["shift_left_m"], channels["bounce_up_m"]], axis=-1)
    heading = segment_rotation(np.radians(channels["heading_deg"]), np.zeros(n), np.zeros(n))
    to_world = lambda p: _apply(heading, p + offset)  # noqa: E731
    return Pose(
        hip_m=to_world(hip),
        sacrum_m=to_world(sacrum),
        t12_skin_m=to_world(t12_skin),
        com_m=to_world(com),
        r_pelvis=heading @ upper.r_pelvis,
        r_thorax=heading @ upper.r_thorax,
        shank_tilt_rad=shank_tilt_rad,
    )


@dataclass(frozen=True)
class Balance:
    """The shank tilt α over a session: the static balance, low-passed.

    Holding the centre of mass exactly still would need the hips to counter every fast
    movement of the trunk and arms at once (tens of m/s² in a swing's lockout), which
    no one does: the centre of pressure moves under the feet instead. So α follows the
    static solution below ``BALANCE_CUTOFF_HZ`` (zero-phase, as postural adjustments
    anticipate a movement) and is a cubic spline in time, smooth enough to differentiate
    twice at any instant.
    """

    spline: CubicSpline

    def at(self, time_s: np.ndarray) -> np.ndarray:
        return self.spline(time_s)


def fit_balance(motion, body: BodySettings, start_s: float, end_s: float) -> Balance:
    """The session's ``Balance`` over [start_s, end_s] (a margin is added each side)."""
    margin_s = 2.0
    grid_s = np.arange(start_s - margin_s, end_s + margin_s, 1.0 / BALANCE_GRID_HZ)
    alpha = np.empty_like(grid_s)
    for first in range(0, len(grid_s), BALANCE_CHUNK):
        part = slice(first, first + BALANCE_CHUNK)
        alpha[part] = static_shank_tilt_rad(motion.at(grid_s[part]), body)
    sos = butter(2, BALANCE_CUTOFF_HZ, fs=BALANCE_GRID_HZ, output="sos")
    return Balance(CubicSpline(grid_s, sosfiltfilt(sos, alpha)))


def _balanced_shank_tilt(knee_rad: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The shank tilt α solving a·sin α − b·sin(k − α) + c = 0, the forward moment balance.

    ``a`` and ``b`` are mass × lever arm per unit sine of the shank and thigh tilts,
    ``c`` the moment of everything else about the target point (kg·m). Written as
    R·sin(α − φ) = −c it has the closed form below, smooth in time.
    """
    sa = a + b * np.cos(knee_rad)
    sb = b * np.sin(knee_rad)
    amplitude = np.hypot(sa, sb)
    return np.arctan2(sb, sa) + np.arcsin(np.clip(-c / amplitude, -1.0, 1.0))
