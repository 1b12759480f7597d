"""Frames and their conversions for the analysis, in one place (see docs/frames.md).

Frames: *sensor* (as printed on the case), *segment* (x anterior, y left, z cranial; equal
to the world in calibrated quiet standing) and *world* (x forward, y left, z up).
``R_a_b`` maps vectors expressed in frame b to frame a. A segment's orientation is
``R_world_segment = Rz(heading) · Ry(sagittal) · Rx(frontal)``, so the sagittal angle is
the rotation about the segment's left axis (+ forward) and the frontal angle the rotation
about its anterior axis (+ towards the right).
"""

from __future__ import annotations

import numpy as np


def segment_from_sensor(up_sensor: np.ndarray, left_sensor: np.ndarray) -> np.ndarray:
    """``R_segment_sensor`` from the segment's up (z) and left (y) axes in sensor frame.

    ``up_sensor`` wins: ``left_sensor`` is made perpendicular to it, and x = y × z
    completes a right-handed frame. Rows of the result are the segment axes in sensor
    coordinates, so ``R @ v_sensor`` expresses a sensor-frame vector in the segment frame.
    """
    z = np.asarray(up_sensor, dtype=np.float64)
    z = z / np.linalg.norm(z)
    y = np.asarray(left_sensor, dtype=np.float64)
    y = y - np.dot(y, z) * z
    norm = np.linalg.norm(y)
    if norm < 1e-6:
        raise ValueError("the left axis is parallel to the up axis")
    y = y / norm
    x = np.cross(y, z)
    return np.vstack([x, y, z])


def to_segment(rotation_segment_sensor: np.ndarray, vectors_sensor: np.ndarray) -> np.ndarray:
    """Express (n, 3) sensor-frame vectors in the segment frame."""
    return np.asarray(vectors_sensor, dtype=np.float64) @ rotation_segment_sensor.T


def quaternions_to_matrices(quaternions_wxyz: np.ndarray) -> np.ndarray:
    """(n, 4) unit quaternions (w, x, y, z) to (n, 3, 3) rotation matrices."""
    q = np.asarray(quaternions_wxyz, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    m = np.empty((len(q), 3, 3))
    m[:, 0, 0] = 1 - 2 * (y * y + z * z)
    m[:, 0, 1] = 2 * (x * y - w * z)
    m[:, 0, 2] = 2 * (x * z + w * y)
    m[:, 1, 0] = 2 * (x * y + w * z)
    m[:, 1, 1] = 1 - 2 * (x * x + z * z)
    m[:, 1, 2] = 2 * (y * z - w * x)
    m[:, 2, 0] = 2 * (x * z - w * y)
    m[:, 2, 1] = 2 * (y * z + w * x)
    m[:, 2, 2] = 1 - 2 * (x * x + y * y)
    return m


def sagittal_frontal_heading_deg(
    rotation_world_segment: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sagittal, frontal and heading angles (deg) of (n, 3, 3) ``R_world_segment``.

    The sagittal and frontal angles come from the direction of "up" seen in the segment
    frame (the bottom row of R), so they do not depend on the heading. A rounded trunk can
    lean past 90°, where this decomposition has two solutions; the one with the frontal
    angle within ±90° is taken (a body never side-bends that far), so the sagittal angle
    runs on continuously to 180°. The heading is unwrapped so it can be differenced
    across ±180°.
    """
    r = rotation_world_segment
    beyond = np.where(r[:, 2, 2] < 0.0, -1.0, 1.0)
    sagittal = np.degrees(np.arctan2(-r[:, 2, 0], beyond * np.hypot(r[:, 2, 1], r[:, 2, 2])))
    frontal = np.degrees(np.arctan2(beyond * r[:, 2, 1], beyond * r[:, 2, 2]))
    heading = np.degrees(np.unwrap(np.arctan2(beyond * r[:, 1, 0], beyond * r[:, 0, 0])))
    return sagittal, frontal, heading


def sagittal_from_up_deg(up_segment: np.ndarray) -> np.ndarray:
    """Sagittal angle (deg, + forward) from (n, 3) measured "up" vectors in segment frame.

    "Up" is what a still accelerometer reads; forward tilt moves it towards −x.
    """
    up = np.asarray(up_segment, dtype=np.float64)
    return np.degrees(np.arctan2(-up[:, 0], np.hypot(up[:, 1], up[:, 2])))


def rotation_matrix(axis: str, angle_deg: float) -> np.ndarray:
    """Right-handed rotation by ``angle_deg`` about the x, y or z axis."""
    c, s = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    if axis == "z":
        return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    raise ValueError(f"unknown axis {axis!r}")


def axis_aligned_rotations() -> list[np.ndarray]:
    """The 24 proper rotations that map the coordinate axes onto coordinate axes."""
    rotations = []
    eye = np.eye(3)
    for i in range(3):
        for si in (1.0, -1.0):
            for j in range(3):
                if j == i:
                    continue
                for sj in (1.0, -1.0):
                    first, second = si * eye[i], sj * eye[j]
                    rotations.append(np.vstack([first, second, np.cross(first, second)]))
    return rotations
